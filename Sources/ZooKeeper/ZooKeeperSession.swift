import NIOCore

/// The client side of a ZooKeeper session, sans IO (ZooKeeper's `ClientCnxn`, as a value).
///
/// Inputs are the shell's observations (connection up/down, a frame, a timer, a request, close)
/// with the current monotonic time in ms; each returns the actions to perform, in order.
///
/// Timing, with T the negotiated session timeout (as the Java client):
/// - a ping after T/3 (at most 10 s) without sending;
/// - the connection is declared lost after 2T/3 without receiving → pending requests fail with
///   CONNECTIONLOSS, `.disconnected`, and the next server is dialled at once with the same session
///   id and password; after a whole round of failed attempts, a jittered back-off;
/// - a connection attempt (TCP + handshake) gets T / number of servers;
/// - a server answering the reconnect with timeout ≤ 0 means the session expired; so does being
///   disconnected for T (the servers have expired it by then): `.expired`, then a new session.
///
/// Requests made while not connected wait for the next connection attempt and fail with
/// CONNECTIONLOSS if that attempt fails. Watches are remembered and re-registered with SetWatches
/// (relative to the last zxid seen) before any other request on a reconnect of the same session;
/// after an expiry they are dropped (the `.expired` event says so).
public struct ZooKeeperSession: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var connectString: ConnectString
        /// Requested session timeout; the server clamps it to [2, 20] × its tickTime by default.
        /// 6 s: a dead leader's session (and latch node) is gone ~6 s after it stops answering.
        public var sessionTimeoutMs: Int32
        /// Per attempt (TCP connect + handshake); nil: session timeout / number of servers.
        public var connectTimeoutMs: Int64?
        /// Back-off after every server failed once; jittered to 50–100 %.
        public var reconnectDelayMs: Int64
        /// How long `close` waits for the server to confirm closeSession.
        public var closeTimeoutMs: Int64
        /// Largest node data accepted in a request (the server's `jute.maxbuffer` default).
        public var maxDataSize: Int
        /// Largest SetWatches record; more watches are split over several (as the Java client).
        public var maxSetWatchesSize: Int

        public init(
            connectString: ConnectString, sessionTimeoutMs: Int32 = 6000, connectTimeoutMs: Int64? = nil,
            reconnectDelayMs: Int64 = 1000, closeTimeoutMs: Int64 = 2000, maxDataSize: Int = 1024 * 1024 - 1,
            maxSetWatchesSize: Int = 128 * 1024
        ) {
            self.connectString = connectString
            self.sessionTimeoutMs = sessionTimeoutMs
            self.connectTimeoutMs = connectTimeoutMs
            self.reconnectDelayMs = reconnectDelayMs
            self.closeTimeoutMs = closeTimeoutMs
            self.maxDataSize = maxDataSize
            self.maxSetWatchesSize = maxSetWatchesSize
        }
    }

    /// The session's identity, kept across connections.
    public struct Credentials: Sendable, Hashable {
        public var sessionID: Int64
        public var password: [UInt8]
        public var timeoutMs: Int32

        public init(sessionID: Int64, password: [UInt8], timeoutMs: Int32) {
            self.sessionID = sessionID
            self.password = password
            self.timeoutMs = timeoutMs
        }
    }

    struct Pending: Sendable {
        var xid: Int32
        /// nil for closeSession, which the session itself sends.
        var id: ZooKeeperRequestID?
        /// As the caller wrote it (paths without chroot).
        var request: ZooKeeperRequest
    }

    struct Attempt: Sendable {
        var connection: ZooKeeperConnectionID
        var server: ZooKeeperServerAddress
        var handshakeSent: Bool
        var deadline: Int64
    }

    struct Live: Sendable {
        var connection: ZooKeeperConnectionID
        var server: ZooKeeperServerAddress
        var pending = CircularBuffer<Pending>()
        var lastSentAt: Int64
        var lastReceivedAt: Int64
    }

    enum State: Sendable {
        /// `start` not called yet.
        case idle
        case connecting(Attempt)
        case connected(Live)
        /// Between rounds of attempts.
        case backingOff(until: Int64)
        /// closeSession sent; waiting for its reply.
        case closing(Live, deadline: Int64)
        case closed
    }

    public let configuration: Configuration
    private var state: State = .idle
    private var random: ZooKeeperRandom
    private var servers: [ZooKeeperServerAddress]
    private var serverCursor = 0
    private var attemptsSinceConnected = 0
    private var nextConnection: UInt64 = 1
    private var nextXidValue: Int32 = 1
    private var queued: [(id: ZooKeeperRequestID, request: ZooKeeperRequest)] = []
    private var disconnectedSince: Int64?

    /// The current session, if one was established and has not expired.
    public private(set) var credentials: Credentials?
    /// Highest zxid seen in a reply (sent on reconnect; relative zxid of SetWatches).
    public private(set) var lastZxidSeen: Int64 = 0
    /// Watches the servers hold for this session (paths relative to the chroot).
    public private(set) var watches = WatchRegistry()

    /// `seed` drives the server shuffle and the back-off jitter.
    public init(configuration: Configuration, seed: UInt64) {
        self.configuration = configuration
        self.random = ZooKeeperRandom(seed: seed)
        self.servers = configuration.connectString.servers
    }

    private var chroot: String? { configuration.connectString.chroot }

    /// Whether a connection with an established session is up.
    public var isConnected: Bool {
        switch state {
        case .connected: true
        case .idle, .connecting, .backingOff, .closing, .closed: false
        }
    }

    public var isClosed: Bool {
        switch state {
        case .closed: true
        case .idle, .connecting, .connected, .backingOff, .closing: false
        }
    }

    /// The server of the current connection.
    public var currentServer: ZooKeeperServerAddress? {
        switch state {
        case .connecting(let attempt): attempt.server
        case .connected(let live), .closing(let live, _): live.server
        case .idle, .backingOff, .closed: nil
        }
    }

    /// Number of requests written and not answered yet.
    public var pendingCount: Int {
        switch state {
        case .connected(let live), .closing(let live, _): live.pending.count
        case .idle, .connecting, .backingOff, .closed: 0
        }
    }

    private var timeoutMs: Int64 { Int64(credentials?.timeoutMs ?? configuration.sessionTimeoutMs) }
    private var readTimeoutMs: Int64 { max(1, timeoutMs * 2 / 3) }
    private var pingIntervalMs: Int64 { max(1, min(timeoutMs / 3, 10_000)) }
    /// Time allowed for one connection attempt (TCP connect + handshake): the Java client's session
    /// timeout / servers, but at most a third of the session timeout, so that an attempt the server
    /// never answers (seen right after a server restart) leaves time for more before the session
    /// expires locally.
    public var connectTimeoutMs: Int64 {
        configuration.connectTimeoutMs ?? max(1, min(timeoutMs / Int64(max(1, servers.count)), timeoutMs / 3))
    }

    // MARK: - Inputs

    /// Shuffles the servers and dials the first.
    public mutating func start(now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        switch state {
        case .idle:
            servers.shuffle(using: &random)
            connectNext(now: now, &actions)
        case .connecting, .connected, .backingOff, .closing, .closed:
            actions.append(.log(.debug, "start ignored: the session is already started"))
        }
        return actions
    }

    /// The TCP connection of `connection` is up: send the connect request.
    public mutating func connectionEstablished(_ connection: ZooKeeperConnectionID, now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        switch state {
        case .connecting(var attempt) where attempt.connection == connection && !attempt.handshakeSent:
            attempt.handshakeSent = true
            state = .connecting(attempt)
            let request = ConnectRequest(
                lastZxidSeen: lastZxidSeen, timeoutMs: configuration.sessionTimeoutMs,
                sessionID: credentials?.sessionID ?? 0, password: credentials?.password ?? [UInt8](repeating: 0, count: 16))
            actions.append(.send(connection, .connect(request)))
        case .connecting, .idle, .connected, .backingOff, .closing, .closed:
            // A connection we gave up on came up late.
            actions.append(.closeConnection(connection))
        }
        return actions
    }

    /// Dialling `connection` failed, or the connection closed or broke.
    public mutating func connectionClosed(_ connection: ZooKeeperConnectionID, reason: String, now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        switch state {
        case .connecting(let attempt) where attempt.connection == connection:
            attemptFailed(attempt, reason: reason, now: now, &actions)
        case .connected(let live) where live.connection == connection:
            connectionLost(live, reason: reason, now: now, &actions)
        case .closing(let live, _) where live.connection == connection:
            finishClose(now: now, &actions)
        case .idle, .connecting, .connected, .backingOff, .closing, .closed:
            break
        }
        return actions
    }

    /// A whole frame payload arrived on `connection`.
    public mutating func received(_ frame: ByteBuffer, on connection: ZooKeeperConnectionID, now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        var frame = frame
        switch state {
        case .connecting(let attempt) where attempt.connection == connection && attempt.handshakeSent:
            handshakeReply(&frame, attempt: attempt, now: now, &actions)
        case .connected(var live) where live.connection == connection:
            live.lastReceivedAt = now
            let outcome = reply(&frame, live: &live, now: now, &actions)
            switch outcome {
            case .keep: state = .connected(live)
            case .protocolError(let message): connectionLost(live, reason: message, now: now, &actions)
            case .closeSessionAnswered: finishClose(now: now, &actions)
            }
        case .closing(var live, let deadline) where live.connection == connection:
            live.lastReceivedAt = now
            let outcome = reply(&frame, live: &live, now: now, &actions)
            switch outcome {
            case .keep: state = .closing(live, deadline: deadline)
            case .protocolError, .closeSessionAnswered: finishClose(now: now, &actions)
            }
        case .connecting, .idle, .connected, .backingOff, .closing, .closed:
            // From a connection we already left.
            break
        }
        return actions
    }

    /// Queues or sends `request` for the caller `id`; paths are relative to the chroot.
    public mutating func submit(_ request: ZooKeeperRequest, id: ZooKeeperRequestID, now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        if let error = validate(request) {
            actions.append(.fail(id, error))
            return actions
        }
        switch state {
        case .idle:
            actions.append(.fail(id, ZooKeeperError(.connectionLoss, "the session is not started", path: request.path)))
        case .closing, .closed:
            // As the Java client once closed: SESSIONEXPIRED.
            actions.append(.fail(id, ZooKeeperError(.sessionExpired, "the session is closed", path: request.path)))
        case .connecting, .backingOff:
            queued.append((id, request))
        case .connected(var live):
            write(request, id: id, live: &live, now: now, &actions)
            state = .connected(live)
        }
        return actions
    }

    /// A timer the session scheduled fired. Each timer re-checks its condition against `now`, so a
    /// late or stale firing is harmless.
    public mutating func timerFired(_ timer: ZooKeeperTimer, now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        switch timer {
        case .connect:
            if case .connecting(let attempt) = state {
                if now >= attempt.deadline {
                    attemptFailed(attempt, reason: "no session within \(connectTimeoutMs) ms", now: now, &actions)
                } else {
                    actions.append(.scheduleTimer(.connect, afterMs: attempt.deadline - now))
                }
            }
        case .ping:
            if case .connected(var live) = state {
                if now - live.lastSentAt >= pingIntervalMs {
                    actions.append(.send(live.connection, .request(xid: SpecialXid.ping, .ping)))
                    live.lastSentAt = now
                    state = .connected(live)
                }
                actions.append(.scheduleTimer(.ping, afterMs: max(1, live.lastSentAt + pingIntervalMs - now)))
            }
        case .readTimeout:
            switch state {
            case .connected(let live):
                if now - live.lastReceivedAt >= readTimeoutMs {
                    connectionLost(live, reason: "nothing received for \(now - live.lastReceivedAt) ms", now: now, &actions)
                } else {
                    actions.append(.scheduleTimer(.readTimeout, afterMs: live.lastReceivedAt + readTimeoutMs - now))
                }
            case .idle, .connecting, .backingOff, .closing, .closed:
                break
            }
        case .reconnect:
            if case .backingOff(let until) = state {
                if now >= until {
                    connectNext(now: now, &actions)
                } else {
                    actions.append(.scheduleTimer(.reconnect, afterMs: until - now))
                }
            }
        case .sessionExpiry:
            checkLocalExpiry(now: now, &actions)
        case .close:
            if case .closing(_, let deadline) = state {
                if now >= deadline {
                    actions.append(.log(.warning, "no answer to closeSession within \(configuration.closeTimeoutMs) ms"))
                    finishClose(now: now, &actions)
                } else {
                    actions.append(.scheduleTimer(.close, afterMs: deadline - now))
                }
            }
        }
        return actions
    }

    /// Closes the session: closeSession when connected (the servers delete its ephemeral nodes at
    /// once), then `.closed`. Requests already written are still answered.
    public mutating func close(now: Int64) -> [ZooKeeperSessionAction] {
        var actions: [ZooKeeperSessionAction] = []
        switch state {
        case .connected(var live):
            cancelTimers([.ping, .readTimeout, .sessionExpiry], &actions)
            let xid = nextXid()
            live.pending.append(Pending(xid: xid, id: nil, request: .closeSession))
            actions.append(.send(live.connection, .request(xid: xid, .closeSession)))
            live.lastSentAt = now
            state = .closing(live, deadline: now + configuration.closeTimeoutMs)
            actions.append(.scheduleTimer(.close, afterMs: configuration.closeTimeoutMs))
        case .idle, .connecting, .backingOff:
            finishClose(now: now, &actions)
        case .closing, .closed:
            break
        }
        return actions
    }

    // MARK: - Connecting

    private mutating func connectNext(now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        let server = servers[serverCursor % servers.count]
        serverCursor = (serverCursor + 1) % servers.count
        attemptsSinceConnected += 1
        let connection = ZooKeeperConnectionID(nextConnection)
        nextConnection += 1
        let timeout = connectTimeoutMs
        state = .connecting(Attempt(connection: connection, server: server, handshakeSent: false, deadline: now + timeout))
        actions.append(.connect(connection, server))
        actions.append(.scheduleTimer(.connect, afterMs: timeout))
    }

    /// Dials the next server, or backs off once every server failed since the last session.
    private mutating func connectAgain(now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        if attemptsSinceConnected >= servers.count {
            attemptsSinceConnected = 0
            let base = max(1, configuration.reconnectDelayMs)
            let delay = base / 2 + Int64.random(in: 0...(base - base / 2), using: &random)
            state = .backingOff(until: now + delay)
            actions.append(.scheduleTimer(.reconnect, afterMs: delay))
        } else {
            connectNext(now: now, &actions)
        }
    }

    private mutating func attemptFailed(_ attempt: Attempt, reason: String, now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        actions.append(.log(.info, "connection to \(attempt.server) failed: \(reason)"))
        actions.append(.cancelTimer(.connect))
        actions.append(.closeConnection(attempt.connection))
        failQueued(ZooKeeperError(.connectionLoss, "connection to \(attempt.server) failed: \(reason)"), &actions)
        connectAgain(now: now, &actions)
    }

    private mutating func handshakeReply(_ frame: inout ByteBuffer, attempt: Attempt, now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        let response: ConnectResponse
        do {
            response = try ConnectResponse.decode(frame: &frame)
        } catch {
            attemptFailed(attempt, reason: "unreadable connect response: \(error)", now: now, &actions)
            return
        }
        guard response.timeoutMs > 0 || credentials != nil else {
            // Refusing a new session is a failed attempt (back-off applies), not an expiry.
            attemptFailed(attempt, reason: "the server refused a new session", now: now, &actions)
            return
        }
        actions.append(.cancelTimer(.connect))
        guard response.timeoutMs > 0 else {
            // The server no longer knows the session (or the password is wrong): it is expired.
            actions.append(.closeConnection(attempt.connection))
            attemptsSinceConnected = 0
            expire(reason: "\(attempt.server) reports the session expired", now: now, &actions)
            connectNext(now: now, &actions)
            return
        }
        let previous = credentials
        if let previous, previous.sessionID != response.sessionID {
            // Not the session we asked for: the old one is lost.
            expire(reason: "\(attempt.server) answered with another session", now: now, &actions)
        }
        credentials = Credentials(sessionID: response.sessionID, password: response.password, timeoutMs: response.timeoutMs)
        attemptsSinceConnected = 0
        disconnectedSince = nil
        actions.append(.cancelTimer(.sessionExpiry))
        var live = Live(connection: attempt.connection, server: attempt.server, lastSentAt: now, lastReceivedAt: now)
        if previous?.sessionID == response.sessionID {
            actions.append(.log(.info, "session 0x\(String(UInt64(bitPattern: response.sessionID), radix: 16)) resumed on \(attempt.server)"))
            actions.append(.sessionEvent(.reconnected(sessionID: response.sessionID, server: attempt.server)))
            // Watches first, so the server fires what changed while we were away before anything else.
            for record in watches.setWatchesRecords(relativeZxid: lastZxidSeen, maxSize: configuration.maxSetWatchesSize) {
                actions.append(.send(attempt.connection, .request(xid: SpecialXid.setWatches, ZooKeeperRequest.setWatches(record).mappingPaths(prefixChroot))))
            }
        } else {
            actions.append(.log(.info, "session 0x\(String(UInt64(bitPattern: response.sessionID), radix: 16)) established on \(attempt.server), timeout \(response.timeoutMs) ms"))
            actions.append(.sessionEvent(.connected(sessionID: response.sessionID, timeoutMs: response.timeoutMs, server: attempt.server)))
        }
        let waiting = queued
        queued = []
        for (id, request) in waiting {
            write(request, id: id, live: &live, now: now, &actions)
        }
        state = .connected(live)
        actions.append(.scheduleTimer(.ping, afterMs: pingIntervalMs))
        actions.append(.scheduleTimer(.readTimeout, afterMs: readTimeoutMs))
    }

    // MARK: - Requests and replies

    private func prefixChroot(_ path: String) -> String { ZooKeeperPath.prependChroot(chroot, to: path) }
    private func stripChroot(_ path: String) -> String { ZooKeeperPath.stripChroot(chroot, from: path) }

    private mutating func nextXid() -> Int32 {
        let xid = nextXidValue
        // Positive and increasing; wraps long before reaching the special negative xids.
        nextXidValue = nextXidValue == Int32.max ? 1 : nextXidValue + 1
        return xid
    }

    private mutating func write(_ request: ZooKeeperRequest, id: ZooKeeperRequestID, live: inout Live, now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        let xid = nextXid()
        live.pending.append(Pending(xid: xid, id: id, request: request))
        live.lastSentAt = now
        actions.append(.send(live.connection, .request(xid: xid, request.mappingPaths(prefixChroot))))
    }

    enum ReplyOutcome {
        case keep
        case protocolError(String)
        case closeSessionAnswered
    }

    private mutating func reply(_ frame: inout ByteBuffer, live: inout Live, now: Int64, _ actions: inout [ZooKeeperSessionAction]) -> ReplyOutcome {
        let header: ReplyHeader
        do {
            header = try ReplyHeader.read(from: &frame)
        } catch {
            return .protocolError("unreadable reply header: \(error)")
        }
        switch header.xid {
        case SpecialXid.ping:
            return .keep
        case SpecialXid.notification:
            let event: WatcherEvent
            do {
                event = try WatcherEvent.read(from: &frame)
                try frame.expectJuteEnd("WatcherEvent")
            } catch {
                return .protocolError("unreadable notification: \(error)")
            }
            // Servers only send node events; connection states are the client's own.
            if case .none = event.type { return .keep }
            let path = stripChroot(event.path)
            watches.fired(event.type, path: path)
            actions.append(.watchEvent(ZooKeeperWatchEvent(type: event.type, path: path)))
            return .keep
        case SpecialXid.setWatches, SpecialXid.auth:
            if header.err != 0 {
                actions.append(.log(.warning, "set-watches answered with \(ZooKeeperError.Code(rawValue: header.err))"))
            }
            return .keep
        default:
            break
        }
        guard let head = live.pending.first else {
            return .protocolError("reply with xid \(header.xid) but no request is outstanding")
        }
        guard head.xid == header.xid else {
            // Replies come in request order; anything else means we lost track of the stream.
            return .protocolError("xid out of order: expected \(head.xid), got \(header.xid)")
        }
        live.pending.removeFirst()
        if header.zxid > 0 { lastZxidSeen = max(lastZxidSeen, header.zxid) }
        let request = head.request
        guard let id = head.id else {
            // Only closeSession is sent without a caller.
            return .closeSessionAnswered
        }
        if header.err != 0 {
            let code = ZooKeeperError.Code(rawValue: header.err)
            if case .exists(let path, true) = request, code == .noNode {
                // exists leaves a watch for the node's creation.
                watches.exist.insert(path)
            }
            actions.append(.fail(id, ZooKeeperError(code, path: request.path)))
            return .keep
        }
        var response: ZooKeeperResponse
        do {
            response = try ZooKeeperResponse.read(opCode: request.opCode, from: &frame)
        } catch {
            actions.append(.fail(id, ZooKeeperError(.marshallingError, "unreadable reply: \(error)", path: request.path)))
            return .protocolError("unreadable \(request.opCode) reply: \(error)")
        }
        switch request {
        case .exists(let path, true), .getData(let path, true):
            watches.data.insert(path)
        case .getChildren(let path, true), .getChildren2(let path, true):
            watches.child.insert(path)
        case .create, .create2, .createContainer, .delete, .exists, .getData, .setData, .getChildren, .getChildren2,
             .sync, .multi, .ping, .closeSession, .setWatches:
            break
        }
        switch response {
        case .create(let path): response = .create(path: stripChroot(path))
        case .create2(let path, let stat): response = .create2(path: stripChroot(path), stat: stat)
        case .sync(let path): response = .sync(path: stripChroot(path))
        case .multi(let results):
            let mapped = results.map { $0.mappingPath(stripChroot) }
            response = .multi(mapped)
            let failures = mapped.compactMap(\.error).filter { $0 != .ok }
            if !failures.isEmpty {
                // The first real cause; the others are rolled back (RUNTIMEINCONSISTENCY).
                let cause = failures.first { $0 != .runtimeInconsistency } ?? failures[0]
                actions.append(.fail(id, ZooKeeperError(cause, "multi failed", path: request.path, multiResults: mapped)))
                return .keep
            }
        case .stat, .data, .children, .children2, .empty:
            break
        }
        actions.append(.succeed(id, response))
        return .keep
    }

    // MARK: - Losing the connection, expiry, close

    private mutating func connectionLost(_ live: Live, reason: String, now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        actions.append(.log(.info, "connection to \(live.server) lost: \(reason)"))
        cancelTimers([.ping, .readTimeout], &actions)
        actions.append(.closeConnection(live.connection))
        let error = ZooKeeperError(.connectionLoss, "connection to \(live.server) lost: \(reason)")
        for pending in live.pending {
            if let id = pending.id { actions.append(.fail(id, ZooKeeperError(error.code, error.message, path: pending.request.path))) }
        }
        failQueued(error, &actions)
        actions.append(.sessionEvent(.disconnected))
        disconnectedSince = now
        actions.append(.scheduleTimer(.sessionExpiry, afterMs: timeoutMs))
        connectAgain(now: now, &actions)
    }

    /// Gives the session up once it has been unreachable for a whole session timeout.
    private mutating func checkLocalExpiry(now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        guard credentials != nil, let since = disconnectedSince else { return }
        switch state {
        case .connecting(let attempt):
            guard now - since >= timeoutMs else {
                actions.append(.scheduleTimer(.sessionExpiry, afterMs: since + timeoutMs - now))
                return
            }
            expire(reason: "disconnected for \(now - since) ms", now: now, &actions)
            if attempt.handshakeSent {
                // That handshake resumes the old session: start over with a new one.
                actions.append(.cancelTimer(.connect))
                actions.append(.closeConnection(attempt.connection))
                connectNext(now: now, &actions)
            }
        case .backingOff:
            guard now - since >= timeoutMs else {
                actions.append(.scheduleTimer(.sessionExpiry, afterMs: since + timeoutMs - now))
                return
            }
            expire(reason: "disconnected for \(now - since) ms", now: now, &actions)
        case .idle, .connected, .closing, .closed:
            break
        }
    }

    private mutating func expire(reason: String, now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        guard let old = credentials else { return }
        actions.append(.log(.warning, "session 0x\(String(UInt64(bitPattern: old.sessionID), radix: 16)) expired: \(reason)"))
        credentials = nil
        disconnectedSince = nil
        watches = WatchRegistry()
        actions.append(.cancelTimer(.sessionExpiry))
        failQueued(ZooKeeperError(.sessionExpired, reason), &actions)
        actions.append(.sessionEvent(.expired(sessionID: old.sessionID)))
    }

    private mutating func finishClose(now: Int64, _ actions: inout [ZooKeeperSessionAction]) {
        cancelTimers(ZooKeeperTimer.allCases, &actions)
        let error = ZooKeeperError(.sessionExpired, "the session is closed")
        switch state {
        case .connecting(let attempt):
            actions.append(.closeConnection(attempt.connection))
        case .connected(let live), .closing(let live, _):
            for pending in live.pending {
                if let id = pending.id { actions.append(.fail(id, ZooKeeperError(error.code, error.message, path: pending.request.path))) }
            }
            actions.append(.closeConnection(live.connection))
        case .idle, .backingOff, .closed:
            break
        }
        failQueued(error, &actions)
        credentials = nil
        disconnectedSince = nil
        watches = WatchRegistry()
        state = .closed
        actions.append(.sessionEvent(.closed))
    }

    private mutating func failQueued(_ error: ZooKeeperError, _ actions: inout [ZooKeeperSessionAction]) {
        let waiting = queued
        queued = []
        for (id, request) in waiting {
            actions.append(.fail(id, ZooKeeperError(error.code, error.message, path: request.path)))
        }
    }

    private func cancelTimers(_ timers: [ZooKeeperTimer], _ actions: inout [ZooKeeperSessionAction]) {
        for timer in timers { actions.append(.cancelTimer(timer)) }
    }

    // MARK: - Validation

    private func validate(_ request: ZooKeeperRequest) -> ZooKeeperError? {
        do {
            switch request {
            case .create(let create), .create2(let create):
                guard create.mode != .container else {
                    return ZooKeeperError(.badArguments, "container nodes are created with createContainer", path: create.path)
                }
                try validateCreate(create)
            case .createContainer(let create):
                guard create.mode == .container else {
                    return ZooKeeperError(.badArguments, "createContainer needs the container mode", path: create.path)
                }
                try validateCreate(create)
            case .delete(let path, _), .exists(let path, _), .getData(let path, _), .getChildren(let path, _),
                 .getChildren2(let path, _), .sync(let path):
                try ZooKeeperPath.validate(path)
            case .setData(let path, let data, _):
                try ZooKeeperPath.validate(path)
                try validateData(data, path: path)
            case .multi(let operations):
                for operation in operations {
                    switch operation {
                    case .create(let create):
                        guard create.mode != .container else {
                            return ZooKeeperError(.badArguments, "containers cannot be created in a multi", path: create.path)
                        }
                        try validateCreate(create)
                    case .delete(let path, _), .check(let path, _):
                        try ZooKeeperPath.validate(path)
                    case .setData(let path, let data, _):
                        try ZooKeeperPath.validate(path)
                        try validateData(data, path: path)
                    }
                }
            case .ping, .closeSession, .setWatches:
                return ZooKeeperError(.badArguments, "\(request.opCode) is sent by the session itself")
            }
        } catch {
            return error
        }
        return nil
    }

    private func validateCreate(_ create: CreateRequest) throws(ZooKeeperError) {
        try ZooKeeperPath.validate(create.path, isSequential: create.mode.isSequential)
        try validateData(create.data, path: create.path)
    }

    private func validateData(_ data: [UInt8], path: String) throws(ZooKeeperError) {
        guard data.count <= configuration.maxDataSize else {
            throw ZooKeeperError(.badArguments, "\(data.count) bytes of data exceed the \(configuration.maxDataSize)-byte limit", path: path)
        }
    }
}
