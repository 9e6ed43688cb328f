import Logging
import NIOConcurrencyHelpers
import NIOCore
import ZooKeeper

/// Leadership changes of a `ZooKeeperLeaderLatch`.
public enum LeaderLatchEvent: Sendable, Hashable {
    /// Spark: `ElectedLeader`.
    case isLeader
    /// Spark: `RevokedLeadership` (the JVM master exits).
    case notLeader
}

/// Runs a `LeaderLatch` on a `ZooKeeperClient` (Spark: `ZooKeeperLeaderElectionAgent`).
///
/// `run()` joins the election and stays in it until its task is cancelled; then it gives up
/// leadership and deletes its node. Leadership changes go to `events` (one consumer) and `isLeader`.
/// Leadership ends as soon as the client reports the connection lost (see `LeaderLatch`).
public final class ZooKeeperLeaderLatch: Sendable {
    enum Input: Sendable {
        case client(ZooKeeperClientEvent)
        case completed(LeaderLatchOperation, Result<ZooKeeperResponse, ZooKeeperError>)
        case retry
    }

    public let client: ZooKeeperClient
    public let configuration: LeaderLatch.Configuration
    /// Leadership changes, in order.
    public let events: AsyncStream<LeaderLatchEvent>
    private let eventsContinuation: AsyncStream<LeaderLatchEvent>.Continuation
    /// Leadership and node as last reported, on the client's event loop.
    private let status: NIOLoopBoundBox<Status>
    /// The node that won the election, while we lead; set before `.isLeader` is reported and
    /// cleared before `.notLeader` is.
    private let wonWith = NIOLockedValueBox<String?>(nil)
    private let seed: UInt64
    private let logger: Logger

    /// `path` is the election directory, e.g. `/spark/leader_election`.
    public init(client: ZooKeeperClient, path: String, retryDelay: Duration = .seconds(1), logger: Logger = Logger(label: "zookeeper.latch"), seed: UInt64 = UInt64.random(in: .min ... .max)) {
        self.client = client
        self.configuration = LeaderLatch.Configuration(latchPath: path, retryDelayMs: retryDelay.milliseconds)
        (events, eventsContinuation) = AsyncStream.makeStream(of: LeaderLatchEvent.self)
        self.seed = seed
        self.logger = logger
        self.status = NIOLoopBoundBox.makeBoxSendingValue(Status(), eventLoop: client.eventLoop)
    }

    struct Status {
        var isLeader = false
        var nodePath: String?
    }

    /// Whether this participant leads right now.
    public func isLeader() async -> Bool {
        (try? await client.eventLoop.submit { self.status.value.isLeader }.get()) ?? false
    }

    /// Our latch node, once created.
    public func nodePath() async -> String? {
        try? await client.eventLoop.submit { self.status.value.nodePath }.get()
    }

    /// The election node that made us leader, or nil when we do not lead (the moment leadership
    /// ends, before the `.notLeader` event is consumed). A leader fences a write on it: a `multi`
    /// that checks this node exists succeeds only while ZooKeeper still sees us as the leader,
    /// since the node goes with our session and no later node sorts before it.
    public var leadingNode: String? { wonWith.withLockedValue { $0 } }

    private func update(_ body: @escaping @Sendable (inout Status) -> Void) {
        let status = self.status
        client.eventLoop.execute { body(&status.value) }
    }

    /// Competes until cancelled, then leaves the election (deleting our node) and returns.
    public func run() async {
        let (inputs, continuation) = AsyncStream.makeStream(of: Input.self)
        let clientEvents = client.events()
        var latch = LeaderLatch(configuration: configuration, seed: seed)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in clientEvents { continuation.yield(.client(event)) }
            }
            // Creates of our node that have not answered yet: a node one makes after we stop must
            // still be deleted, or it would sit in the election until the session ends.
            var creating: [LeaderLatchOperation: EventLoopFuture<ZooKeeperResponse>] = [:]
            func step(_ actions: [LeaderLatchAction]) -> [EventLoopFuture<ZooKeeperResponse>] {
                let submitted = perform(actions, nodePath: latch.nodePath, continuation)
                for (operation, future) in submitted where operation.step == .create { creating[operation] = future }
                return submitted.map(\.future)
            }
            _ = step(latch.start())
            for await input in inputs {
                switch input {
                case .client(.session(let event)):
                    _ = step(latch.sessionEvent(event))
                case .client(.watch(let event)):
                    _ = step(latch.watchEvent(event))
                case .completed(let operation, let result):
                    creating[operation] = nil
                    _ = step(latch.completed(operation, result))
                case .retry:
                    _ = step(latch.retryTimerFired())
                }
            }
            // Cancelled: give leadership up and delete our node before returning, so the next
            // participant takes over at once. A create still in flight is waited for (it answers, or
            // fails when the connection does); the latch deletes the node it made.
            var leaving = step(latch.stop())
            wonWith.withLockedValue { $0 = nil }
            for (operation, future) in creating {
                let result: Result<ZooKeeperResponse, ZooKeeperError>
                do {
                    result = .success(try await future.get())
                } catch {
                    result = .failure((error as? ZooKeeperError) ?? ZooKeeperError(.systemError, "\(error)"))
                }
                leaving += step(latch.completed(operation, result))
            }
            for future in leaving { _ = try? await future.get() }
            group.cancelAll()
        }
        continuation.finish()
        eventsContinuation.finish()
    }

    /// Performs `actions`; returns the requests submitted, with their answers to come.
    private func perform(
        _ actions: [LeaderLatchAction], nodePath: String?, _ inputs: AsyncStream<Input>.Continuation
    ) -> [(operation: LeaderLatchOperation, future: EventLoopFuture<ZooKeeperResponse>)] {
        var futures: [(operation: LeaderLatchOperation, future: EventLoopFuture<ZooKeeperResponse>)] = []
        for action in actions {
            switch action {
            case .submit(let operation, let request):
                // Submitted in order from this one task, so the session keeps their order.
                let future = client.submit(request)
                future.whenComplete { result in
                    inputs.yield(.completed(operation, result.mapError { error in
                        (error as? ZooKeeperError) ?? ZooKeeperError(.systemError, "\(error)")
                    }))
                }
                futures.append((operation, future))
            case .isLeader:
                wonWith.withLockedValue { $0 = nodePath }
                update { $0.isLeader = true }
                logger.info("elected leader", metadata: ["zookeeper/latch": "\(nodePath ?? "-")"])
                eventsContinuation.yield(.isLeader)
            case .notLeader:
                wonWith.withLockedValue { $0 = nil }
                update { $0.isLeader = false }
                logger.info("leadership revoked", metadata: ["zookeeper/latch": "\(configuration.latchPath)"])
                eventsContinuation.yield(.notLeader)
            case .scheduleRetry(let afterMs):
                client.eventLoop.scheduleTask(in: .milliseconds(afterMs)) { inputs.yield(.retry) }
            case .log(let level, let message):
                switch level {
                case .debug: logger.debug("\(message)")
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                }
            }
        }
        update { $0.nodePath = nodePath }
        return futures
    }
}
