import Hummingbird
import SparkWebUI

/// Reading slices of executor and driver logs (Spark: the worker's `LogPage.getLog`), by
/// `LogFiles`.
enum WorkerLogs {
    typealias Slice = LogFiles.Slice
    typealias Failure = LogFiles.Failure

    static let defaultByteLength = LogFiles.defaultByteLength
    static let maximumByteLength = LogFiles.maximumByteLength

    /// The slice asked for; a failure only for a query naming neither an executor nor a driver (Spark
    /// throws, and Jetty answers 500). Like Spark's, an unsupported log type or a directory that is
    /// not in the work directory is a message in the log's place.
    static func read(
        workDirectory: String, appId: String?, executorId: String?, driverId: String? = nil, logType: String?, offset: Int64?,
        byteLength: Int64?, lengths: CompressedLogLengths = .shared
    ) -> Result<Slice, Failure> {
        // Spark: an executor's directory by application and executor, a driver's by its id.
        let parts: [String]
        switch (appId, executorId, driverId) {
        case (let appId?, let executorId?, nil): parts = [appId, executorId]
        case (nil, nil, let driverId?): parts = [driverId]
        default: return .failure(mustName)
        }
        let directory = ([workDirectory] + parts).joined(separator: "/")
        func message(_ text: String) -> Slice { .message(text, file: "\(directory)/\(logType ?? "null")", byteLength: byteLength) }
        if let unsupported = LogFiles.unsupported(logType) { return .success(message(unsupported)) }
        let logType = logType ?? ""
        // Spark: Utils.isInDirectory(workDir, logDir), which asks that the directory exist. Ids never
        // contain separators.
        let outside = parts.contains { $0.isEmpty || $0.contains("/") || $0 == "." || $0 == ".." }
        guard !outside, HostEnvironment.isDirectory(directory) else {
            return .success(message("Error: invalid log directory \(directory)/"))
        }
        return .success(LogFiles.slice(
            directory: directory, active: logType, displayPath: "\(directory)/\(logType)", offset: offset, byteLength: byteLength,
            lengths: lengths))
    }

    /// Spark's refusal of a log request that names neither an executor nor a driver, or names one
    /// and asks for the worker's own log too.
    static let mustName = Failure(message: "Request must specify either application or driver identifiers", status: .internalServerError)
}
