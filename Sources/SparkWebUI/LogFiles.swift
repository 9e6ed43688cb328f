#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HTTPTypes
import NIOConcurrencyHelpers
import SparkDaemon
import SparkTransport
import SparkWorker

/// Slices of a log kept as an active file and the files rolled from it, some gzipped (Spark:
/// `Utils.getLog` and `LogPage.getLog`, `RollingFileAppender.getSortedRolledOverFiles`,
/// `Utils.offsetBytes`). The worker serves its executors' and drivers' logs this way, and both
/// daemons their own (`?self`).
public enum LogFiles {
    public struct Slice: Equatable, Sendable {
        public var text: String
        public var start: Int64
        public var end: Int64
        public var total: Int64
        /// The path the header names.
        public var file: String
        /// The slice length the request asked for, as bounded (the slice is shorter at the end).
        public var byteLength: Int64 = LogFiles.defaultByteLength

        public init(text: String, start: Int64, end: Int64, total: Int64, file: String, byteLength: Int64 = LogFiles.defaultByteLength) {
            self.text = text
            self.start = start
            self.end = end
            self.total = total
            self.file = file
            self.byteLength = byteLength
        }

        /// Spark's answer for a log it cannot show: `text` in the log's place, bytes 0-0 of 0 of `file`,
        /// with the slice length `byteLength` asked for.
        public static func message(_ text: String, file: String, byteLength: Int64?) -> Slice {
            Slice(text: text, start: 0, end: 0, total: 0, file: file, byteLength: LogFiles.boundedLength(byteLength))
        }

        /// Spark's first line of a `/log` answer.
        public var header: String { "==== Bytes \(start)-\(end) of \(total) of \(file) ====\n" }
    }

    /// A request Spark's log pages do not answer with a log: `status` and `message` are Jetty's.
    public struct Failure: Error, Equatable, Sendable {
        public var message: String
        public var status: HTTPResponse.Status

        public init(message: String, status: HTTPResponse.Status) {
            self.message = message
            self.status = status
        }
    }

    /// Spark's default slice: the last 100 KiB.
    public static let defaultByteLength: Int64 = 100 * 1024
    /// The most one request reads (the query's `byteLength` comes from any browser); the header tells
    /// which bytes were served, so a client asking for more pages on with `offset`.
    public static let maximumByteLength: Int64 = 16 * 1024 * 1024
    /// In Spark's order, which its error text keeps.
    public static let supportedLogTypes = ["stderr", "stdout", "out"]

    /// A query's `offset` and `byteLength`, as Spark's log pages read them (`toLong`, `toInt`): one that
    /// is there but not such a number is refused with 400 and Java's message, as Jetty refuses it.
    public static func range(offset: Substring?, byteLength: Substring?) -> Result<(offset: Int64?, byteLength: Int64?), Failure> {
        func refused(_ text: Substring) -> Failure { Failure(message: "For input string: \"\(text)\"", status: .badRequest) }
        var range: (offset: Int64?, byteLength: Int64?) = (nil, nil)
        if let offset {
            guard let value = Int64(offset) else { return .failure(refused(offset)) }
            range.offset = value
        }
        if let byteLength {
            guard let value = Int32(byteLength) else { return .failure(refused(byteLength)) }
            range.byteLength = Int64(value)
        }
        return .success(range)
    }

    /// The slice length read for a query's `byteLength`.
    public static func boundedLength(_ byteLength: Int64?) -> Int64 {
        min(max(0, byteLength ?? defaultByteLength), maximumByteLength)
    }

    /// Spark's text, shown in the log's place, for a `logType` outside `supportedLogTypes` or none;
    /// nil for a supported one.
    public static func unsupported(_ logType: String?) -> String? {
        guard let logType, supportedLogTypes.contains(logType) else {
            return "Error: Log type must be one of \(supportedLogTypes.joined(separator: ", "))"
        }
        return nil
    }

    /// `[offset, offset + byteLength)` of the stream whose active file is `directory/active`: its
    /// rolled files, oldest first, then the active one. Without `offset`, the last `byteLength`
    /// bytes. `displayPath` is what the header names. No file is an empty log; a log that cannot be
    /// read is a message in its place (bytes 0-0 of 0), as Spark's `getLog` answers both.
    public static func slice(
        directory: String, active: String, displayPath: String, offset: Int64?, byteLength: Int64?,
        lengths: CompressedLogLengths = .shared
    ) -> Slice {
        let length = boundedLength(byteLength)
        func failed(_ reason: String) -> Slice {
            .message("Error getting logs due to exception: \(reason)", file: displayPath, byteLength: byteLength)
        }
        guard let entries = Daemon.directoryEntries(directory) else { return failed("cannot list the directory \(directory)") }
        let names = ExecutorLogRolling.streamFiles(in: entries, active: active)
        var pieces: [(path: String, length: Int64)] = []
        do {
            for name in names {
                let path = directory + "/" + name
                pieces.append((path, try self.length(of: path, lengths: lengths)))
            }
        } catch {
            return failed("\(error)")
        }
        let total = pieces.reduce(0) { $0 + $1.length }
        let requested = offset ?? (total - length)
        let start = min(max(requested, 0), total)
        let end = min(start + length, total)
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
            return failed("\(error)")
        }
        return Slice(
            text: String(decoding: bytes, as: UTF8.self), start: start, end: end, total: total, file: displayPath, byteLength: length)
    }

    /// A daemon's own log (`?self&logType=…`), as Spark's daemons find it in `directory` (the
    /// master: `SPARK_LOG_DIR`, default `logs/` from the working directory; the worker:
    /// `SPARK_LOG_DIR` or its work directory, with a `/` after it): for `out`, the `.out` file the
    /// launch scripts redirect the daemon's output to, for the others the file named by the type.
    /// Several daemons may share one directory: the `.out` file whose name holds `daemonClass` (the
    /// scripts name it `spark-<user>-<class>-<instance>-<host>.out`) is taken first, then the first
    /// by name. The header names `directory` as given, then the type, as Spark's does.
    public static func daemonLog(
        logType: String?, directory: String, daemonClass: String, offset: Int64?, byteLength: Int64?,
        lengths: CompressedLogLengths = .shared
    ) -> Slice {
        if let message = unsupported(logType) {
            return .message(message, file: directory + (logType ?? "null"), byteLength: byteLength)
        }
        let logType = logType ?? ""
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        var name = logType
        if logType == "out" {
            let outs = (Daemon.directoryEntries(path) ?? []).filter { $0.hasSuffix(".out") }.sorted()
            name = outs.first { $0.contains(daemonClass) } ?? outs.first ?? logType
        }
        return slice(
            directory: path, active: name, displayPath: directory + logType, offset: offset, byteLength: byteLength, lengths: lengths)
    }

    /// The master's log directory: `SPARK_LOG_DIR`, else `logs/` (Spark's master and `/log`).
    public static func masterLogDirectory(environment: [String: String]) -> String {
        environment["SPARK_LOG_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "logs/"
    }

    /// The worker's log directory: `SPARK_LOG_DIR`, else its work directory, and a `/` (Spark's
    /// worker `LogPage`).
    public static func workerLogDirectory(environment: [String: String], workDirectory: String) -> String {
        (environment["SPARK_LOG_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? workDirectory) + "/"
    }

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The length of a log file's text: its size, or for a `.gz` file what it decompresses to
    /// (Spark: `Utils.getFileLength`, cached by path, size and time).
    static func length(of path: String, lengths: CompressedLogLengths) throws -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ReadFailure(description: "cannot read \(path)") }
        let size = Int64(info.st_size)
        guard path.hasSuffix(ExecutorLogRolling.gzipSuffix) else { return size }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        let key = "\(size):\(time.tv_sec).\(time.tv_nsec):\(path)"
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
public final class CompressedLogLengths: Sendable {
    public static let shared = CompressedLogLengths(capacity: 100)

    private struct Entries {
        var lengths: [String: Int64] = [:]
        /// Least recently used first.
        var order: [String] = []
    }

    public let capacity: Int
    private let entries = NIOLockedValueBox(Entries())

    public init(capacity: Int) {
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

    public var count: Int { entries.withLockedValue { $0.lengths.count } }
}
