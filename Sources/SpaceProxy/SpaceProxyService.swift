import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The `web` process: an authenticating reverse proxy in front of the Spark UIs of a private space.
///
/// ```
/// browser ──HTTP/1.1──▶ SpaceProxyChannel ─▶ SpaceProxyResponder
///                        (limits, guard,       │ BasicAuthenticator   401 / 503
///                         idle timeout)        │ ProxyRouter          /set-backend → 302 + cookie,
///                                              │                      chooser page, 400 / 403
///                                              ▼ BackendConnector     502 / 504
///                                    one HTTP/1.1 connection per request to <host>.app.localspace:<port>
///                                    (headers rewritten by HeaderRewriting, bodies streamed both ways)
/// ```
///
/// A `Service`: on graceful shutdown (SIGTERM on a dyno restart) it stops accepting, lets the requests in
/// flight finish, closes idle keep-alive connections, and returns.
public struct SpaceProxyService: Service {
    public let configuration: SpaceProxyConfiguration
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let onListening: (@Sendable (SocketAddress) async -> Void)?

    /// - Parameter onListening: called once with the bound address (tests use it to learn the port).
    public init(
        configuration: SpaceProxyConfiguration, logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: (@Sendable (SocketAddress) async -> Void)? = nil
    ) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = self.configuration
        let responder = SpaceProxyResponder(
            authenticator: BasicAuthenticator(users: configuration.users),
            router: ProxyRouter(policy: configuration.policy, cookieName: configuration.cookieName),
            connector: BackendConnector(
                connectTimeout: configuration.connectTimeout, idleTimeout: configuration.backendTimeout,
                maximumResponseHeaderBytes: 80 * 1024),
            realm: configuration.realm, logger: logger)
        let channel = SpaceProxyChannel(
            responder: { request, writer, channel in
                try await responder.respond(to: request, writer: writer, channel: channel)
            },
            clientTimeout: configuration.clientTimeout, maximumHeaderCount: configuration.maximumHeaderCount,
            maximumHeaderBytes: configuration.maximumHeaderBytes)

        var serverLogger = logger
        serverLogger[metadataKey: "proxy/component"] = "server"
        let logger = self.logger
        let onListening = self.onListening
        let server = Server(
            childChannelSetup: channel,
            configuration: ServerConfiguration(
                address: .hostname(configuration.bindHost, port: configuration.port),
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maximumConnections)),
            onServerRunning: { serverChannel in
                guard let address = serverChannel.localAddress else { return }
                logger.info(
                    "listening",
                    metadata: [
                        "proxy/address": "\(address)",
                        "proxy/authentication": "\(configuration.users.map { "\($0.entries.count) user(s)" } ?? "anonymous")",
                        "proxy/default-backend": "\(configuration.policy.defaultBackend?.authority ?? "none")",
                        "proxy/allowed-backends": "*\(BackendPolicy.spaceDomainSuffix)\(configuration.policy.rules.map { ", \($0)" }.joined())",
                    ])
                await onListening?(address)
            },
            eventLoopGroup: eventLoopGroup,
            logger: serverLogger)
        try await server.run()
        logger.info("stopped")
    }
}
