import Testing
import ZooKeeper

/// Several `LeaderLatch`es wired to one `InMemoryZooKeeper`. The server applies a request when it
/// is submitted (in order, per session); its answer and any watch notifications are delivered
/// later, in FIFO order, by `pump`. After every step at most one participant may believe it leads.
struct ElectionHarness {
    struct Participant {
        var latch: LeaderLatch
        var session: Int64?
        var connected = false
        var leader = false
        var leadership: [LeaderLatchAction] = []
        var actions: [LeaderLatchAction] = []
    }

    enum Delivery {
        case completed(Int, LeaderLatchOperation, Result<ZooKeeperResponse, ZooKeeperError>, session: Int64)
        case watch(Int, ZooKeeperWatchEvent, session: Int64)
    }

    static let path = "/spark/leader_election"
    var zk = InMemoryZooKeeper()
    var participants: [Participant] = []
    var queue: [Delivery] = []
    var steps = 0
    var maxLeaders = 0

    init(count: Int, seed: UInt64 = 1) {
        for index in 0..<count {
            participants.append(Participant(latch: LeaderLatch(configuration: .init(latchPath: Self.path), seed: seed &+ UInt64(index) &* 7919)))
        }
    }

    var leaders: [Int] { participants.indices.filter { participants[$0].leader } }

    /// Participants in the order of their nodes on the server.
    var serverOrder: [String] { LeaderLatch.sortedParticipants(zk.children(of: Self.path)) }

    mutating func perform(_ index: Int, _ actions: [LeaderLatchAction]) {
        participants[index].actions += actions
        for action in actions {
            switch action {
            case .submit(let operation, let request):
                guard participants[index].connected, let session = participants[index].session else {
                    queue.append(.completed(index, operation, .failure(ZooKeeperError(.connectionLoss)), session: participants[index].session ?? 0))
                    continue
                }
                let (result, notifications) = zk.apply(request, session: session)
                queue.append(.completed(index, operation, result.mapError { error in ZooKeeperError(error.code, path: request.path) }, session: session))
                deliver(notifications)
            case .isLeader:
                participants[index].leader = true
                participants[index].leadership.append(action)
            case .notLeader:
                participants[index].leader = false
                participants[index].leadership.append(action)
            case .scheduleRetry, .log:
                break
            }
        }
        maxLeaders = max(maxLeaders, leaders.count)
    }

    mutating func deliver(_ notifications: [InMemoryZooKeeper.Notification]) {
        for notification in notifications {
            if let index = participants.firstIndex(where: { $0.session == notification.session }) {
                queue.append(.watch(index, notification.event, session: notification.session))
            }
        }
    }

    /// Delivers queued answers and events until nothing is left (bounded).
    mutating func pump(limit: Int = 1000) {
        var count = 0
        while !queue.isEmpty, count < limit {
            count += 1
            steps += 1
            let delivery = queue.removeFirst()
            switch delivery {
            case .completed(let index, let operation, var result, let session):
                // An answer on a connection that is gone never arrives: the request fails instead.
                if !participants[index].connected || participants[index].session != session {
                    result = .failure(ZooKeeperError(.connectionLoss))
                }
                perform(index, participants[index].latch.completed(operation, result))
            case .watch(let index, let event, let session):
                guard participants[index].connected, participants[index].session == session else { continue }
                perform(index, participants[index].latch.watchEvent(event))
            }
        }
    }

    mutating func start(_ index: Int) { perform(index, participants[index].latch.start()) }

    mutating func connect(_ index: Int) {
        let session = zk.createSession()
        participants[index].session = session
        participants[index].connected = true
        perform(index, participants[index].latch.sessionEvent(.connected(sessionID: session, timeoutMs: 6000, server: .init(host: "zk", port: 1))))
    }

    mutating func disconnect(_ index: Int) {
        participants[index].connected = false
        perform(index, participants[index].latch.sessionEvent(.disconnected))
    }

    mutating func reconnect(_ index: Int) {
        participants[index].connected = true
        perform(index, participants[index].latch.sessionEvent(.reconnected(sessionID: participants[index].session!, server: .init(host: "zk", port: 1))))
    }

    /// The server expires the session (the client finds out when it next connects).
    mutating func expireOnServer(_ index: Int) {
        guard let session = participants[index].session else { return }
        deliver(zk.endSession(session))
    }

    mutating func clientLearnsExpiry(_ index: Int) {
        let session = participants[index].session ?? 0
        participants[index].connected = false
        participants[index].session = nil
        perform(index, participants[index].latch.sessionEvent(.expired(sessionID: session)))
    }

    /// The participant leaves: stop (deletes its node), then its session closes.
    mutating func close(_ index: Int) {
        perform(index, participants[index].latch.stop())
        pump()
        if let session = participants[index].session { deliver(zk.endSession(session)) }
        participants[index].connected = false
        perform(index, participants[index].latch.sessionEvent(.closed))
    }

    /// Every participant whose node is first on the server and connected should lead once settled.
    func expectSettled(sourceLocation: SourceLocation = #_sourceLocation) {
        let connected = participants.indices.filter { participants[$0].connected }
        #expect(leaders.count == (connected.isEmpty ? 0 : 1), "leaders \(leaders)", sourceLocation: sourceLocation)
        if let leader = leaders.first, let first = serverOrder.first {
            #expect(participants[leader].latch.nodePath.map(ZooKeeperPath.name(of:)) == first, sourceLocation: sourceLocation)
        }
        #expect(maxLeaders <= 1, "two leaders at once", sourceLocation: sourceLocation)
    }
}

@Suite struct LeaderLatchTests {
    @Test func aLoneParticipantCreatesParentsAndLeads() throws {
        var latch = LeaderLatch(configuration: .init(latchPath: "/spark/leader_election"), seed: 42)
        #expect(latch.start().isEmpty, "waits for a session")
        let prefix = "/spark/leader_election/" + latch.protectedPrefix
        #expect(latch.protectedPrefix.hasPrefix("_c_") && latch.protectedPrefix.hasSuffix("-latch-") && latch.protectedPrefix.count == 3 + 36 + 7)

        let connected = latch.sessionEvent(.connected(sessionID: 1, timeoutMs: 6000, server: .init(host: "zk", port: 1))).submissions
        // A new session changes the protected id.
        let create = try #require(connected.first)
        let newPrefix = "/spark/leader_election/" + latch.protectedPrefix
        #expect(newPrefix != prefix)
        #expect(create.1 == .create2(CreateRequest(path: newPrefix, mode: .ephemeralSequential)))

        // No parent yet: persistent /spark, container /spark/leader_election, then the node again.
        let submitted = latch.completed(create.0, .failure(ZooKeeperError(.noNode))).submissions
        #expect(submitted.map(\.1) == [
            .create(CreateRequest(path: "/spark", mode: .persistent)),
            .createContainer(CreateRequest(path: "/spark/leader_election", mode: .container)),
            .create2(CreateRequest(path: newPrefix, mode: .ephemeralSequential)),
        ])
        let retried = try #require(submitted.last)
        let node = newPrefix + "0000000000"
        let list = latch.completed(retried.0, .success(.create2(path: node, stat: Stat()))).submissions
        #expect(list.map(\.1) == [.getChildren(path: "/spark/leader_election", watch: false)])
        let elected = latch.completed(list[0].0, .success(.children([ZooKeeperPath.name(of: node)])))
        #expect(elected.leadership == [.isLeader])
        #expect(elected.submissions.map(\.1) == [.getData(path: node, watch: true)], "the leader watches its own node")
        #expect(latch.isLeader)

        // Leaving: notLeader and the node is deleted.
        let stop = latch.stop()
        #expect(stop.leadership == [.notLeader])
        #expect(stop.submissions.map(\.1) == [.delete(path: node, version: -1)])
    }

    @Test func exactlyOneLeaderAndFollowersWatchOnlyTheirPredecessor() {
        var harness = ElectionHarness(count: 3)
        for index in 0..<3 {
            harness.start(index)
            harness.connect(index)
            harness.pump()
        }
        harness.expectSettled()
        #expect(harness.leaders == [0])
        let order = harness.serverOrder
        #expect(order.count == 3)
        // Participant 2 watches participant 1's node, not the leader's.
        let watched = harness.participants[2].actions.submissions.compactMap { operation, request -> String? in
            if case .watchPredecessor(let path) = operation.step { path } else { nil }
        }
        #expect(watched.last == "\(ElectionHarness.path)/\(order[1])")
    }

    @Test func closingTheLeaderHandsOverAtOnce() {
        var harness = ElectionHarness(count: 2)
        for index in 0..<2 {
            harness.start(index)
            harness.connect(index)
        }
        harness.pump()
        #expect(harness.leaders == [0])
        harness.close(0)
        harness.pump()
        #expect(harness.leaders == [1])
        #expect(harness.participants[0].leadership == [.isLeader, .notLeader])
        harness.expectSettled()
    }

    @Test func aDisconnectedLeaderStepsDownBeforeAnyoneElseCanLead() {
        var harness = ElectionHarness(count: 2)
        for index in 0..<2 {
            harness.start(index)
            harness.connect(index)
        }
        harness.pump()
        #expect(harness.leaders == [0])
        // SUSPENDED: leadership ends at once, although the session (and node) still exist.
        harness.disconnect(0)
        #expect(harness.leaders.isEmpty)
        harness.pump()
        #expect(harness.leaders.isEmpty, "participant 1 waits: participant 0's node is still first")
        // The server expires participant 0's session: its node goes and 1 takes over.
        harness.expireOnServer(0)
        harness.pump()
        #expect(harness.leaders == [1])
        // 0 comes back with a new session and queues up behind.
        harness.clientLearnsExpiry(0)
        harness.connect(0)
        harness.pump()
        #expect(harness.leaders == [1])
        harness.expectSettled()
        #expect(harness.serverOrder.count == 2)
    }

    @Test func reconnectingWithinTheSessionRequeuesBehindTheOthers() {
        var harness = ElectionHarness(count: 2)
        for index in 0..<2 {
            harness.start(index)
            harness.connect(index)
        }
        harness.pump()
        let oldNode = harness.participants[0].latch.nodePath
        harness.disconnect(0)
        harness.reconnect(0)
        harness.pump()
        // Curator reset: the old node is deleted, a new one created at the back.
        #expect(harness.leaders == [1])
        #expect(harness.participants[0].latch.nodePath != oldNode)
        #expect(!harness.zk.children(of: ElectionHarness.path).contains(ZooKeeperPath.name(of: oldNode!)))
        harness.expectSettled()
    }

    @Test func aCreateWhoseAnswerWasLostLeavesNoOrphan() {
        var harness = ElectionHarness(count: 2)
        harness.start(1)
        harness.connect(1)
        harness.pump()
        harness.start(0)
        harness.connect(0)
        // The create reaches the server, but the connection drops before the answer arrives.
        harness.disconnect(0)
        harness.pump()
        #expect(harness.zk.children(of: ElectionHarness.path).count == 2, "the orphan exists")
        harness.reconnect(0)
        harness.pump()
        let names = harness.zk.children(of: ElectionHarness.path)
        #expect(names.count == 2, "the orphan was found by its protected id and deleted: \(names)")
        #expect(names.contains(ZooKeeperPath.name(of: harness.participants[0].latch.nodePath!)))
        harness.expectSettled()
        #expect(harness.leaders == [1])
    }

    @Test func aStaleCreateAnswerIsCleanedUp() throws {
        var latch = LeaderLatch(configuration: .init(latchPath: "/e"), seed: 3)
        _ = latch.start()
        let create = try #require(latch.sessionEvent(.connected(sessionID: 1, timeoutMs: 6000, server: .init(host: "zk", port: 1))).submissions.first)
        _ = latch.sessionEvent(.disconnected)
        _ = latch.sessionEvent(.reconnected(sessionID: 1, server: .init(host: "zk", port: 1)))
        // The first create's answer arrives after the reset: that node must go.
        let cleanup = latch.completed(create.0, .success(.create2(path: "/e/x-latch-0000000001", stat: Stat())))
        #expect(cleanup.submissions.map(\.1) == [.delete(path: "/e/x-latch-0000000001", version: -1)])
    }

    @Test func losingOurNodeEndsLeadership() {
        var harness = ElectionHarness(count: 2)
        for index in 0..<2 {
            harness.start(index)
            harness.connect(index)
        }
        harness.pump()
        // Someone deletes the leader's node: NodeDeleted on its own watch.
        let node = harness.participants[0].latch.nodePath!
        let (_, notifications) = harness.zk.apply(.delete(path: node, version: -1), session: harness.participants[1].session!)
        harness.deliver(notifications)
        harness.pump()
        #expect(harness.participants[0].leadership == [.isLeader, .notLeader])
        #expect(harness.leaders == [1])
        harness.expectSettled()
    }

    @Test func theDeathOfAMiddleParticipantOnlyMovesItsSuccessor() {
        var harness = ElectionHarness(count: 3)
        for index in 0..<3 {
            harness.start(index)
            harness.connect(index)
            harness.pump()
        }
        let leaderActions = harness.participants[0].actions.count
        harness.close(1)
        harness.pump()
        #expect(harness.leaders == [0])
        #expect(harness.participants[0].actions.count == leaderActions, "the leader is not disturbed")
        let watched = harness.participants[2].actions.submissions.compactMap { operation, _ -> String? in
            if case .watchPredecessor(let path) = operation.step { path } else { nil }
        }
        #expect(watched.last == harness.participants[0].latch.nodePath)
        harness.expectSettled()
    }

    @Test func unexpectedErrorsBackOffAndRetry() throws {
        var latch = LeaderLatch(configuration: .init(latchPath: "/e", retryDelayMs: 500), seed: 3)
        _ = latch.start()
        let create = try #require(latch.sessionEvent(.connected(sessionID: 1, timeoutMs: 6000, server: .init(host: "zk", port: 1))).submissions.first)
        let failed = latch.completed(create.0, .failure(ZooKeeperError(.noAuth)))
        #expect(failed.contains(.scheduleRetry(afterMs: 500)))
        #expect(failed.submissions.isEmpty)
        let retry = latch.retryTimerFired()
        #expect(retry.submissions.count == 1)
        #expect(latch.retryTimerFired().isEmpty, "only one retry per back-off")
    }

    @Test func participantsSortLikeCurator() {
        let names = [
            "_c_b-latch-0000000010", "_c_a-latch-0000000002", "zzz", "_c_c-latch-0000000002", "latch-0000000001", "aaa",
        ]
        #expect(LeaderLatch.sortedParticipants(names) == [
            "latch-0000000001", "_c_a-latch-0000000002", "_c_c-latch-0000000002", "_c_b-latch-0000000010", "aaa", "zzz",
        ])
    }

    /// Random connection trouble for three participants; never two leaders, and once everyone is
    /// connected and the queue drained, exactly one leader: the first node on the server.
    @Test(arguments: 0..<25) func randomTroubleNeverMakesTwoLeaders(seed: UInt64) {
        var random = ZooKeeperRandom(seed: seed)
        var harness = ElectionHarness(count: 3, seed: seed)
        for index in 0..<3 {
            harness.start(index)
            harness.connect(index)
        }
        for _ in 0..<40 {
            let index = Int.random(in: 0..<3, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0 where harness.participants[index].connected:
                harness.disconnect(index)
            case 1 where !harness.participants[index].connected && harness.participants[index].session != nil:
                harness.reconnect(index)
            case 2 where !harness.participants[index].connected && harness.participants[index].session != nil:
                harness.expireOnServer(index)
                harness.clientLearnsExpiry(index)
                harness.connect(index)
            case 3:
                harness.pump(limit: Int.random(in: 1...4, using: &random))
            default:
                harness.pump(limit: 1)
            }
            #expect(harness.maxLeaders <= 1)
        }
        for index in 0..<3 where !harness.participants[index].connected {
            harness.reconnect(index)
        }
        harness.pump()
        harness.expectSettled()
        #expect(harness.queue.isEmpty)
    }
}
