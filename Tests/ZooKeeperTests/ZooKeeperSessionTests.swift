import NIOCore
import Testing
import ZooKeeper

/// Drives a `ZooKeeperSession` with a manual clock, playing the servers by hand.
struct SessionDriver {
    var session: ZooKeeperSession
    var now: Int64 = 0
    var nextRequest: UInt64 = 1
    /// The connection the session dialled last, and to which server.
    var connection: ZooKeeperConnectionID?
    var server: ZooKeeperServerAddress?
    /// Every action so far.
    var log: [ZooKeeperSessionAction] = []

    init(_ connectString: String, timeoutMs: Int32 = 6000, seed: UInt64 = 7) throws {
        session = ZooKeeperSession(
            configuration: .init(connectString: try ConnectString(parsing: connectString), sessionTimeoutMs: timeoutMs), seed: seed)
    }

    @discardableResult
    mutating func record(_ actions: [ZooKeeperSessionAction]) -> [ZooKeeperSessionAction] {
        log += actions
        if let (id, server) = actions.connects.last {
            connection = id
            self.server = server
        }
        return actions
    }

    @discardableResult mutating func start() -> [ZooKeeperSessionAction] { record(session.start(now: now)) }

    @discardableResult mutating func tcpUp() -> [ZooKeeperSessionAction] {
        record(session.connectionEstablished(connection!, now: now))
    }

    @discardableResult mutating func receive(_ frame: ByteBuffer) -> [ZooKeeperSessionAction] {
        record(session.received(frame, on: connection!, now: now))
    }

    @discardableResult mutating func drop(_ reason: String = "reset") -> [ZooKeeperSessionAction] {
        record(session.connectionClosed(connection!, reason: reason, now: now))
    }

    @discardableResult mutating func submit(_ request: ZooKeeperRequest) -> (ZooKeeperRequestID, [ZooKeeperSessionAction]) {
        let id = ZooKeeperRequestID(nextRequest)
        nextRequest += 1
        return (id, record(session.submit(request, id: id, now: now)))
    }

    @discardableResult mutating func fire(_ timer: ZooKeeperTimer, at time: Int64) -> [ZooKeeperSessionAction] {
        now = time
        return record(session.timerFired(timer, now: now))
    }

    /// Dial, handshake, and get session `sessionID`.
    @discardableResult mutating func establish(sessionID: Int64 = 0x77, timeoutMs: Int32 = 6000) -> [ZooKeeperSessionAction] {
        tcpUp()
        return receive(connectResponseFrame(sessionID: sessionID, timeoutMs: timeoutMs))
    }
}

@Suite struct ZooKeeperSessionTests {
    @Test func handshakeNegotiatesTheTimeoutAndSchedulesHeartbeats() throws {
        var driver = try SessionDriver("a:1,b:2,c:3", timeoutMs: 9000)
        let start = driver.start().withoutLogs
        #expect(start.count == 2)
        #expect(start[1] == .scheduleTimer(.connect, afterMs: 3000), "session timeout / 3 servers")
        let hello = driver.tcpUp()
        #expect(hello.sentPackets == [.connect(ConnectRequest(lastZxidSeen: 0, timeoutMs: 9000, sessionID: 0, password: Array(repeating: 0, count: 16)))])
        // The server negotiates 6 s: pings at 2 s idle, read timeout 4 s.
        let established = driver.receive(connectResponseFrame(sessionID: 0x42, timeoutMs: 6000)).withoutLogs
        #expect(established == [
            .cancelTimer(.connect), .cancelTimer(.sessionExpiry),
            .sessionEvent(.connected(sessionID: 0x42, timeoutMs: 6000, server: driver.server!)),
            .scheduleTimer(.ping, afterMs: 2000), .scheduleTimer(.readTimeout, afterMs: 4000),
        ])
        #expect(driver.session.isConnected)
        #expect(driver.session.credentials == .init(sessionID: 0x42, password: Array(1...16), timeoutMs: 6000))
    }

    @Test func serversAreShuffledByTheSeedAndRotated() throws {
        var orders: Set<[String]> = []
        for seed in 0..<20 as Range<UInt64> {
            var driver = try SessionDriver("a:1,b:1,c:1,d:1", seed: seed)
            driver.start()
            var dialled: [String] = [driver.server!.host]
            for _ in 0..<3 {
                driver.drop("refused")
                dialled.append(driver.server!.host)
            }
            #expect(Set(dialled).count == 4, "each server once per round")
            orders.insert(dialled)
        }
        #expect(orders.count > 1, "the seed changes the order")
    }

    @Test func pingsOnlyWhenIdle() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish()
        // A request at 1.5 s: at 2 s the connection is not idle yet; the ping waits for 3.5 s.
        driver.now = 1500
        driver.submit(.exists(path: "/a", watch: false))
        let early = driver.fire(.ping, at: 2000)
        #expect(early.sentPackets.isEmpty)
        #expect(early.contains(.scheduleTimer(.ping, afterMs: 1500)))
        let due = driver.fire(.ping, at: 3500)
        #expect(due.sentPackets == [.request(xid: -2, .ping)])
        #expect(due.contains(.scheduleTimer(.ping, afterMs: 2000)))
    }

    @Test func readTimeoutLosesTheConnectionAndResumesTheSessionElsewhere() throws {
        var driver = try SessionDriver("a:1,b:2")
        driver.start()
        let firstServer = driver.server!
        driver.establish(sessionID: 0x99)
        // A reply keeps the connection alive and raises lastZxidSeen.
        driver.now = 1000
        let (first, _) = driver.submit(.getData(path: "/a", watch: true))
        driver.receive(replyFrame(xid: 1, zxid: 0x50, .data([1], sampleStat)))
        let (pending, _) = driver.submit(.getChildren(path: "/", watch: false))

        // 4 s after the last byte (2/3 of 6 s) without anything: lost.
        let stillFine = driver.fire(.readTimeout, at: 4000)
        #expect(stillFine == [.scheduleTimer(.readTimeout, afterMs: 1000)])
        let lost = driver.fire(.readTimeout, at: 5000).withoutLogs
        let oldConnection = ZooKeeperConnectionID(1)
        #expect(lost.contains(.closeConnection(oldConnection)))
        #expect(lost.failures[pending]?.code == .connectionLoss)
        #expect(lost.sessionEvents == [.disconnected])
        #expect(lost.contains(.scheduleTimer(.sessionExpiry, afterMs: 6000)))
        #expect(driver.server != firstServer, "the other server is dialled at once")
        #expect(driver.log.successes[first] != nil)

        // Reconnect with the same session, password and last zxid; the watch is re-armed first.
        let (queued, queuedActions) = driver.submit(.exists(path: "/b", watch: false))
        #expect(queuedActions.isEmpty, "waits for the connection")
        let resume = driver.tcpUp()
        #expect(resume.sentPackets == [.connect(ConnectRequest(lastZxidSeen: 0x50, timeoutMs: 6000, sessionID: 0x99, password: Array(1...16)))])
        let back = driver.receive(connectResponseFrame(sessionID: 0x99)).withoutLogs
        #expect(back.sessionEvents == [.reconnected(sessionID: 0x99, server: driver.server!)])
        #expect(back.sentPackets == [
            .request(xid: -8, .setWatches(SetWatches(relativeZxid: 0x50, dataWatches: ["/a"], existWatches: [], childWatches: []))),
            .request(xid: 3, .exists(path: "/b", watch: false)),
        ])
        #expect(back.contains(.cancelTimer(.sessionExpiry)))
        // The set-watches answer is not a request's reply.
        #expect(driver.receive(replyFrame(xid: -8, zxid: 0x50)).withoutLogs.isEmpty)
        let answered = driver.receive(replyFrame(xid: 3, zxid: 0x51, .stat(sampleStat)))
        #expect(answered.successes[queued] == .stat(sampleStat))
    }

    @Test func serverSaysExpiredOnReconnect() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish(sessionID: 0x99)
        let (_, _) = driver.submit(.getChildren(path: "/", watch: true))
        driver.receive(replyFrame(xid: 1, .children([])))
        #expect(!driver.session.watches.isEmpty)
        driver.drop()
        let (queued, _) = driver.submit(.exists(path: "/b", watch: false))
        driver.tcpUp()
        let answer = driver.receive(connectResponseFrame(sessionID: 0, timeoutMs: 0, password: Array(repeating: 0, count: 16))).withoutLogs
        #expect(answer.sessionEvents == [.expired(sessionID: 0x99)])
        #expect(answer.failures[queued]?.code == .sessionExpired)
        #expect(driver.session.credentials == nil)
        #expect(driver.session.watches.isEmpty, "watches die with the session")
        // Then a brand-new session.
        let hello = driver.tcpUp()
        #expect(hello.sentPackets == [.connect(ConnectRequest(lastZxidSeen: 1, timeoutMs: 6000, sessionID: 0, password: Array(repeating: 0, count: 16)))])
        let fresh = driver.receive(connectResponseFrame(sessionID: 0x100))
        #expect(fresh.sessionEvents == [.connected(sessionID: 0x100, timeoutMs: 6000, server: driver.server!)])
    }

    @Test func unreachableForAWholeSessionTimeoutExpiresLocally() throws {
        var driver = try SessionDriver("a:1", timeoutMs: 3000)
        driver.start()
        driver.establish(sessionID: 0x99, timeoutMs: 3000)
        driver.now = 100
        driver.drop()
        // Every dial is refused; back-offs in between.
        var expiredAt: Int64?
        var steps = 0
        while expiredAt == nil, steps < 50 {
            steps += 1
            let actions: [ZooKeeperSessionAction]
            if driver.session.currentServer != nil {
                driver.now += 10
                actions = driver.drop("refused")
            } else {
                driver.now += 500
                actions = driver.record(driver.session.timerFired(.reconnect, now: driver.now)) + driver.record(driver.session.timerFired(.sessionExpiry, now: driver.now))
            }
            if actions.sessionEvents.contains(.expired(sessionID: 0x99)) { expiredAt = driver.now }
        }
        let at = try #require(expiredAt)
        #expect(at >= 3100 && at < 3700, "one session timeout after the loss (\(at))")
        #expect(driver.session.credentials == nil)
        // The next handshake asks for a new session.
        if driver.session.currentServer == nil { driver.fire(.reconnect, at: driver.now + 1000) }
        let hello = driver.tcpUp()
        if case .connect(let request)? = hello.sentPackets.first {
            #expect(request.sessionID == 0)
        } else {
            Issue.record("no connect request")
        }
    }

    @Test func aRefusedNewSessionIsAFailedAttemptNotAnExpiry() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.tcpUp()
        let refused = driver.receive(connectResponseFrame(sessionID: 0, timeoutMs: 0)).withoutLogs
        #expect(refused.sessionEvents.isEmpty)
        #expect(refused.connects.isEmpty, "no hot loop: back-off first")
        #expect(refused.contains { if case .scheduleTimer(.reconnect, _) = $0 { true } else { false } })
    }

    @Test func everyServerFailingBacksOffWithJitter() throws {
        var driver = try SessionDriver("a:1,b:1")
        driver.start()
        let second = driver.drop("refused")
        #expect(second.connects.count == 1, "the second server at once")
        let third = driver.drop("refused").withoutLogs
        #expect(third.connects.isEmpty)
        guard case .scheduleTimer(.reconnect, let delay)? = third.last else {
            Issue.record("back-off expected: \(third)")
            return
        }
        #expect(delay >= 500 && delay <= 1000)
        #expect(driver.fire(.reconnect, at: delay - 1).withoutLogs == [.scheduleTimer(.reconnect, afterMs: 1)])
        #expect(driver.fire(.reconnect, at: delay).connects.count == 1)
    }

    @Test func connectTimeoutMovesOn() throws {
        var driver = try SessionDriver("a:1,b:1")
        driver.start()
        let first = driver.connection!
        driver.tcpUp()  // but the server never answers the handshake
        let moved = driver.fire(.connect, at: 3000)
        #expect(moved.contains(.closeConnection(first)))
        #expect(moved.connects.count == 1)
        // A late answer on the abandoned connection is ignored; a late TCP connect is closed.
        #expect(driver.session.received(connectResponseFrame(sessionID: 1), on: first, now: 3001).isEmpty)
        #expect(driver.session.connectionEstablished(first, now: 3002) == [.closeConnection(first)])
    }

    @Test func repliesOutOfOrderDropTheConnection() throws {
        var driver = try SessionDriver("a:1,b:1")
        driver.start()
        driver.establish(sessionID: 5)
        let (one, _) = driver.submit(.exists(path: "/a", watch: false))
        let (two, _) = driver.submit(.exists(path: "/b", watch: false))
        let broken = driver.receive(replyFrame(xid: 2, .stat(sampleStat)))
        #expect(broken.failures[one]?.code == .connectionLoss)
        #expect(broken.failures[two]?.code == .connectionLoss)
        #expect(broken.sessionEvents == [.disconnected])
        #expect(broken.contains { if case .log(_, let text) = $0 { text.contains("xid out of order") } else { false } })
        #expect(broken.connects.count == 1, "reconnects with the same session")
        driver.tcpUp()
        #expect(driver.receive(connectResponseFrame(sessionID: 5)).sessionEvents == [.reconnected(sessionID: 5, server: driver.server!)])
    }

    @Test func unreadableRepliesDropTheConnection() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish(sessionID: 5)
        let (id, _) = driver.submit(.getData(path: "/a", watch: false))
        var truncated = replyFrame(xid: 1, .data([1, 2, 3], sampleStat))
        truncated.moveWriterIndex(to: truncated.writerIndex - 5)
        let actions = driver.receive(truncated)
        #expect(actions.failures[id]?.code == .marshallingError)
        #expect(actions.sessionEvents == [.disconnected])
    }

    @Test func chrootIsAppliedToRequestsAndStrippedFromAnswers() throws {
        var driver = try SessionDriver("a:1/spark/ha")
        driver.start()
        driver.establish()
        let (create, sent) = driver.submit(.create2(CreateRequest(path: "/leader_election/_c_1-latch-", mode: .ephemeralSequential)))
        #expect(sent.sentPackets == [.request(xid: 1, .create2(CreateRequest(path: "/spark/ha/leader_election/_c_1-latch-", mode: .ephemeralSequential)))])
        let created = driver.receive(replyFrame(xid: 1, .create2(path: "/spark/ha/leader_election/_c_1-latch-0000000007", stat: sampleStat)))
        #expect(created.successes[create] == .create2(path: "/leader_election/_c_1-latch-0000000007", stat: sampleStat))

        let (_, root) = driver.submit(.getChildren(path: "/", watch: true))
        #expect(root.sentPackets == [.request(xid: 2, .getChildren(path: "/spark/ha", watch: true))])
        driver.receive(replyFrame(xid: 2, .children(["leader_election"])))
        let event = driver.receive(notificationFrame(.nodeChildrenChanged, path: "/spark/ha"))
        #expect(event.contains(.watchEvent(ZooKeeperWatchEvent(type: .nodeChildrenChanged, path: "/"))))

        let (multi, _) = driver.submit(.multi([.create(CreateRequest(path: "/x", mode: .persistent)), .delete(path: "/y", version: -1)]))
        let multiDone = driver.receive(replyFrame(xid: 3, .multi([.create(path: "/spark/ha/x"), .delete])))
        #expect(multiDone.successes[multi] == .multi([.create(path: "/x"), .delete]))

        // Watches are re-armed with server paths.
        driver.submit(.exists(path: "/gone", watch: true))
        driver.receive(replyFrame(xid: 4, err: .noNode))
        driver.drop()
        driver.tcpUp()
        let back = driver.receive(connectResponseFrame(sessionID: 0x77))
        #expect(back.sentPackets.first == .request(xid: -8, .setWatches(SetWatches(
            relativeZxid: 1, dataWatches: [], existWatches: ["/spark/ha/gone"], childWatches: []))))
    }

    @Test func watchesAreOneShot() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish()
        driver.submit(.getData(path: "/a", watch: true))
        driver.receive(replyFrame(xid: 1, .data([], Stat())))
        driver.submit(.exists(path: "/b", watch: true))
        driver.receive(replyFrame(xid: 2, err: .noNode))
        driver.submit(.getChildren2(path: "/a", watch: true))
        driver.receive(replyFrame(xid: 3, .children2([], Stat())))
        #expect(driver.session.watches.data == ["/a"] && driver.session.watches.exist == ["/b"] && driver.session.watches.child == ["/a"])
        driver.receive(notificationFrame(.nodeCreated, path: "/b"))
        #expect(driver.session.watches.exist.isEmpty)
        driver.receive(notificationFrame(.nodeDeleted, path: "/a"))
        #expect(driver.session.watches.isEmpty)
        // A failed getData leaves no watch.
        driver.submit(.getData(path: "/c", watch: true))
        driver.receive(replyFrame(xid: 4, err: .noNode))
        #expect(driver.session.watches.isEmpty)
    }

    @Test func requestsWhileConnectingWaitAndFailWithTheAttempt() throws {
        var driver = try SessionDriver("a:1,b:1")
        driver.start()
        let (early, queued) = driver.submit(.exists(path: "/a", watch: false))
        #expect(queued.isEmpty)
        let failed = driver.drop("refused")
        #expect(failed.failures[early]?.code == .connectionLoss)
        let (later, _) = driver.submit(.exists(path: "/a", watch: false))
        let established = driver.establish()
        #expect(established.sentPackets == [.request(xid: 1, .exists(path: "/a", watch: false))])
        let done = driver.receive(replyFrame(xid: 1, err: .noNode))
        #expect(done.failures[later] == ZooKeeperError(.noNode, path: "/a"))
    }

    @Test func closeSendsCloseSessionAndWaitsForTheAnswer() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish()
        let (inFlight, _) = driver.submit(.exists(path: "/a", watch: false))
        let close = driver.record(driver.session.close(now: driver.now)).withoutLogs
        #expect(close.sentPackets == [.request(xid: 2, .closeSession)])
        #expect(close.contains(.scheduleTimer(.close, afterMs: 2000)))
        let (after, refused) = driver.submit(.exists(path: "/a", watch: false))
        #expect(refused.failures[after]?.code == .sessionExpired)
        // The request written before close is still answered, then closeSession.
        #expect(driver.receive(replyFrame(xid: 1, .stat(sampleStat))).successes[inFlight] == .stat(sampleStat))
        let closed = driver.receive(replyFrame(xid: 2))
        #expect(closed.sessionEvents == [.closed])
        #expect(closed.contains(.closeConnection(driver.connection!)))
        #expect(driver.session.isClosed)
        #expect(driver.session.close(now: driver.now).isEmpty)
    }

    @Test func closeWithoutAnAnswerGivesUpAfterTheCloseTimeout() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish()
        driver.record(driver.session.close(now: 0))
        #expect(driver.fire(.close, at: 1999).sessionEvents.isEmpty)
        #expect(driver.fire(.close, at: 2000).sessionEvents == [.closed])
    }

    @Test func closeWhileDisconnectedIsImmediate() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        let (queued, _) = driver.submit(.exists(path: "/a", watch: false))
        let closed = driver.record(driver.session.close(now: 0))
        #expect(closed.sessionEvents == [.closed])
        #expect(closed.failures[queued]?.code == .sessionExpired)
        #expect(closed.contains(.closeConnection(ZooKeeperConnectionID(1))))
    }

    @Test func invalidRequestsAreRefusedLocally() throws {
        var driver = try SessionDriver("a:1")
        driver.start()
        driver.establish()
        let bad: [ZooKeeperRequest] = [
            .getData(path: "relative", watch: false),
            .create(CreateRequest(path: "/a/", mode: .persistent)),
            .create(CreateRequest(path: "/c", mode: .container)),
            .createContainer(CreateRequest(path: "/c", mode: .persistent)),
            .setData(path: "/a", data: Array(repeating: 0, count: 2 * 1024 * 1024), version: -1),
            .ping,
            .multi([.check(path: "//", version: 1)]),
        ]
        for request in bad {
            let (id, actions) = driver.submit(request)
            #expect(actions.failures[id]?.code == .badArguments, "\(request.opCode)")
            #expect(actions.sentPackets.isEmpty)
        }
        // A sequential create may end with a slash.
        let (_, ok) = driver.submit(.create(CreateRequest(path: "/queue/", mode: .persistentSequential)))
        #expect(ok.sentPackets.count == 1)
    }

    @Test func requestsBeforeStartFail() throws {
        var driver = try SessionDriver("a:1")
        let (id, actions) = driver.submit(.exists(path: "/a", watch: false))
        #expect(actions.failures[id]?.code == .connectionLoss)
    }

    @Test func setWatchesAreSplitBySize() throws {
        var registry = WatchRegistry()
        for index in 0..<100 { registry.data.insert("/node-\(index)-" + String(repeating: "x", count: 40)) }
        var driver = try SessionDriver("a:1")
        driver.session = ZooKeeperSession(
            configuration: .init(connectString: try ConnectString(parsing: "a:1"), maxSetWatchesSize: 1024), seed: 1)
        driver.start()
        driver.establish()
        for (index, path) in registry.data.sorted().enumerated() {
            driver.submit(.getData(path: path, watch: true))
            driver.receive(replyFrame(xid: Int32(index + 1), .data([], Stat())))
        }
        driver.drop()
        driver.tcpUp()
        let back = driver.receive(connectResponseFrame(sessionID: 0x77))
        let records = back.sentPackets.compactMap { packet -> SetWatches? in
            if case .request(-8, .setWatches(let record)) = packet { record } else { nil }
        }
        #expect(records.count > 1)
        #expect(records.allSatisfy { $0.encodedSize <= 1024 })
        #expect(Set(records.flatMap(\.dataWatches)) == registry.data)
    }
}
