import NIOCore

/// A frame from server to client.
public enum ZooKeeperServerPacket: Sendable, Hashable {
    /// The answer to the connect request.
    case connected(ConnectResponse)
    /// A reply; `response` is `.empty` when `header.err` is not 0 (no record follows then).
    case reply(ReplyHeader, ZooKeeperResponse)
    /// A watch notification (xid -1).
    case notification(zxid: Int64, WatcherEvent)

    /// Writes the whole frame, length prefix included.
    public func writeFrame(into buffer: inout ByteBuffer) {
        buffer.writeZooKeeperFrame { buffer in
            switch self {
            case .connected(let response):
                response.write(into: &buffer)
            case .reply(let header, let response):
                header.write(into: &buffer)
                if header.err == 0 { response.write(into: &buffer) }
            case .notification(let zxid, let event):
                ReplyHeader(xid: SpecialXid.notification, zxid: zxid, err: 0).write(into: &buffer)
                event.write(into: &buffer)
            }
        }
    }

    /// The frame as bytes.
    public var frameBytes: ByteBuffer {
        var buffer = ByteBuffer()
        writeFrame(into: &buffer)
        return buffer
    }
}
