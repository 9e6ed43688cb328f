import Logging
import NIOCore
import NIOPosix
import ZooKeeper

/// A ZooKeeper client: one session at a time over SwiftNIO, renewed after expiry.
///
/// Lifecycle: `start()` (or `connect()`, which also waits for the first session), then requests,
/// then `close()` (closeSession: our ephemeral nodes vanish at once). `run()` does the same for a
/// service group: it returns when the client is closed, and closes it when its task is cancelled.
///
/// Session and watch events go to every `events()` subscriber. Requests that lose their connection
/// fail with `CONNECTIONLOSS` (they may or may not have happened); after an expiry, with
/// `SESSIONEXPIRED`. Cancelling the task awaiting a request does not withdraw it.
public final class ZooKeeperClient: Sendable {
    public let configuration: ZooKeeperClientConfiguration
    /// The loop the session, its connections and its timers run on.
    public let eventLoop: any EventLoop
    let core: ZooKeeperClientCore

    /// `seed` drives the server shuffle and back-off jitter.
    public init(
        configuration: ZooKeeperClientConfiguration,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        connector: ZooKeeperConnector = .tcp,
        logger: Logger = Logger(label: "zookeeper"),
        seed: UInt64 = UInt64.random(in: .min ... .max)
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.core = ZooKeeperClientCore(configuration: configuration, eventLoop: eventLoop, connector: connector, logger: logger, seed: seed)
    }

    private func onLoop(_ body: @escaping @Sendable (ZooKeeperClientCore) -> Void) {
        let core = self.core
        if eventLoop.inEventLoop {
            body(core)
        } else {
            eventLoop.execute { body(core) }
        }
    }

    // MARK: - Lifecycle

    /// Starts connecting (in the background; idempotent).
    public func start() {
        onLoop { $0.handle(.start) }
    }

    /// Starts connecting and waits until a session is established.
    public func connect(timeout: Duration = .seconds(30)) async throws {
        start()
        try await waitUntilConnected(timeout: timeout)
    }

    /// Waits until the client has a connected session (now, or after a reconnect).
    public func waitUntilConnected(timeout: Duration = .seconds(30)) async throws {
        let promise = eventLoop.makePromise(of: Void.self)
        onLoop { $0.waitUntilConnected(promise, timeout: .milliseconds(timeout.milliseconds)) }
        try await promise.futureResult.get()
    }

    /// Closes the session and waits until the client is closed (bounded by the close timeout).
    public func close() async {
        onLoop { $0.handle(.close) }
        try? await core.closedPromise.futureResult.get()
    }

    /// Starts the client and returns when it is closed; cancelling the calling task closes it.
    public func run() async {
        start()
        let closed = core.closedPromise.futureResult
        await withTaskCancellationHandler {
            try? await closed.get()
        } onCancel: {
            self.onLoop { $0.handle(.close) }
        }
    }

    /// Session and watch events from now on. If a session is connected, the stream starts with
    /// `.connected` for it; after `close`, it yields `.closed` and ends.
    public func events() -> AsyncStream<ZooKeeperClientEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ZooKeeperClientEvent.self)
        onLoop { $0.subscribe(continuation) }
        return stream
    }

    /// The current session's id, password and negotiated timeout.
    public func credentials() async -> ZooKeeperSession.Credentials? {
        try? await eventLoop.submit { self.core.credentials }.get()
    }

    public func isConnected() async -> Bool {
        (try? await eventLoop.submit { self.core.isConnected }.get()) ?? false
    }

    // MARK: - Requests

    /// Sends `request`; requests keep the order of the calls that made them (from one thread).
    public func submit(_ request: ZooKeeperRequest) -> EventLoopFuture<ZooKeeperResponse> {
        let promise = eventLoop.makePromise(of: ZooKeeperResponse.self)
        onLoop { $0.handle(.submit(request, promise)) }
        return promise.futureResult
    }

    /// Sends `request` and waits for the response; throws `ZooKeeperError`.
    public func execute(_ request: ZooKeeperRequest) async throws(ZooKeeperError) -> ZooKeeperResponse {
        do {
            return try await submit(request).get()
        } catch let error as ZooKeeperError {
            throw error
        } catch {
            throw ZooKeeperError(.systemError, "\(error)", path: request.path)
        }
    }
}
