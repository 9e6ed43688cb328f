import NIOCore

/// A response record after a successful reply header; its shape depends on the request's opcode.
public enum ZooKeeperResponse: Sendable, Hashable {
    /// create (1).
    case create(path: String)
    /// create2 (15), createContainer (19).
    case create2(path: String, stat: Stat)
    /// exists (3), setData (5).
    case stat(Stat)
    /// getData (4).
    case data([UInt8], Stat)
    /// getChildren (8): names, not full paths.
    case children([String])
    /// getChildren2 (12).
    case children2([String], Stat)
    /// sync (9).
    case sync(path: String)
    /// multi (14).
    case multi([MultiResult])
    /// delete, ping, closeSession, setWatches: no record.
    case empty

    /// Parses the response record for a request of type `opCode`, which must fill the rest of the frame.
    public static func read(opCode: OpCode, from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> ZooKeeperResponse {
        let response: ZooKeeperResponse
        switch opCode {
        case .create:
            response = .create(path: try buffer.readJuteString("CreateResponse.path"))
        case .create2, .createContainer:
            let path = try buffer.readJuteString("Create2Response.path")
            response = .create2(path: path, stat: try withCodecContext("Create2Response") { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
        case .exists, .setData:
            response = .stat(try withCodecContext("\(opCode)Response") { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
        case .getData:
            let data = try buffer.readJuteBuffer("GetDataResponse.data")
            response = .data(data, try withCodecContext("GetDataResponse") { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
        case .getChildren:
            response = .children(try Self.readNames("GetChildrenResponse.children", from: &buffer))
        case .getChildren2:
            let names = try Self.readNames("GetChildren2Response.children", from: &buffer)
            response = .children2(names, try withCodecContext("GetChildren2Response") { () throws(ZooKeeperCodecError) in try Stat.read(from: &buffer) })
        case .sync:
            response = .sync(path: try buffer.readJuteString("SyncResponse.path"))
        case .multi:
            response = .multi(try MultiResult.readAll(from: &buffer))
        case .delete, .ping, .closeSession, .setWatches:
            response = .empty
        case .notification, .check, .error:
            throw ZooKeeperCodecError(.unknownOpCode, "\(opCode) has no response record", context: "ReplyHeader")
        }
        try buffer.expectJuteEnd("\(opCode)Response")
        return response
    }

    private static func readNames(_ field: String, from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> [String] {
        try buffer.readJuteVector(field, minimumElementSize: 4) { (b, f) throws(ZooKeeperCodecError) in try b.readJuteString(f) }
    }

    /// Writes the response record (server side).
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .create(let path), .sync(let path):
            buffer.writeJuteString(path)
        case .create2(let path, let stat):
            buffer.writeJuteString(path)
            stat.write(into: &buffer)
        case .stat(let stat):
            stat.write(into: &buffer)
        case .data(let data, let stat):
            buffer.writeJuteBuffer(data)
            stat.write(into: &buffer)
        case .children(let names):
            buffer.writeJuteVector(names) { $0.writeJuteString($1) }
        case .children2(let names, let stat):
            buffer.writeJuteVector(names) { $0.writeJuteString($1) }
            stat.write(into: &buffer)
        case .multi(let results):
            for result in results { result.write(into: &buffer) }
            MultiHeader.end.write(into: &buffer)
        case .empty:
            break
        }
    }
}
