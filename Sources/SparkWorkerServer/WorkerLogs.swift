#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird

/// Reading slices of executor logs (Spark: `LogPage.getLog`, `Utils.offsetBytes`).
enum WorkerLogs {
    struct Slice: Equatable {
        var text: String
        var start: Int64
        var end: Int64
        var total: Int64
        var file: String

        var header: String { "==== Bytes \(start)-\(end) of \(total) of \(file) ====\n" }
    }

    struct Failure: Error, Equatable {
        var message: String
        var status: HTTPResponse.Status
    }

    /// Spark's default slice: the last 100 KiB.
    static let defaultByteLength: Int64 = 100 * 1024
    /// The most one request reads (the query's `byteLength` comes from any browser); the header tells
    /// which bytes were served, so a client asking for more pages on with `offset`.
    static let maximumByteLength: Int64 = 16 * 1024 * 1024
    static let supportedLogTypes: Set<String> = ["stderr", "stdout", "out"]

    static func read(
        workDirectory: String, appId: String?, executorId: String?, logType: String?, offset: Int64?, byteLength: Int64?
    ) -> Result<Slice, Failure> {
        guard let appId, let executorId, let logType else {
            return .failure(Failure(message: "Request must specify appId, executorId and logType", status: .badRequest))
        }
        guard supportedLogTypes.contains(logType) else {
            return .failure(Failure(
                message: "Error: Log type must be one of \(supportedLogTypes.sorted().joined(separator: ", "))",
                status: .badRequest))
        }
        // Spark: Utils.isInDirectory(workDir, logDir); ids never contain separators.
        for part in [appId, executorId] where part.isEmpty || part.contains("/") || part == "." || part == ".." {
            return .failure(Failure(message: "Error: invalid log directory \(appId)/\(executorId)/", status: .badRequest))
        }
        let file = "\(workDirectory)/\(appId)/\(executorId)/\(logType)"
        guard let handle = ReadOnlyFile(path: file) else {
            return .failure(Failure(message: "Error getting \(logType) logs from directory \(workDirectory)/\(appId)/\(executorId)/",
                                    status: .notFound))
        }
        let total = (try? handle.size()) ?? 0
        let length = min(max(0, byteLength ?? defaultByteLength), maximumByteLength)
        let requested = offset ?? (total - length)
        let start = min(max(requested, 0), total)
        let end = min(start + length, total)
        do {
            let bytes = try handle.read(at: start, count: Int(end - start))
            return .success(Slice(
                text: String(decoding: bytes, as: UTF8.self), start: start, end: end, total: total,
                file: "\(workDirectory)/\(appId)/\(executorId)/\(logType)"))
        } catch {
            return .failure(Failure(message: "Error reading \(file): \(error)", status: .internalServerError))
        }
    }
}
