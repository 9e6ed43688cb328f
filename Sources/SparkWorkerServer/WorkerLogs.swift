import SparkDaemon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import NIOConcurrencyHelpers
import SparkWebUI
import SparkWorker

/// Reading slices of executor logs (Spark: `LogPage.getLog`, `Utils.offsetBytes`).
enum WorkerLogs {
    struct Slice: Equatable {
        var text: String
        var start: Int64
        var end: Int64
        var total: Int64
        var file: String
        /// The slice length the request asked for, as bounded (the slice is shorter at the end).
        var byteLength: Int64 = WorkerLogs.defaultByteLength

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
        guard let logType else {
            return .failure(Failure(message: "Request must specify a logType", status: .badRequest))
        }
        guard supportedLogTypes.contains(logType) else {
            return .failure(Failure(
                message: "Error: Log type must be one of \(supportedLogTypes.sorted().joined(separator: ", "))",
                status: .badRequest))
        }
        // Spark: Utils.isInDirectory(workDir, logDir); ids never contain separators.
        for part in parts where part.isEmpty || part.contains("/") || part == "." || part == ".." {
            return .failure(Failure(message: "Error: invalid log directory \(parts.joined(separator: "/"))/", status: .badRequest))
        }
        let directory = ([workDirectory] + parts).joined(separator: "/")
        let file = "\(directory)/\(logType)"
        // The stream's rolled files, oldest first, then the active one (Spark: getSortedRolledOverFiles).
        let names = Daemon.directoryEntries(directory).map { ExecutorLogRolling.streamFiles(in: $0, active: logType) } ?? []
        var pieces: [(path: String, length: Int64)] = []
        do {
            for name in names {
                let path = directory + "/" + name
                pieces.append((path, try length(of: path, lengths: lengths)))
            }
        } catch {
            return .failure(Failure(message: "Error reading \(file): \(error)", status: .internalServerError))
        }
        guard !pieces.isEmpty else {
            return .failure(Failure(message: "Error getting \(logType) logs from directory \(directory)/", status: .notFound))
        }
        let total = pieces.reduce(0) { $0 + $1.length }
        let length = min(max(0, byteLength ?? defaultByteLength), maximumByteLength)
        let requested = offset ?? (total - length)
        let start = min(max(requested, 0), total)
        let end = min(start + length, total)
        // Spark: Utils.offsetBytes over the files.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(end - start))
        var pieceStart: Int64 = 0
        do {
            for piece in pieces {
                let pieceEnd = pieceStart + piece.length
                defer { pieceStart = pieceEnd }
                guard pieceEnd > start, pieceStart < end else { continue }
                let from = max(start, pieceStart) - pieceStart
                let to = min(end, pieceEnd) - pieceStart
                bytes += try read(piece.path, from: from, count: Int(to - from))
            }
        } catch {
            return .failure(Failure(message: "Error reading \(file): \(error)", status: .internalServerError))
        }
        return .success(Slice(text: String(decoding: bytes, as: UTF8.self), start: start, end: end, total: total, file: file, byteLength: length))
    }

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The length of a log file's text: its size, or for a `.gz` file what it decompresses to
    /// (Spark: `Utils.getFileLength`, cached by path, size and time).
    static func length(of path: String, lengths: CompressedLogLengths) throws -> Int64 {
        guard let status = HostEnvironment.status(path) else { throw ReadFailure(description: "cannot read \(path)") }
        guard path.hasSuffix(ExecutorLogRolling.gzipSuffix) else { return status.size }
        let key = "\(status.size):\(status.modified):\(path)"
        if let known = lengths[key] { return known }
        var total: Int64 = 0
        try inflate(path) { chunk in
            total += Int64(chunk.count)
            return true
        }
        lengths[key] = total
        return total
    }

    /// `count` bytes of a log file's text from `offset` (decompressing a `.gz` file up to there).
    static func read(_ path: String, from offset: Int64, count: Int) throws -> [UInt8] {
        guard path.hasSuffix(ExecutorLogRolling.gzipSuffix) else {
            guard let handle = ReadOnlyFile(path: path) else { throw ReadFailure(description: "cannot open \(path)") }
            return try handle.read(at: offset, count: count)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var position: Int64 = 0
        try inflate(path) { chunk in
            let chunkEnd = position + Int64(chunk.count)
            defer { position = chunkEnd }
            if chunkEnd > offset {
                let from = Int(max(offset - position, 0))
                let to = min(chunk.count, from + count - bytes.count)
                bytes += chunk[from..<to]
            }
            return bytes.count < count
        }
        return bytes
    }

    /// Feeds a gzip file's decompressed bytes to `consume` until it returns false or the file ends.
    static func inflate(_ path: String, consume: (UnsafeRawBufferPointer) throws -> Bool) throws {
        guard let handle = ReadOnlyFile(path: path) else { throw ReadFailure(description: "cannot open \(path)") }
        let inflater = try GzipInflater()
        var offset: Int64 = 0
        while true {
            let compressed = try handle.read(at: offset, count: 64 * 1024)
            if compressed.isEmpty { break }
            offset += Int64(compressed.count)
            let more = try compressed.withUnsafeBytes { try inflater.inflate($0, consume: consume) }
            if !more { return }
        }
        guard inflater.isComplete else { throw ReadFailure(description: "\(path) ends before its gzip trailer") }
    }
}

/// Uncompressed lengths of rolled `.gz` logs, the most recently used kept (Spark: the worker's
/// cache of `spark.worker.ui.compressedLogFileLengthCacheSize` entries, 100 by default).
final class CompressedLogLengths: Sendable {
    static let shared = CompressedLogLengths(capacity: 100)

    private struct Entries {
        var lengths: [String: Int64] = [:]
        /// Least recently used first.
        var order: [String] = []
    }

    let capacity: Int
    private let entries = NIOLockedValueBox(Entries())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    subscript(key: String) -> Int64? {
        get {
            entries.withLockedValue { entries in
                guard let length = entries.lengths[key] else { return nil }
                if let index = entries.order.firstIndex(of: key) { entries.order.remove(at: index) }
                entries.order.append(key)
                return length
            }
        }
        set {
            entries.withLockedValue { entries in
                if let index = entries.order.firstIndex(of: key) { entries.order.remove(at: index) }
                entries.lengths[key] = newValue
                guard newValue != nil else { return }
                entries.order.append(key)
                while entries.order.count > capacity { entries.lengths.removeValue(forKey: entries.order.removeFirst()) }
            }
        }
    }

    var count: Int { entries.withLockedValue { $0.lengths.count } }
}
