import NIOCore

/// Where an executor keeps its block files (Spark: `ExecutorShuffleInfo`).
public struct ExecutorShuffleInfo: Sendable, Equatable {
    /// The executor's `blockmgr-*` directories.
    public var localDirs: [String]
    /// `spark.diskStore.subDirectories` of the executor (64 by default).
    public var subDirsPerLocalDir: Int32
    /// The shuffle manager's class name (not checked, as in Spark 3.5 and 4).
    public var shuffleManager: String

    public init(localDirs: [String], subDirsPerLocalDir: Int32, shuffleManager: String) {
        self.localDirs = localDirs
        self.subDirsPerLocalDir = subDirsPerLocalDir
        self.shuffleManager = shuffleManager
    }
}

/// The requests of Spark's external shuffle protocol (`BlockTransferMessage`, the body of an
/// `RpcRequest`: a type byte, then the fields, big-endian; strings are an int32 length and UTF-8).
public enum ShuffleRequest: Sendable, Equatable {
    /// 0: blocks by id (`rdd_R_P`, or `shuffle_S_M_R` with the old fetch protocol).
    case openBlocks(appId: String, execId: String, blockIds: [String])
    /// 2: an executor says where its files are.
    case registerExecutor(appId: String, execId: String, info: ExecutorShuffleInfo)
    /// 7: delete block files (cached RDD blocks; shuffle files of a removed shuffle).
    case removeBlocks(appId: String, execId: String, blockIds: [String])
    /// 9: shuffle blocks of one shuffle: for each map id its reduce ids, or with `batch` one
    /// `[start, end)` range of reduce ids.
    case fetchShuffleBlocks(appId: String, execId: String, shuffleId: Int32, mapIds: [Int64], reduceIds: [[Int32]], batch: Bool)
    /// 10: the local directories of executors, for reading host-local blocks from disk.
    case getLocalDirsForExecutors(appId: String, execIds: [String])
    /// 16: why a fetched block's checksum did not match.
    case diagnoseCorruption(
        appId: String, execId: String, shuffleId: Int32, mapId: Int64, reduceId: Int32, checksum: Int64, algorithm: String)
    /// Any other type: push-based shuffle (YARN only), replies, and what Spark 4 no longer decodes.
    case unsupported(type: UInt8)

    /// The longest string accepted (application and executor ids, paths, block ids).
    public static let maxStringBytes = 4096

    /// Decodes one message; throws on anything malformed or trailing.
    public static func decode(_ body: ByteBuffer) throws(ShuffleProtocolError) -> ShuffleRequest {
        var reader = ShuffleWireReader(buffer: body)
        let type = try reader.byte()
        let request: ShuffleRequest
        switch type {
        case 0:
            request = .openBlocks(appId: try reader.string(), execId: try reader.string(), blockIds: try reader.strings())
        case 2:
            let appId = try reader.string(), execId = try reader.string()
            let info = ExecutorShuffleInfo(localDirs: try reader.strings(), subDirsPerLocalDir: try reader.int32(), shuffleManager: try reader.string())
            request = .registerExecutor(appId: appId, execId: execId, info: info)
        case 7:
            request = .removeBlocks(appId: try reader.string(), execId: try reader.string(), blockIds: try reader.strings())
        case 9:
            let appId = try reader.string(), execId = try reader.string(), shuffleId = try reader.int32()
            let mapIds = try reader.int64s()
            let count = try reader.count(elementBytes: 4)
            guard count == mapIds.count else {
                throw ShuffleProtocolError("FetchShuffleBlocks has \(mapIds.count) map ids and \(count) reduce id lists")
            }
            var reduceIds: [[Int32]] = []
            reduceIds.reserveCapacity(count)
            for _ in 0..<count { reduceIds.append(try reader.int32s()) }
            let batch = try reader.byte() != 0
            if batch, let bad = reduceIds.first(where: { $0.count != 2 }) {
                throw ShuffleProtocolError("a batch fetch needs [start, end) reduce ids, not \(bad.count) of them")
            }
            request = .fetchShuffleBlocks(appId: appId, execId: execId, shuffleId: shuffleId, mapIds: mapIds, reduceIds: reduceIds, batch: batch)
        case 10:
            request = .getLocalDirsForExecutors(appId: try reader.string(), execIds: try reader.strings())
        case 16:
            request = .diagnoseCorruption(
                appId: try reader.string(), execId: try reader.string(), shuffleId: try reader.int32(), mapId: try reader.int64(),
                reduceId: try reader.int32(), checksum: try reader.int64(), algorithm: try reader.string())
        default:
            return .unsupported(type: type)
        }
        guard reader.buffer.readableBytes == 0 else {
            throw ShuffleProtocolError("\(reader.buffer.readableBytes) bytes after a message of type \(type)")
        }
        return request
    }
}

/// The shuffle service's answers (`BlockTransferMessage`s it sends).
public enum ShuffleReply: Sendable, Equatable {
    /// 3: the stream that serves the blocks asked for, one chunk each.
    case streamHandle(streamId: Int64, numChunks: Int32)
    /// 8
    case blocksRemoved(Int32)
    /// 11: for each executor asked about, its number of directories, then all directories in order.
    case localDirsForExecutors(execIds: [String], dirs: [[String]])
    /// 17: a `Cause` ordinal.
    case corruptionCause(CorruptionCause)

    public func encoded() -> ByteBuffer {
        var out = ByteBuffer()
        func write(_ string: String) {
            out.writeInteger(Int32(string.utf8.count))
            out.writeString(string)
        }
        switch self {
        case .streamHandle(let streamId, let numChunks):
            out.writeInteger(UInt8(3))
            out.writeInteger(streamId)
            out.writeInteger(numChunks)
        case .blocksRemoved(let count):
            out.writeInteger(UInt8(8))
            out.writeInteger(count)
        case .localDirsForExecutors(let execIds, let dirs):
            out.writeInteger(UInt8(11))
            out.writeInteger(Int32(execIds.count))
            execIds.forEach(write)
            out.writeInteger(Int32(dirs.count))
            for list in dirs { out.writeInteger(Int32(list.count)) }
            let all = dirs.flatMap { $0 }
            out.writeInteger(Int32(all.count))
            all.forEach(write)
        case .corruptionCause(let cause):
            out.writeInteger(UInt8(17))
            out.writeInteger(cause.rawValue)
        }
        return out
    }
}

/// Spark's `Cause` of a checksum mismatch, by ordinal.
public enum CorruptionCause: UInt8, Sendable {
    case diskIssue = 0
    case networkIssue = 1
    case unknownIssue = 2
    case checksumVerifyPass = 3
    case unsupportedChecksumAlgorithm = 4
}

/// A request the shuffle service cannot decode or serve; sent back as the failure's text.
public struct ShuffleProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads the protocol's fields, every count checked against the bytes that remain.
struct ShuffleWireReader {
    var buffer: ByteBuffer

    mutating func byte() throws(ShuffleProtocolError) -> UInt8 {
        guard let value = buffer.readInteger(as: UInt8.self) else { throw truncated }
        return value
    }

    mutating func int32() throws(ShuffleProtocolError) -> Int32 {
        guard let value = buffer.readInteger(as: Int32.self) else { throw truncated }
        return value
    }

    mutating func int64() throws(ShuffleProtocolError) -> Int64 {
        guard let value = buffer.readInteger(as: Int64.self) else { throw truncated }
        return value
    }

    /// An array's count, at most what the remaining bytes can hold at `elementBytes` each.
    mutating func count(elementBytes: Int) throws(ShuffleProtocolError) -> Int {
        let count = try int32()
        guard count >= 0, Int(count) <= buffer.readableBytes / elementBytes else {
            throw ShuffleProtocolError("an array of \(count) elements in \(buffer.readableBytes) bytes")
        }
        return Int(count)
    }

    mutating func string() throws(ShuffleProtocolError) -> String {
        let length = try int32()
        guard length >= 0, length <= ShuffleRequest.maxStringBytes, let bytes = buffer.readBytes(length: Int(length)) else {
            throw ShuffleProtocolError("a string of \(length) bytes (at most \(ShuffleRequest.maxStringBytes), \(buffer.readableBytes) left)")
        }
        guard let string = String(validating: bytes, as: UTF8.self) else { throw ShuffleProtocolError("a string that is not UTF-8") }
        return string
    }

    mutating func strings() throws(ShuffleProtocolError) -> [String] {
        try array(elementBytes: 4) { (reader: inout Self) throws(ShuffleProtocolError) in try reader.string() }
    }

    mutating func int32s() throws(ShuffleProtocolError) -> [Int32] {
        try array(elementBytes: 4) { (reader: inout Self) throws(ShuffleProtocolError) in try reader.int32() }
    }

    mutating func int64s() throws(ShuffleProtocolError) -> [Int64] {
        try array(elementBytes: 8) { (reader: inout Self) throws(ShuffleProtocolError) in try reader.int64() }
    }

    /// A counted array; each element takes at least `elementBytes`.
    private mutating func array<Element>(
        elementBytes: Int, _ read: (inout Self) throws(ShuffleProtocolError) -> Element
    ) throws(ShuffleProtocolError) -> [Element] {
        let count = try count(elementBytes: elementBytes)
        var result: [Element] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try read(&self)) }
        return result
    }

    private var truncated: ShuffleProtocolError { ShuffleProtocolError("a message cut short") }
}
