import NIOCore

/// One operation of an all-or-nothing `multi` (`org.apache.zookeeper.Op`).
public enum MultiOperation: Sendable, Hashable {
    /// Opcode create (1); the result is `.create(path:)`.
    case create(CreateRequest)
    case delete(path: String, version: Int32)
    case setData(path: String, data: [UInt8], version: Int32)
    /// Fails the multi unless the node's data version is `version` (-1: only that it exists).
    case check(path: String, version: Int32)

    public var opCode: OpCode {
        switch self {
        case .create: .create
        case .delete: .delete
        case .setData: .setData
        case .check: .check
        }
    }

    public var path: String {
        switch self {
        case .create(let request): request.path
        case .delete(let path, _), .setData(let path, _, _), .check(let path, _): path
        }
    }

    /// The same operation with `transform` applied to its path (chroot).
    public func mappingPath(_ transform: (String) -> String) -> MultiOperation {
        switch self {
        case .create(var request):
            request.path = transform(request.path)
            return .create(request)
        case .delete(let path, let version): return .delete(path: transform(path), version: version)
        case .setData(let path, let data, let version): return .setData(path: transform(path), data: data, version: version)
        case .check(let path, let version): return .check(path: transform(path), version: version)
        }
    }

    func write(into buffer: inout ByteBuffer) {
        MultiHeader(type: opCode.rawValue, done: false, err: -1).write(into: &buffer)
        switch self {
        case .create(let request):
            request.write(into: &buffer)
        case .delete(let path, let version), .check(let path, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteInt(version)
        case .setData(let path, let data, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteInt(version)
        }
    }

    /// Reads the operations of a `MultiTransactionRecord` up to its `done` header.
    static func readAll(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> [MultiOperation] {
        var operations: [MultiOperation] = []
        // Each operation takes at least a 9-byte header, so the frame bounds the loop.
        while true {
            let field = "MultiRequest[\(operations.count)]"
            let header = try MultiHeader.read(from: &buffer, field)
            if header.done { return operations }
            let operation: MultiOperation
            switch OpCode(rawValue: header.type) {
            case .create:
                operation = .create(try withCodecContext(field) { () throws(ZooKeeperCodecError) in try CreateRequest.read(from: &buffer) })
            case .delete:
                operation = .delete(path: try buffer.readJuteString("\(field).path"), version: try buffer.readJuteInt("\(field).version"))
            case .setData:
                operation = .setData(
                    path: try buffer.readJuteString("\(field).path"), data: try buffer.readJuteBuffer("\(field).data"),
                    version: try buffer.readJuteInt("\(field).version"))
            case .check:
                operation = .check(path: try buffer.readJuteString("\(field).path"), version: try buffer.readJuteInt("\(field).version"))
            case .notification, .exists, .getData, .getChildren, .sync, .ping, .getChildren2, .multi, .create2,
                 .createContainer, .setWatches, .error, .closeSession, nil:
                throw ZooKeeperCodecError(.unknownOpCode, "operation type \(header.type) is not allowed in a multi", context: field)
            }
            operations.append(operation)
        }
    }
}
