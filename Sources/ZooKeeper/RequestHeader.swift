import NIOCore

/// Precedes every client request after the handshake (jute `RequestHeader`).
public struct RequestHeader: Sendable, Hashable {
    public var xid: Int32
    /// The opcode.
    public var type: Int32

    public init(xid: Int32, type: Int32) {
        self.xid = xid
        self.type = type
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> RequestHeader {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            RequestHeader(xid: try buffer.readJuteInt("RequestHeader.xid"), type: try buffer.readJuteInt("RequestHeader.type"))
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(xid)
        buffer.writeJuteInt(type)
    }
}
