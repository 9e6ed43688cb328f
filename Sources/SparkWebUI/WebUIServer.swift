import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SparkConfig
import SparkDaemon

/// An HTTP server of a daemon (a web UI, the master's REST server), bound as Spark binds its
/// services (`Utils.startServiceOnPort`): the port asked for, else the next ones while binding
/// fails (Spark retries on any bind exception: a port taken, or refused to this user), and run
/// as a service so that it stops gracefully.
public struct WebUIServer: Sendable {
    /// How long a web UI connection may stay silent, between requests or inside one, before it
    /// is closed (Spark's UI connectors: 8 s, against slow clients holding connections open).
    public static let idleTimeout = TimeAmount.seconds(8)

    /// Connections a server holds at once. Beyond them new connections are not accepted: they wait
    /// in the listen backlog until one closes (silent ones are closed after the idle timeout), then
    /// the kernel refuses more. Jetty sets no such bound; it keeps a flood of clients from taking
    /// every file descriptor of the daemon, its RPC port's included, and bounds the requests of the
    /// REST server that wait for a slot.
    public static let maximumConnections = 1024

    /// The port bound.
    public let port: Int
    private let server: ServiceGroup
    private let stopped: AsyncStream<Void>

    /// Binds `port` (0: any), or failing that one of the `retries` ports after it, logging as
    /// Spark does for `serviceName` (nil: the unnamed service of Spark's REST server), and serves
    /// `responder` from a task that `addTask` starts. `serverLogger` is Hummingbird's. A request
    /// whose headers exceed `maximumHeaderBytes` (Jetty's `requestHeaderSize`, 8 KiB unless set)
    /// gets 400 and its connection is closed.
    public static func start<Responder: HTTPResponder>(
        serviceName: String?, responder: Responder, idleTimeout: TimeAmount,
        maximumHeaderBytes: Int = WebUIHeaderSettings.defaultMaximumRequestHeaderBytes, maximumConnections: Int = maximumConnections,
        host: String, port: Int, retries: Int,
        eventLoopGroup: (any EventLoopGroup)? = nil, logger: Logger, serverLogger: Logger,
        addTask: (@escaping @Sendable () async -> Void) -> Void
    ) async throws(Daemon.ServiceStartFailure) -> WebUIServer where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        try await Daemon.startServiceOnPort(port, retries: retries, serviceName: serviceName, logger: logger) { candidate in
            let (events, sink) = AsyncStream.makeStream(of: Result<Int, BindFailure>.self)
            // Set once bound: a failure after it is the server's end, not a bind failure.
            let bound = NIOLockedValueBox(false)
            let application = Application(
                responder: responder,
                // A client that stops taking a streamed response is closed after the idle timeout
                // too, as Jetty closes it; Hummingbird's idle timer does not run while a body streams.
                server: .http1(configuration: .init(
                    additionalChannelHandlers: [WriteStallGuard(timeout: idleTimeout, logger: serverLogger, metadataPrefix: "http")],
                    idleTimeout: idleTimeout,
                    // The decoder counts the target, names and values; Jetty the whole head.
                    // Jetty does not count fields; a field takes at least four bytes.
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: maximumHeaderBytes, maxHeaderListSize: maximumHeaderBytes,
                        maxHeaderFieldCount: max(1000, maximumHeaderBytes / 4)))),
                configuration: .init(
                    address: .hostname(host, port: candidate), serverName: nil, reuseAddress: true,
                    availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: serverLogger)),
                onServerRunning: { channel in sink.yield(.success(channel.localAddress?.port ?? candidate)) },
                eventLoopGroupProvider: eventLoopGroup.map { .shared($0) } ?? .singleton,
                logger: serverLogger)
            let server = ServiceGroup(configuration: .init(services: [application], logger: serverLogger))
            let (stopped, stoppedSink) = AsyncStream.makeStream(of: Void.self)
            let service = serviceName.map { " '\($0)'" } ?? ""
            addTask {
                do {
                    try await server.run()
                } catch {
                    if bound.withLockedValue({ $0 }) {
                        logger.error("The HTTP server\(service) stopped: \(error)")
                    } else {
                        sink.yield(.failure(BindFailure(description: "\(error)")))
                    }
                }
                sink.finish()
                stoppedSink.finish()
            }
            var iterator = events.makeAsyncIterator()
            switch await iterator.next() {
            case .success(let port):
                bound.withLockedValue { $0 = true }
                return (WebUIServer(port: port, server: server, stopped: stopped), port)
            case .failure(let failure):
                throw failure
            case nil:
                throw BindFailure(description: "the server stopped before it was bound")
            }
        }
    }

    /// Why one port could not be served.
    struct BindFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Shuts the server down gracefully and waits, at most `timeout`, until it stopped.
    public func stop(atMost timeout: Duration = .seconds(5)) async {
        await server.triggerGracefulShutdown()
        await Daemon.waitUntilFinished(stopped, atMost: timeout)
    }
}

