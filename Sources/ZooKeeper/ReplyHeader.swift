import NIOCore

/// Precedes every server frame after the handshake (jute `ReplyHeader`).
public struct ReplyHeader: Sendable, Hashable {
    /// The request's xid, or a special xid (-1 notification, -2 ping, -8 set-watches).
    public var xid: Int32
    /// Last zxid the server committed.
    public var zxid: Int64
    /// 0, or a `ZooKeeperError.Code`; a non-zero error means no response record follows.
    public var err: Int32

    public init(xid: Int32, zxid: Int64, err: Int32) {
        self.xid = xid
        self.zxid = zxid
        self.err = err
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> ReplyHeader {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            ReplyHeader(xid: try buffer.readJuteInt("ReplyHeader.xid"), zxid: try buffer.readJuteLong("ReplyHeader.zxid"),
                        err: try buffer.readJuteInt("ReplyHeader.err"))
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(xid)
        buffer.writeJuteLong(zxid)
        buffer.writeJuteInt(err)
    }
}
