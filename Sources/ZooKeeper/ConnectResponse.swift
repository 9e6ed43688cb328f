import NIOCore

/// The server's answer to `ConnectRequest` (jute `ConnectResponse`); no reply header.
/// A `timeoutMs` of 0 or less means the session to resume has expired (or its password was wrong).
public struct ConnectResponse: Sendable, Hashable {
    public var protocolVersion: Int32
    /// Negotiated session timeout, ms (the request clamped to the server's min/max).
    public var timeoutMs: Int32
    public var sessionID: Int64
    /// The session's password (16 bytes), needed to resume it on another connection.
    public var password: [UInt8]
    /// Whether the server is in read-only mode (old servers omit the byte: false).
    public var readOnly: Bool

    public init(protocolVersion: Int32 = 0, timeoutMs: Int32, sessionID: Int64, password: [UInt8], readOnly: Bool = false) {
        self.protocolVersion = protocolVersion
        self.timeoutMs = timeoutMs
        self.sessionID = sessionID
        self.password = password
        self.readOnly = readOnly
    }

    public static func decode(frame: inout ByteBuffer) throws(ZooKeeperCodecError) -> ConnectResponse {
        try withCodecContext("ConnectResponse") { () throws(ZooKeeperCodecError) in
            let response = ConnectResponse(
                protocolVersion: try frame.readJuteInt("protocolVersion"), timeoutMs: try frame.readJuteInt("timeOut"),
                sessionID: try frame.readJuteLong("sessionId"), password: try frame.readJuteBuffer("passwd"),
                // Servers before 3.4 do not send the read-only flag.
                readOnly: frame.readableBytes > 0 ? try frame.readJuteBool("readOnly") : false)
            try frame.expectJuteEnd("")
            return response
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(protocolVersion)
        buffer.writeJuteInt(timeoutMs)
        buffer.writeJuteLong(sessionID)
        buffer.writeJuteBuffer(password)
        buffer.writeJuteBool(readOnly)
    }
}
