import NIOCore

/// A frame from client to server.
public enum ZooKeeperPacket: Sendable, Hashable {
    /// The first frame on a connection.
    case connect(ConnectRequest)
    /// Request header (xid, opcode) + record.
    case request(xid: Int32, ZooKeeperRequest)

    /// Writes the whole frame, length prefix included.
    public func writeFrame(into buffer: inout ByteBuffer) {
        buffer.writeZooKeeperFrame { buffer in
            switch self {
            case .connect(let request):
                request.write(into: &buffer)
            case .request(let xid, let request):
                RequestHeader(xid: xid, type: request.opCode.rawValue).write(into: &buffer)
                request.write(into: &buffer)
            }
        }
    }

    /// Parses a client frame payload (server side): the connect request first, then requests.
    public static func read(frame: inout ByteBuffer, isFirst: Bool) throws(ZooKeeperCodecError) -> ZooKeeperPacket {
        if isFirst { return .connect(try ConnectRequest.decode(frame: &frame)) }
        let header = try RequestHeader.read(from: &frame)
        return .request(xid: header.xid, try ZooKeeperRequest.read(opCode: header.type, from: &frame))
    }
}

extension ZooKeeperPacket {
    /// The frame as bytes.
    public var frameBytes: ByteBuffer {
        var buffer = ByteBuffer()
        writeFrame(into: &buffer)
        return buffer
    }
}
