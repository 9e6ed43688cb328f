import ZooKeeper

/// How a `ZooKeeperClient` connects and times its session.
public struct ZooKeeperClientConfiguration: Sendable, Hashable {
    /// `host1:port1,host2:port2[/chroot]` (Spark: `spark.deploy.zookeeper.url`).
    public var connectString: ConnectString
    /// Requested session timeout. Default 6 s, short for fast failover: a leader that dies without
    /// closing its session loses its latch node ~6 s later (Spark's Curator asks for 60 s). The
    /// server clamps it to [2, 20] × tickTime (4–40 s with the default tickTime of 2 s).
    public var sessionTimeout: Duration
    /// Per connection attempt (TCP + handshake); nil: session timeout / number of servers.
    public var connectTimeout: Duration?
    /// Back-off after every server failed once (jittered 50–100 %).
    public var reconnectDelay: Duration
    /// How long `close` waits for the server to confirm closeSession.
    public var closeTimeout: Duration
    /// Largest frame accepted from a server.
    public var maxFrameSize: Int

    public init(
        connectString: ConnectString, sessionTimeout: Duration = .seconds(6), connectTimeout: Duration? = nil,
        reconnectDelay: Duration = .seconds(1), closeTimeout: Duration = .seconds(2),
        maxFrameSize: Int = ZooKeeperFrameDecoder.defaultMaxFrameSize
    ) {
        self.connectString = connectString
        self.sessionTimeout = sessionTimeout
        self.connectTimeout = connectTimeout
        self.reconnectDelay = reconnectDelay
        self.closeTimeout = closeTimeout
        self.maxFrameSize = maxFrameSize
    }

    /// Parses `connectString`.
    public init(connectString: String, sessionTimeout: Duration = .seconds(6)) throws(ZooKeeperError) {
        self.init(connectString: try ConnectString(parsing: connectString), sessionTimeout: sessionTimeout)
    }

    var sessionConfiguration: ZooKeeperSession.Configuration {
        ZooKeeperSession.Configuration(
            connectString: connectString,
            sessionTimeoutMs: Int32(clamping: sessionTimeout.milliseconds),
            connectTimeoutMs: connectTimeout.map(\.milliseconds),
            reconnectDelayMs: reconnectDelay.milliseconds,
            closeTimeoutMs: closeTimeout.milliseconds)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
