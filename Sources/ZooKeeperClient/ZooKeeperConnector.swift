import NIOCore
import NIOPosix
import ZooKeeper

/// Opens the byte stream to a server; the client installs its handlers with `initializer`.
/// `.tcp` is the real thing; tests pass a connector that returns an in-memory channel.
public struct ZooKeeperConnector: Sendable {
    public typealias Initializer = @Sendable (any Channel) -> EventLoopFuture<Void>

    let open: @Sendable (ZooKeeperServerAddress, any EventLoop, TimeAmount, @escaping Initializer) -> EventLoopFuture<any Channel>

    /// `open` must return a channel on the given event loop, with `initializer` applied.
    public init(open: @escaping @Sendable (ZooKeeperServerAddress, any EventLoop, TimeAmount, @escaping Initializer) -> EventLoopFuture<any Channel>) {
        self.open = open
    }

    /// TCP via `ClientBootstrap`, with TCP_NODELAY.
    public static let tcp = ZooKeeperConnector { server, eventLoop, timeout, initializer in
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
            .connect(host: server.host, port: server.port)
    }
}
