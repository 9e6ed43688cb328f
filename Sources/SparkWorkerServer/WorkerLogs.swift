import Hummingbird
import SparkWebUI

/// Reading slices of executor and driver logs (Spark: the worker's `LogPage.getLog`), by
/// `LogFiles`.
enum WorkerLogs {
    typealias Slice = LogFiles.Slice
    typealias Failure = LogFiles.Failure

    static let defaultByteLength = LogFiles.defaultByteLength
    static let maximumByteLength = LogFiles.maximumByteLength

    static func read(
        workDirectory: String, appId: String?, executorId: String?, driverId: String? = nil, logType: String?, offset: Int64?,
        byteLength: Int64?, lengths: CompressedLogLengths = .shared
    ) -> Result<Slice, Failure> {
        // Spark: an executor's directory by application and executor, a driver's by its id.
        let parts: [String]
        switch (appId, executorId, driverId) {
        case (let appId?, let executorId?, nil): parts = [appId, executorId]
        case (nil, nil, let driverId?): parts = [driverId]
        default:
            return .failure(Failure(message: "Request must specify either application or driver identifiers", status: .badRequest))
        }
        if let failure = LogFiles.unsupported(logType) { return .failure(failure) }
        let logType = logType ?? ""
        // Spark: Utils.isInDirectory(workDir, logDir); ids never contain separators.
        for part in parts where part.isEmpty || part.contains("/") || part == "." || part == ".." {
            return .failure(Failure(message: "Error: invalid log directory \(parts.joined(separator: "/"))/", status: .badRequest))
        }
        let directory = ([workDirectory] + parts).joined(separator: "/")
        return LogFiles.slice(
            directory: directory, active: logType, displayPath: "\(directory)/\(logType)", offset: offset, byteLength: byteLength,
            lengths: lengths)
    }
}
