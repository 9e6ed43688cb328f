#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import NIOConcurrencyHelpers

/// A byte range of one file: what a chunk of a stream sends.
public struct FileSegment: Sendable, Equatable {
    public var path: String
    public var offset: Int64
    public var length: Int64
}

/// The executors registered with the shuffle service and where their block files are (Spark:
/// `ExternalShuffleBlockResolver`, `ExecutorDiskUtils`).
///
/// Executors say where their files are; the service only believes directories inside the
/// directories the worker made for that executor's application (`SPARK_EXECUTOR_DIRS`, where
/// each executor makes its `blockmgr-*`), for applications with executors on this worker, and
/// only names block files the way Spark does, so a peer cannot point it at other files to read
/// or delete.
public final class ShuffleBlockResolver: Sendable {
    public struct ExecutorKey: Hashable, Sendable {
        public var appId: String
        public var execId: String
        public init(appId: String, execId: String) {
            self.appId = appId
            self.execId = execId
        }
    }

    /// Registrations one application may hold (a new one beyond is refused; re-registering is not new).
    public let maxExecutorsPerApplication: Int
    private struct State {
        var executors: [ExecutorKey: ExecutorShuffleInfo] = [:]
        /// Per application, the directories its executors' directories must be inside.
        var applicationDirectories: [String: [String]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init(maxExecutorsPerApplication: Int = 4096) {
        self.maxExecutorsPerApplication = maxExecutorsPerApplication
    }

    /// The worker made `directories` for `appId` (its `SPARK_EXECUTOR_DIRS`): its executors may
    /// register directories inside them.
    public func allowApplication(_ appId: String, directories: [String]) {
        let cleaned = directories.filter { Self.isPlainAbsolutePath($0) && $0 != "/" }.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        state.withLockedValue { $0.applicationDirectories[appId] = cleaned }
    }

    public var registeredCount: Int { state.withLockedValue { $0.executors.count } }

    func hasApplication(_ appId: String) -> Bool {
        state.withLockedValue { $0.applicationDirectories[appId] != nil }
    }

    public func executor(appId: String, execId: String) -> ExecutorShuffleInfo? {
        state.withLockedValue { $0.executors[ExecutorKey(appId: appId, execId: execId)] }
    }

    /// Spark: `registerExecutor`; refuses directories outside the application's (see
    /// `allowApplication`), another registration of an executor, and sizes Spark would not use.
    public func register(appId: String, execId: String, info: ExecutorShuffleInfo) throws(ShuffleProtocolError) {
        guard !info.localDirs.isEmpty, info.localDirs.count <= 64 else {
            throw ShuffleProtocolError("an executor registered with \(info.localDirs.count) local directories")
        }
        guard (1...65_536).contains(info.subDirsPerLocalDir) else {
            throw ShuffleProtocolError("an executor registered with \(info.subDirsPerLocalDir) subdirectories per local directory")
        }
        let key = ExecutorKey(appId: appId, execId: execId)
        let refusal = state.withLockedValue { state -> String? in
            guard let roots = state.applicationDirectories[appId], !roots.isEmpty else {
                return "application \(appId) has no executors on this worker"
            }
            for dir in info.localDirs where !(Self.isPlainAbsolutePath(dir) && roots.contains(where: { dir.hasPrefix($0 + "/") })) {
                return "local directory \(dir) of executor \(execId) is not inside the directories of \(appId) on this worker"
            }
            if let existing = state.executors[key] {
                // Spark's executors register once; the same again is a retry, anything else is not theirs.
                return existing == info ? nil : "executor \(execId) of \(appId) is registered already, with other directories"
            }
            guard state.executors.keys.count(where: { $0.appId == appId }) < maxExecutorsPerApplication else {
                return "application \(appId) has \(maxExecutorsPerApplication) executors registered already"
            }
            state.executors[key] = info
            return nil
        }
        if let refusal { throw ShuffleProtocolError(refusal) }
    }

    /// Spark: `executorRemoved`: the executor stays registered (its shuffle files are still served);
    /// returns its directories, whose other files the caller deletes.
    public func directories(appId: String, execId: String) -> [String] {
        executor(appId: appId, execId: execId)?.localDirs ?? []
    }

    /// Spark: `applicationRemoved`: forgets the application and its executors; returns their directories.
    @discardableResult
    public func applicationRemoved(appId: String) -> [String] {
        state.withLockedValue { state in
            state.applicationDirectories.removeValue(forKey: appId)
            let keys = state.executors.keys.filter { $0.appId == appId }
            return keys.flatMap { state.executors.removeValue(forKey: $0)?.localDirs ?? [] }
        }
    }

    func registered(appId: String, execId: String) throws(ShuffleProtocolError) -> ExecutorShuffleInfo {
        guard let info = executor(appId: appId, execId: execId) else {
            throw ShuffleProtocolError("Executor is not registered (appId=\(appId), execId=\(execId))")
        }
        return info
    }

    /// Absolute, with no `.` or `..` component.
    static func isPlainAbsolutePath(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.split(separator: "/").contains { $0 == ".." || $0 == "." }
    }

    // MARK: - Files

    /// Spark: `ExecutorDiskUtils.getFilePath`: the name's Java hash picks the directory and the
    /// two-hex-digit subdirectory.
    public static func filePath(localDirs: [String], subDirsPerLocalDir: Int32, name: String) -> String {
        let hash = nonNegativeHash(name)
        let dir = localDirs[hash % localDirs.count]
        let sub = (hash / localDirs.count) % Int(subDirsPerLocalDir)
        let hex = String(sub, radix: 16)
        return dir + "/" + (hex.count < 2 ? "0" + hex : hex) + "/" + name
    }

    /// Java's `String.hashCode` (over UTF-16 code units), made non-negative as Spark's `JavaUtils.nonNegativeHash`.
    static func nonNegativeHash(_ name: String) -> Int {
        var hash: Int32 = 0
        for unit in name.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return hash == .min ? 0 : Int(abs(hash))
    }

    /// The bytes of reduce partitions `[start, end)` of one map output: offsets `start` and `end`
    /// of its index file (big-endian int64s) bound them in its data file.
    func shuffleSegment(_ info: ExecutorShuffleInfo, shuffleId: Int32, mapId: Int64, start: Int32, end: Int32) throws(ShuffleProtocolError) -> FileSegment {
        guard start >= 0, end > start else { throw ShuffleProtocolError("reduce ids [\(start), \(end)) of shuffle \(shuffleId)") }
        let base = "shuffle_\(shuffleId)_\(mapId)_0"
        let index = Self.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: base + ".index")
        let descriptor = open(index, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ShuffleProtocolError("Failed to open file: \(index)") }
        defer { close(descriptor) }
        func offset(at position: Int32) throws(ShuffleProtocolError) -> Int64 {
            var value: Int64 = 0
            let read = withUnsafeMutableBytes(of: &value) { pread(descriptor, $0.baseAddress, 8, off_t(position) * 8) }
            guard read == 8 else { throw ShuffleProtocolError("reduce id \(position) is beyond the index file \(index)") }
            return Int64(bigEndian: value)
        }
        let from = try offset(at: start), to = try offset(at: end)
        guard from >= 0, to >= from else { throw ShuffleProtocolError("the index file \(index) has offsets \(from) and \(to)") }
        let data = Self.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: base + ".data")
        return FileSegment(path: data, offset: from, length: to - from)
    }

    /// A cached RDD block, the whole file `rdd_R_P`.
    func rddSegment(_ info: ExecutorShuffleInfo, rddId: Int32, splitIndex: Int32) throws(ShuffleProtocolError) -> FileSegment {
        let path = Self.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: "rdd_\(rddId)_\(splitIndex)")
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw ShuffleProtocolError("Block rdd_\(rddId)_\(splitIndex) was not found")
        }
        return FileSegment(path: path, offset: 0, length: Int64(status.st_size))
    }

    /// Spark: `removeBlocks`: deletes each block's file; returns how many were deleted. Only
    /// names of block files are taken (`rdd_R_P`, `shuffle_S_M_R.index`/`.data`).
    func removeBlocks(appId: String, execId: String, blockIds: [String]) throws(ShuffleProtocolError) -> Int32 {
        let info = try registered(appId: appId, execId: execId)
        var removed: Int32 = 0
        for blockId in blockIds where Self.isBlockFileName(blockId) {
            let path = Self.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: blockId)
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }

    static func isBlockFileName(_ name: String) -> Bool {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        func numbers(_ slice: ArraySlice<Substring>) -> Bool { slice.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int64($0) != nil } }
        if parts.count == 3, parts[0] == "rdd" { return numbers(parts[1...]) }
        guard parts.count == 4, parts[0] == "shuffle" else { return false }
        let last = parts[3]
        for suffix in [".index", ".data"] where last.hasSuffix(suffix) {
            return numbers(parts[1...2] + [last.dropLast(suffix.count)])
        }
        return false
    }

    /// Spark: `diagnoseShuffleBlockCorruption`: compares the map task's checksum of the block
    /// (its `.checksum.ALGO` file) with the block's bytes on disk and the reader's checksum.
    func diagnose(
        _ info: ExecutorShuffleInfo, shuffleId: Int32, mapId: Int64, reduceId: Int32, readerChecksum: Int64, algorithm: String
    ) -> CorruptionCause {
        guard algorithm == "ADLER32" || algorithm == "CRC32" else { return .unsupportedChecksumAlgorithm }
        let name = "shuffle_\(shuffleId)_\(mapId)_0.checksum.\(algorithm)"
        let path = Self.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: name)
        guard reduceId >= 0, reduceId < .max, let segment = try? shuffleSegment(info, shuffleId: shuffleId, mapId: mapId, start: reduceId, end: reduceId + 1),
              let written = Self.readInt64(path: path, at: Int64(reduceId) * 8),
              let computed = Self.checksum(of: segment, adler: algorithm == "ADLER32")
        else { return .unknownIssue }
        if written != computed { return .diskIssue }
        return written != readerChecksum ? .networkIssue : .checksumVerifyPass
    }

    static func readInt64(path: String, at position: Int64) -> Int64? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var value: Int64 = 0
        let read = withUnsafeMutableBytes(of: &value) { pread(descriptor, $0.baseAddress, 8, off_t(position)) }
        return read == 8 ? Int64(bigEndian: value) : nil
    }

    /// Adler-32 or CRC-32 of a file segment, as Java's `Adler32`/`CRC32` give it (a long holding 32 bits).
    static func checksum(of segment: FileSegment, adler: Bool) -> Int64? {
        let descriptor = open(segment.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var value: UInt = adler ? adler32(0, nil, 0) : crc32(0, nil, 0)
        let size = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < segment.length {
            let want = Int(min(Int64(size), segment.length - done))
            let read = pread(descriptor, buffer.baseAddress, want, off_t(segment.offset + done))
            guard read > 0 else { return nil }
            let bytes = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            value = adler ? adler32(value, bytes, uInt(read)) : crc32(value, bytes, uInt(read))
            done += Int64(read)
        }
        return Int64(value)
    }
}
