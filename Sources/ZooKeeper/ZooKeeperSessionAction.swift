/// Identifies a request the shell submitted, so it can complete the right waiter.
public struct ZooKeeperRequestID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "request#\(rawValue)" }
}

/// Identifies one connection attempt; inputs about an older connection are ignored.
public struct ZooKeeperConnectionID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "connection#\(rawValue)" }
}

/// Timers the session schedules; scheduling one that is pending replaces it.
public enum ZooKeeperTimer: Sendable, Hashable, CaseIterable {
    /// TCP connect + handshake deadline of the current attempt.
    case connect
    /// Send a ping after ⅓ of the session timeout without sending.
    case ping
    /// Declare the connection dead after ⅔ of the session timeout without receiving.
    case readTimeout
    /// End of the back-off between rounds of connection attempts.
    case reconnect
    /// Disconnected for a whole session timeout: the session is given up locally.
    case sessionExpiry
    /// Deadline for the server's answer to closeSession.
    case close
}

/// What happened to the session (Curator's connection states in brackets).
public enum ZooKeeperSessionEvent: Sendable, Hashable {
    /// A new session was established [CONNECTED; after an expiry, RECONNECTED with a new session].
    case connected(sessionID: Int64, timeoutMs: Int32, server: ZooKeeperServerAddress)
    /// The connection was lost; the session may still be alive on the servers [SUSPENDED].
    case disconnected
    /// The same session is back on a new connection; watches were re-registered [RECONNECTED].
    case reconnected(sessionID: Int64, server: ZooKeeperServerAddress)
    /// The session is gone (a server said so, or it was unreachable for a whole session timeout):
    /// its ephemeral nodes are deleted or will be, its watches are lost [LOST].
    case expired(sessionID: Int64)
    /// `close` finished.
    case closed
}

/// A fired one-shot watch, with its path relative to the chroot.
public struct ZooKeeperWatchEvent: Sendable, Hashable {
    public var type: EventType
    public var path: String

    public init(type: EventType, path: String) {
        self.type = type
        self.path = path
    }
}

public enum ZooKeeperLogLevel: Sendable, Hashable {
    case debug, info, warning
}

/// An effect the shell performs for `ZooKeeperSession`.
public enum ZooKeeperSessionAction: Sendable, Hashable {
    /// Open a TCP connection to `server`; report `connectionEstablished`/`connectionFailed` with this id.
    case connect(ZooKeeperConnectionID, ZooKeeperServerAddress)
    /// Write one frame on the connection.
    case send(ZooKeeperConnectionID, ZooKeeperPacket)
    /// Close the connection (it may already be closed).
    case closeConnection(ZooKeeperConnectionID)
    case scheduleTimer(ZooKeeperTimer, afterMs: Int64)
    case cancelTimer(ZooKeeperTimer)
    /// A request completed; paths in the response are relative to the chroot.
    case succeed(ZooKeeperRequestID, ZooKeeperResponse)
    case fail(ZooKeeperRequestID, ZooKeeperError)
    case sessionEvent(ZooKeeperSessionEvent)
    case watchEvent(ZooKeeperWatchEvent)
    case log(ZooKeeperLogLevel, String)
}
