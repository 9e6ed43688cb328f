import NIOCore

/// One operation's outcome in a `multi` reply (`org.apache.zookeeper.OpResult`).
public enum MultiResult: Sendable, Hashable {
    case create(path: String)
    case create2(path: String, stat: Stat)
    case delete
    case setData(Stat)
    case check
    /// The operation failed (or was rolled back: `runtimeInconsistency`; or was fine but the multi
    /// failed: `ok`).
    case error(ZooKeeperError.Code)

    public var error: ZooKeeperError.Code? {
        switch self {
        case .error(let code): code
        case .create, .create2, .delete, .setData, .check: nil
        }
    }

    func mappingPath(_ transform: (String) -> String) -> MultiResult {
        switch self {
        case .create(let path): .create(path: transform(path))
        case .create2(let path, let stat): .create2(path: transform(path), stat: stat)
        case .delete, .setData, .check, .error: self
        }
    }

    func write(into buffer: inout ByteBuffer) {
        switch self {
        case .create(let path):
            MultiHeader(type: OpCode.create.rawValue, done: false, err: 0).write(into: &buffer)
            buffer.writeJuteString(path)
        case .create2(let path, let stat):
            MultiHeader(type: OpCode.create2.rawValue, done: false, err: 0).write(into: &buffer)
            buffer.writeJuteString(path)
            stat.write(into: &buffer)
        case .delete:
            MultiHeader(type: OpCode.delete.rawValue, done: false, err: 0).write(into: &buffer)
        case .setData(let stat):
            MultiHeader(type: OpCode.setData.rawValue, done: false, err: 0).write(into: &buffer)
            stat.write(into: &buffer)
        case .check:
            MultiHeader(type: OpCode.check.rawValue, done: false, err: 0).write(into: &buffer)
        case .error(let code):
            MultiHeader(type: OpCode.error.rawValue, done: false, err: code.rawValue).write(into: &buffer)
            buffer.writeJuteInt(code.rawValue)
        }
    }

    /// Reads the results of a `MultiResponse` up to its `done` header.
    static func readAll(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> [MultiResult] {
        var results: [MultiResult] = []
        while true {
            let field = "MultiResponse[\(results.count)]"
            let header = try MultiHeader.read(from: &buffer, field)
            if header.done { return results }
            let result: MultiResult
            switch OpCode(rawValue: header.type) {
            case .create: result = .create(path: try buffer.readJuteString("\(field).path"))
            case .create2, .createContainer:
                result = .create2(path: try buffer.readJuteString("\(field).path"),
                                  stat: try withCodecContext(field) { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
            case .delete: result = .delete
            case .setData: result = .setData(try withCodecContext(field) { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
            case .check: result = .check
            case .error: result = .error(ZooKeeperError.Code(rawValue: try buffer.readJuteInt("\(field).err")))
            case .notification, .exists, .getData, .getChildren, .sync, .ping, .getChildren2, .multi,
                 .setWatches, .closeSession, nil:
                throw ZooKeeperCodecError(.unknownOpCode, "result type \(header.type) is not a multi result", context: field)
            }
            results.append(result)
        }
    }
}
