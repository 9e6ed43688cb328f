import NIOCore

/// The first frame a client sends (jute `ConnectRequest`); it has no request header.
public struct ConnectRequest: Sendable, Hashable {
    public var protocolVersion: Int32
    /// Highest zxid this client has seen; a server that is behind refuses the client.
    public var lastZxidSeen: Int64
    /// Requested session timeout, ms.
    public var timeoutMs: Int32
    /// 0 for a new session, else the session to resume.
    public var sessionID: Int64
    /// 16 zero bytes for a new session, else the session's password.
    public var password: [UInt8]
    /// Whether a read-only server may accept us (always false here).
    public var readOnly: Bool

    public init(protocolVersion: Int32 = 0, lastZxidSeen: Int64, timeoutMs: Int32, sessionID: Int64, password: [UInt8], readOnly: Bool = false) {
        self.protocolVersion = protocolVersion
        self.lastZxidSeen = lastZxidSeen
        self.timeoutMs = timeoutMs
        self.sessionID = sessionID
        self.password = password
        self.readOnly = readOnly
    }

    /// Parses a whole frame payload; `readOnly` is optional (old clients leave it out).
    public static func decode(frame: inout ByteBuffer) throws(ZooKeeperCodecError) -> ConnectRequest {
        try withCodecContext("ConnectRequest") { () throws(ZooKeeperCodecError) in
            let request = ConnectRequest(
                protocolVersion: try frame.readJuteInt("protocolVersion"), lastZxidSeen: try frame.readJuteLong("lastZxidSeen"),
                timeoutMs: try frame.readJuteInt("timeOut"), sessionID: try frame.readJuteLong("sessionId"),
                password: try frame.readJuteBuffer("passwd"),
                readOnly: frame.readableBytes > 0 ? try frame.readJuteBool("readOnly") : false)
            try frame.expectJuteEnd("")
            return request
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(protocolVersion)
        buffer.writeJuteLong(lastZxidSeen)
        buffer.writeJuteInt(timeoutMs)
        buffer.writeJuteLong(sessionID)
        buffer.writeJuteBuffer(password)
        buffer.writeJuteBool(readOnly)
    }
}
