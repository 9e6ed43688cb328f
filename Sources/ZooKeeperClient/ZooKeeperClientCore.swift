import Logging
import NIOCore
import ZooKeeper

/// Drives a `ZooKeeperSession` on one event loop and performs its actions: connections, frames,
/// timers, request promises and event subscribers.
///
/// All state is touched only on `eventLoop` (hence `@unchecked Sendable`). Inputs that arrive while
/// actions are being performed (a close that fires channelInactive synchronously) are queued and
/// handled afterwards, so the session never sees re-entrant input.
final class ZooKeeperClientCore: @unchecked Sendable {
    enum Input {
        case start
        case submit(ZooKeeperRequest, EventLoopPromise<ZooKeeperResponse>)
        case established(ZooKeeperConnectionID)
        case received(ByteBuffer, ZooKeeperConnectionID)
        case closed(ZooKeeperConnectionID, reason: String)
        case timer(ZooKeeperTimer)
        case close
    }

    let eventLoop: any EventLoop
    private var session: ZooKeeperSession
    private let connector: ZooKeeperConnector
    private let maxFrameSize: Int
    private let logger: Logger

    private var inputs: [Input] = []
    private var draining = false
    private var channels: [ZooKeeperConnectionID: any Channel] = [:]
    private var timers: [ZooKeeperTimer: Scheduled<Void>] = [:]
    private var waiters: [ZooKeeperRequestID: EventLoopPromise<ZooKeeperResponse>] = [:]
    private var nextRequestID: UInt64 = 1
    private var subscribers: [UInt64: AsyncStream<ZooKeeperClientEvent>.Continuation] = [:]
    private var nextSubscriber: UInt64 = 1
    private var connectedWaiters: [EventLoopPromise<Void>] = []
    /// The current session as a `.connected` event, replayed to new subscribers.
    private var currentSession: ZooKeeperSessionEvent?
    private var started = false
    let closedPromise: EventLoopPromise<Void>

    init(configuration: ZooKeeperClientConfiguration, eventLoop: any EventLoop, connector: ZooKeeperConnector, logger: Logger, seed: UInt64) {
        self.eventLoop = eventLoop
        self.session = ZooKeeperSession(configuration: configuration.sessionConfiguration, seed: seed)
        self.connector = connector
        self.maxFrameSize = configuration.maxFrameSize
        self.logger = logger
        self.closedPromise = eventLoop.makePromise(of: Void.self)
    }

    /// Monotonic ms from the event loop's clock (a test loop's clock in tests).
    private var now: Int64 { Int64(eventLoop.now.uptimeNanoseconds / 1_000_000) }

    // MARK: - On the loop

    func handle(_ input: Input) {
        eventLoop.assertInEventLoop()
        inputs.append(input)
        guard !draining else { return }
        draining = true
        defer { draining = false }
        // Bounded by the inputs the actions can cause (a few per action).
        while !inputs.isEmpty {
            let next = inputs.removeFirst()
            perform(apply(next))
        }
    }

    private func apply(_ input: Input) -> [ZooKeeperSessionAction] {
        let now = self.now
        switch input {
        case .start:
            guard !started else { return [] }
            started = true
            return session.start(now: now)
        case .submit(let request, let promise):
            let id = ZooKeeperRequestID(nextRequestID)
            nextRequestID += 1
            waiters[id] = promise
            return session.submit(request, id: id, now: now)
        case .established(let connection):
            return session.connectionEstablished(connection, now: now)
        case .received(let frame, let connection):
            return session.received(frame, on: connection, now: now)
        case .closed(let connection, let reason):
            channels.removeValue(forKey: connection)
            return session.connectionClosed(connection, reason: reason, now: now)
        case .timer(let timer):
            timers.removeValue(forKey: timer)
            return session.timerFired(timer, now: now)
        case .close:
            return session.close(now: now)
        }
    }

    private func perform(_ actions: [ZooKeeperSessionAction]) {
        for action in actions {
            switch action {
            case .connect(let connection, let server):
                open(connection, to: server)
            case .send(let connection, let packet):
                guard let channel = channels[connection] else { continue }
                var buffer = channel.allocator.buffer(capacity: 64)
                packet.writeFrame(into: &buffer)
                channel.writeAndFlush(buffer, promise: nil)
            case .closeConnection(let connection):
                channels.removeValue(forKey: connection)?.close(promise: nil)
            case .scheduleTimer(let timer, let afterMs):
                timers.removeValue(forKey: timer)?.cancel()
                timers[timer] = eventLoop.scheduleTask(in: .milliseconds(afterMs)) { [self] in
                    handle(.timer(timer))
                }
            case .cancelTimer(let timer):
                timers.removeValue(forKey: timer)?.cancel()
            case .succeed(let id, let response):
                waiters.removeValue(forKey: id)?.succeed(response)
            case .fail(let id, let error):
                waiters.removeValue(forKey: id)?.fail(error)
            case .sessionEvent(let event):
                sessionEvent(event)
            case .watchEvent(let event):
                logger.debug("watch fired", metadata: ["zookeeper/event": "\(event.type)", "zookeeper/path": "\(event.path)"])
                broadcast(.watch(event))
            case .log(let level, let message):
                switch level {
                case .debug: logger.debug("\(message)")
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                }
            }
        }
    }

    private func open(_ connection: ZooKeeperConnectionID, to server: ZooKeeperServerAddress) {
        let timeout = TimeAmount.milliseconds(session.connectTimeoutMs)
        let maxFrameSize = self.maxFrameSize
        let future = connector.open(server, eventLoop, timeout) { [self] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder(maxFrameSize: maxFrameSize)))
                try channel.pipeline.syncOperations.addHandler(ZooKeeperChannelHandler(connection: connection, core: self))
            }
        }
        future.hop(to: eventLoop).whenFailure { [self] error in
            handle(.closed(connection, reason: "connect failed: \(error)"))
        }
    }

    /// From the connection's handler, once TCP is up.
    func channelActive(_ connection: ZooKeeperConnectionID, channel: any Channel) {
        eventLoop.assertInEventLoop()
        channels[connection] = channel
        handle(.established(connection))
    }

    private func sessionEvent(_ event: ZooKeeperSessionEvent) {
        switch event {
        case .connected(let sessionID, let timeoutMs, let server):
            logger.info("session established", metadata: [
                "zookeeper/session": "0x\(String(UInt64(bitPattern: sessionID), radix: 16))",
                "zookeeper/timeout-ms": "\(timeoutMs)", "zookeeper/server": "\(server)",
            ])
            currentSession = event
            completeConnectedWaiters()
        case .reconnected(let sessionID, let server):
            if case .connected(_, let timeoutMs, _) = currentSession {
                currentSession = .connected(sessionID: sessionID, timeoutMs: timeoutMs, server: server)
            }
            completeConnectedWaiters()
        case .disconnected, .expired:
            currentSession = nil
        case .closed:
            currentSession = nil
        }
        broadcast(.session(event))
        if case .closed = event {
            for (_, continuation) in subscribers { continuation.finish() }
            subscribers.removeAll()
            for (_, timer) in timers { timer.cancel() }
            timers.removeAll()
            let waiting = connectedWaiters
            connectedWaiters = []
            for waiter in waiting { waiter.fail(ZooKeeperError(.sessionExpired, "the client is closed")) }
            closedPromise.succeed(())
        }
    }

    private func completeConnectedWaiters() {
        let waiting = connectedWaiters
        connectedWaiters = []
        for waiter in waiting { waiter.succeed(()) }
    }

    private func broadcast(_ event: ZooKeeperClientEvent) {
        for (_, continuation) in subscribers { continuation.yield(event) }
    }

    // MARK: - Called from the client (hopping to the loop)

    func subscribe(_ continuation: AsyncStream<ZooKeeperClientEvent>.Continuation) {
        eventLoop.assertInEventLoop()
        if session.isClosed {
            continuation.yield(.session(.closed))
            continuation.finish()
            return
        }
        if let currentSession { continuation.yield(.session(currentSession)) }
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { [self] _ in
            eventLoop.execute { self.subscribers.removeValue(forKey: id) }
        }
    }

    func waitUntilConnected(_ promise: EventLoopPromise<Void>, timeout: TimeAmount) {
        eventLoop.assertInEventLoop()
        if session.isConnected {
            promise.succeed(())
            return
        }
        if session.isClosed {
            promise.fail(ZooKeeperError(.sessionExpired, "the client is closed"))
            return
        }
        connectedWaiters.append(promise)
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(ZooKeeperError(.connectionLoss, "no session within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
    }

    var credentials: ZooKeeperSession.Credentials? {
        eventLoop.assertInEventLoop()
        return session.credentials
    }

    var isConnected: Bool {
        eventLoop.assertInEventLoop()
        return session.isConnected
    }
}
