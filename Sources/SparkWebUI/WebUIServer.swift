import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SparkDaemon

/// An HTTP server of a daemon (a web UI, the master's REST server), bound as Spark binds its
/// services (`Utils.startServiceOnPort`): the port asked for, else the next ones while binding
/// fails (Spark retries on any bind exception: a port taken, or refused to this user), and run
/// as a service so that it stops gracefully.
public struct WebUIServer: Sendable {
    /// How long a web UI connection may stay silent, between requests or inside one, before it
    /// is closed (Spark's UI connectors: 8 s, against slow clients holding connections open).
    public static let idleTimeout = TimeAmount.seconds(8)

    /// The port bound.
    public let port: Int
    private let server: ServiceGroup
    private let stopped: AsyncStream<Void>

    /// No port could be bound, or the server failed before it was.
    public struct BindFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds `port` (0: any), or failing that one of the `retries` ports after it, logging
    /// as Spark does for `serviceName` (nil: the unnamed service of Spark's REST server), and
    /// serves `responder` from a task that `addTask` starts. `serverLogger` is Hummingbird's.
    public static func start<Responder: HTTPResponder>(
        serviceName: String?, responder: Responder, idleTimeout: TimeAmount, host: String, port: Int, retries: Int,
        eventLoopGroup: (any EventLoopGroup)? = nil, logger: Logger, serverLogger: Logger,
        addTask: (@escaping @Sendable () async -> Void) -> Void
    ) async throws(BindFailure) -> WebUIServer where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let service = serviceName.map { " '\($0)'" } ?? ""
        let attempts = port == 0 ? 0 : max(0, min(retries, 65535 - port))
        var failure = ""
        for attempt in 0...attempts {
            let candidate = port == 0 ? 0 : port + attempt
            let (events, sink) = AsyncStream.makeStream(of: Result<Int, AttemptFailure>.self)
            // Set once bound: a failure after it is the server's end, not a bind failure.
            let bound = NIOLockedValueBox(false)
            let application = Application(
                responder: responder,
                server: .http1(configuration: .init(idleTimeout: idleTimeout)),
                configuration: .init(address: .hostname(host, port: candidate), serverName: nil, reuseAddress: true),
                onServerRunning: { channel in sink.yield(.success(channel.localAddress?.port ?? candidate)) },
                eventLoopGroupProvider: eventLoopGroup.map { .shared($0) } ?? .singleton,
                logger: serverLogger)
            let server = ServiceGroup(configuration: .init(services: [application], logger: serverLogger))
            let (stopped, stoppedSink) = AsyncStream.makeStream(of: Void.self)
            addTask {
                do {
                    try await server.run()
                } catch {
                    if bound.withLockedValue({ $0 }) {
                        logger.error("The HTTP server\(service) stopped: \(error)")
                    } else {
                        sink.yield(.failure(AttemptFailure(reason: "\(error)")))
                    }
                }
                sink.finish()
                stoppedSink.finish()
            }
            var iterator = events.makeAsyncIterator()
            switch await iterator.next() {
            case .success(let port):
                bound.withLockedValue { $0 = true }
                logger.info("Successfully started service\(service) on port \(port).")
                return WebUIServer(port: port, server: server, stopped: stopped)
            case .failure(let error):
                failure = error.reason
                if attempt < attempts {
                    logger.warning("Service\(service) could not bind on port \(candidate). Attempting port \(candidate + 1).")
                }
                continue
            case nil:
                failure = "the server stopped before it was bound"
            }
            break
        }
        throw BindFailure(description: "Service\(service) could not start on \(host):\(port): \(failure)")
    }

    /// Shuts the server down gracefully and waits, at most `timeout`, until it stopped.
    public func stop(atMost timeout: Duration = .seconds(5)) async {
        await server.triggerGracefulShutdown()
        await Daemon.waitUntilFinished(stopped, atMost: timeout)
    }

    private struct AttemptFailure: Error {
        var reason: String
    }
}
