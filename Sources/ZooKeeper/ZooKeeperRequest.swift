import NIOCore

/// A request record after the request header, one case per opcode.
public enum ZooKeeperRequest: Sendable, Hashable {
    /// create (1): answered by `.create(path:)`. Not for `.container` (use `createContainer`).
    case create(CreateRequest)
    /// create2 (15): answered by `.create2(path:stat:)`.
    case create2(CreateRequest)
    /// createContainer (19): the mode must be `.container`; answered by `.create2(path:stat:)`.
    case createContainer(CreateRequest)
    /// delete (2); version -1 deletes any version.
    case delete(path: String, version: Int32)
    /// exists (3): a watch is left even when the node is missing (NONODE).
    case exists(path: String, watch: Bool)
    case getData(path: String, watch: Bool)
    case setData(path: String, data: [UInt8], version: Int32)
    case getChildren(path: String, watch: Bool)
    case getChildren2(path: String, watch: Bool)
    case sync(path: String)
    case multi([MultiOperation])
    /// ping (11), xid -2, no record.
    case ping
    /// closeSession (-11), no record: the server drops the session and its ephemeral nodes.
    case closeSession
    /// setWatches (101), xid -8.
    case setWatches(SetWatches)

    public var opCode: OpCode {
        switch self {
        case .create: .create
        case .create2: .create2
        case .createContainer: .createContainer
        case .delete: .delete
        case .exists: .exists
        case .getData: .getData
        case .setData: .setData
        case .getChildren: .getChildren
        case .getChildren2: .getChildren2
        case .sync: .sync
        case .multi: .multi
        case .ping: .ping
        case .closeSession: .closeSession
        case .setWatches: .setWatches
        }
    }

    /// The path the request is about (the first operation's for a multi).
    public var path: String? {
        switch self {
        case .create(let request), .create2(let request), .createContainer(let request): request.path
        case .delete(let path, _), .exists(let path, _), .getData(let path, _), .setData(let path, _, _),
             .getChildren(let path, _), .getChildren2(let path, _), .sync(let path):
            path
        case .multi(let operations): operations.first?.path
        case .ping, .closeSession, .setWatches: nil
        }
    }

    /// Whether the request asks the server to leave a watch.
    public var watch: Bool {
        switch self {
        case .exists(_, let watch), .getData(_, let watch), .getChildren(_, let watch), .getChildren2(_, let watch): watch
        case .create, .create2, .createContainer, .delete, .setData, .sync, .multi, .ping, .closeSession, .setWatches: false
        }
    }

    /// The same request with `transform` applied to every path in it (chroot).
    public func mappingPaths(_ transform: (String) -> String) -> ZooKeeperRequest {
        switch self {
        case .create(var request):
            request.path = transform(request.path)
            return .create(request)
        case .create2(var request):
            request.path = transform(request.path)
            return .create2(request)
        case .createContainer(var request):
            request.path = transform(request.path)
            return .createContainer(request)
        case .delete(let path, let version): return .delete(path: transform(path), version: version)
        case .exists(let path, let watch): return .exists(path: transform(path), watch: watch)
        case .getData(let path, let watch): return .getData(path: transform(path), watch: watch)
        case .setData(let path, let data, let version): return .setData(path: transform(path), data: data, version: version)
        case .getChildren(let path, let watch): return .getChildren(path: transform(path), watch: watch)
        case .getChildren2(let path, let watch): return .getChildren2(path: transform(path), watch: watch)
        case .sync(let path): return .sync(path: transform(path))
        case .multi(let operations): return .multi(operations.map { $0.mappingPath(transform) })
        case .setWatches(var watches):
            watches.dataWatches = watches.dataWatches.map(transform)
            watches.existWatches = watches.existWatches.map(transform)
            watches.childWatches = watches.childWatches.map(transform)
            return .setWatches(watches)
        case .ping, .closeSession: return self
        }
    }

    /// Writes the request record (without header).
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .create(let request), .create2(let request), .createContainer(let request):
            request.write(into: &buffer)
        case .delete(let path, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteInt(version)
        case .exists(let path, let watch), .getData(let path, let watch), .getChildren(let path, let watch),
             .getChildren2(let path, let watch):
            buffer.writeJuteString(path)
            buffer.writeJuteBool(watch)
        case .setData(let path, let data, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteInt(version)
        case .sync(let path):
            buffer.writeJuteString(path)
        case .multi(let operations):
            for operation in operations { operation.write(into: &buffer) }
            MultiHeader.end.write(into: &buffer)
        case .setWatches(let watches):
            watches.write(into: &buffer)
        case .ping, .closeSession:
            break
        }
    }

    /// Parses the record of a request of type `opCode` filling the rest of a frame (server side).
    public static func read(opCode type: Int32, from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> ZooKeeperRequest {
        guard let opCode = OpCode(rawValue: type) else {
            throw ZooKeeperCodecError(.unknownOpCode, "request type \(type) is not supported", context: "RequestHeader.type")
        }
        let request: ZooKeeperRequest
        switch opCode {
        case .create:
            request = .create(try CreateRequest.read(from: &buffer))
        case .create2:
            request = .create2(try CreateRequest.read(from: &buffer))
        case .createContainer:
            request = .createContainer(try CreateRequest.read(from: &buffer))
        case .delete:
            request = .delete(path: try buffer.readJuteString("DeleteRequest.path"), version: try buffer.readJuteInt("DeleteRequest.version"))
        case .exists:
            request = .exists(path: try buffer.readJuteString("ExistsRequest.path"), watch: try buffer.readJuteBool("ExistsRequest.watch"))
        case .getData:
            request = .getData(path: try buffer.readJuteString("GetDataRequest.path"), watch: try buffer.readJuteBool("GetDataRequest.watch"))
        case .setData:
            request = .setData(
                path: try buffer.readJuteString("SetDataRequest.path"), data: try buffer.readJuteBuffer("SetDataRequest.data"),
                version: try buffer.readJuteInt("SetDataRequest.version"))
        case .getChildren:
            request = .getChildren(path: try buffer.readJuteString("GetChildrenRequest.path"), watch: try buffer.readJuteBool("GetChildrenRequest.watch"))
        case .getChildren2:
            request = .getChildren2(path: try buffer.readJuteString("GetChildren2Request.path"), watch: try buffer.readJuteBool("GetChildren2Request.watch"))
        case .sync:
            request = .sync(path: try buffer.readJuteString("SyncRequest.path"))
        case .multi:
            request = .multi(try MultiOperation.readAll(from: &buffer))
        case .ping:
            request = .ping
        case .closeSession:
            request = .closeSession
        case .setWatches:
            request = .setWatches(try SetWatches.read(from: &buffer))
        case .notification, .check, .error:
            throw ZooKeeperCodecError(.unknownOpCode, "\(opCode) is not a request on its own", context: "RequestHeader.type")
        }
        try buffer.expectJuteEnd("\(opCode)Request")
        return request
    }
}
