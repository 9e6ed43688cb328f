import Logging
import NIOCore
import NIOEmbedded
import SparkTestKit
import Testing
import ZooKeeper
import ZooKeeperClient

/// Warnings and up only, so test output stays readable.
let quietLogger: Logger = {
    var logger = Logger(label: "zookeeper-test")
    logger.logLevel = .warning
    return logger
}()

/// The NIO client against the in-memory ensemble: real pipeline, fake network, test-driven clock.
@Suite struct ZooKeeperClientEmbeddedTests {
    static func makeClient(_ ensemble: EmbeddedEnsemble, connectString: String = "zk1:2181,zk2:2181", seed: UInt64 = 1) throws -> ZooKeeperClient {
        ZooKeeperClient(
            configuration: try ZooKeeperClientConfiguration(connectString: connectString, sessionTimeout: .seconds(6)),
            eventLoop: ensemble.loop, connector: ensemble.connector, logger: quietLogger, seed: seed)
    }

    @Test func crudWatchesAndMulti() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let client = try Self.makeClient(ensemble)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(5))
            #expect(await client.isConnected())
            let credentials = try #require(await client.credentials())
            #expect(credentials.timeoutMs == 6000)

            try await client.ensurePath("/spark/master_status")
            #expect(try await client.exists("/spark/master_status") != nil)
            #expect(try await client.exists("/nope") == nil)

            let path = try await client.create("/spark/master_status/worker_1", data: Array("w".utf8))
            #expect(path == "/spark/master_status/worker_1")
            let (data, stat) = try await client.getData(path, watch: true)
            #expect(data == Array("w".utf8) && stat.version == 0)
            let newStat = try await client.setData(path, data: Array("v2".utf8), version: 0)
            #expect(newStat.version == 1)
            try await eventually("data watch") { recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeDataChanged, path: path)) }

            await #expect(throws: ZooKeeperError(.badVersion, path: path)) { try await client.setData(path, data: [], version: 0) }
            await #expect(throws: ZooKeeperError(.nodeExists, path: path)) { try await client.create(path) }
            await #expect(throws: ZooKeeperError(.notEmpty, path: "/spark")) { try await client.delete("/spark") }

            let sequential = try await client.create2("/spark/leader_election-", mode: .ephemeralSequential)
            #expect(sequential.path.hasPrefix("/spark/leader_election-") && sequential.path.count == "/spark/leader_election-".count + 10)
            #expect(sequential.stat.ephemeralOwner == credentials.sessionID)

            #expect(try await client.getChildren("/spark", watch: true).sorted() == ["leader_election-0000000001", "master_status"])
            let results = try await client.multi([
                .create(CreateRequest(path: "/spark/a", mode: .persistent)),
                .setData(path: path, data: [1], version: 1),
                .check(path: path, version: 2),
                .delete(path: "/spark/a", version: -1),
            ])
            #expect(results.count == 4 && results[0] == .create(path: "/spark/a"))
            do {
                try await client.multi([.create(CreateRequest(path: "/spark/b", mode: .persistent)), .delete(path: "/missing", version: -1)])
                Issue.record("the multi must fail")
            } catch let error as ZooKeeperError {
                #expect(error.code == .noNode)
                #expect(error.multiResults == [.error(.ok), .error(.noNode)])
            }
            #expect(try await client.exists("/spark/b") == nil, "all or nothing")
            try await eventually("child watch") { recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeChildrenChanged, path: "/spark")) }

            try await client.delete(path)
            await client.close()
            try await eventually("closed") { recorder.sessionEvents.last == .closed }
            #expect(try await ensemble.onLoop { $0.zk.children(of: "/spark") } == ["master_status"], "ephemeral gone at close")
            await #expect(throws: ZooKeeperError.self) { try await client.exists("/spark") }
        }
    }

    @Test func chrootIsInvisibleToTheCaller() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let admin = try Self.makeClient(ensemble, connectString: "zk1:2181")
        try await admin.connect(timeout: .seconds(5))
        try await admin.ensurePath("/tenant/a")
        let client = try Self.makeClient(ensemble, connectString: "zk1:2181/tenant/a")
        try await client.connect(timeout: .seconds(5))
        let created = try await client.create("/node-", mode: .persistentSequential)
        #expect(created == "/node-0000000000")
        #expect(try await client.getChildren("/") == ["node-0000000000"])
        #expect(try await admin.getChildren("/tenant/a") == ["node-0000000000"])
        await client.close()
        await admin.close()
    }

    @Test func pingsKeepAnIdleSessionAlive() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let client = try Self.makeClient(ensemble)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(5))
            for _ in 0..<30 { await loop.advanceTime(by: .seconds(1)) }
            let pings = try await ensemble.onLoop { $0.received.filter { $0.packet == .request(xid: -2, .ping) }.count }
            #expect(pings >= 14 && pings <= 16, "one ping per 2 s idle: \(pings)")
            #expect(recorder.sessionEvents.filter { $0 == .disconnected }.isEmpty)
            await client.close()
        }
    }

    @Test func aFrozenServerIsLeftForTheOtherWithinTheSession() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let client = try Self.makeClient(ensemble)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(5))
            let session = try #require(await client.credentials()).sessionID
            try await client.ensurePath("/w")
            _ = try await client.getData("/w", watch: true)
            let firstHost = try await ensemble.onLoop { $0.received.last!.host }

            try await ensemble.onLoop { $0.silent = true }
            let stuck = client.submit(.exists(path: "/w", watch: false))
            await loop.advanceTime(by: .milliseconds(3999))
            #expect(recorder.sessionEvents.last == .connected(sessionID: session, timeoutMs: 6000, server: ZooKeeperServerAddress(host: firstHost, port: 2181)))
            // Nothing received for 2/3 of the timeout: connection loss. The other server is
            // frozen too, so the session is not back yet.
            await loop.advanceTime(by: .milliseconds(1))
            await #expect(throws: ZooKeeperError.self) { try await stuck.get() }
            try await eventually("disconnected") { recorder.sessionEvents.contains(.disconnected) }

            // The servers recover; the attempt on the other (frozen) server times out after
            // 6 s / 2 servers, and the next one resumes the same session and re-arms the watch.
            try await ensemble.onLoop { $0.silent = false }
            await loop.advanceTime(by: .seconds(3))
            try await eventually("reconnected") {
                recorder.sessionEvents.contains { if case .reconnected(session, _) = $0 { true } else { false } }
            }
            let setWatches = try await ensemble.onLoop { $0.received.compactMap { entry -> SetWatches? in
                if case .request(-8, .setWatches(let record)) = entry.packet { record } else { nil }
            } }
            #expect(setWatches.last?.dataWatches == ["/w"])
            let admin = try Self.makeClient(ensemble)
            try await admin.connect(timeout: .seconds(5))
            try await admin.setData("/w", data: [1])
            try await eventually("re-armed watch fires") { recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeDataChanged, path: "/w")) }
            await admin.close()
            await client.close()
        }
    }

    @Test func serverSideExpiryIsReportedAndANewSessionFollows() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let client = try Self.makeClient(ensemble)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(5))
            let session = try #require(await client.credentials()).sessionID
            try await client.create("/eph", mode: .ephemeral)
            try await ensemble.onLoop { $0.expire(session) }
            try await eventually("expired and renewed") {
                let events = recorder.sessionEvents
                guard let expired = events.firstIndex(of: .expired(sessionID: session)) else { return false }
                return events[expired...].contains { if case .connected(let id, _, _) = $0 { id != session } else { false } }
            }
            #expect(recorder.sessionEvents.filter { $0 == .disconnected }.count == 1)
            #expect(try await client.exists("/eph") == nil, "the ephemeral died with the session")
            #expect(try #require(await client.credentials()).sessionID != session)
            await client.close()
        }
    }

    @Test func unreachableServersBackOffAndRecover() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        try await ensemble.onLoop { $0.refusing = ["zk1", "zk2"] }
        let client = try Self.makeClient(ensemble)
        client.start()
        // Both servers refused at once: the client backs off; a request waits for the next attempt.
        let early = client.submit(.exists(path: "/", watch: false))
        await loop.advanceTime(by: .seconds(1))
        do {
            _ = try await early.get()
            Issue.record("no server: the request must fail")
        } catch let error as ZooKeeperError {
            #expect(error.code == .connectionLoss)
        }
        #expect(await !client.isConnected())
        try await ensemble.onLoop { $0.refusing = [] }
        // The back-off is at most a second.
        await loop.advanceTime(by: .seconds(1))
        try await client.waitUntilConnected(timeout: .seconds(5))
        await client.close()
    }

    @Test func leaderLatchesOverTheClient() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let first = try Self.makeClient(ensemble, seed: 1)
        let second = try Self.makeClient(ensemble, seed: 2)
        try await first.connect(timeout: .seconds(5))
        try await second.connect(timeout: .seconds(5))
        let latchA = ZooKeeperLeaderLatch(client: first, path: "/spark/leader_election", logger: quietLogger, seed: 10)
        let latchB = ZooKeeperLeaderLatch(client: second, path: "/spark/leader_election", logger: quietLogger, seed: 20)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await latchA.run() }
            try await eventually("A leads") { await latchA.isLeader() }
            group.addTask { await latchB.run() }
            try await eventually("B has a node") { await latchB.nodePath() != nil }
            try await Task.sleep(for: .milliseconds(50))
            #expect(await !latchB.isLeader())
            let names = try await ensemble.onLoop { $0.zk.children(of: "/spark/leader_election") }
            #expect(names.count == 2 && names.allSatisfy { $0.hasPrefix("_c_") && $0.contains("-latch-") })

            // A's connection drops: A steps down at once, resumes its session on the other server
            // and, as Curator, re-creates its node at the back: B leads.
            let sessionA = try #require(await first.credentials()).sessionID
            try await ensemble.onLoop { ensemble in
                for handler in ensemble.handlers where handler.session == sessionA && handler.isOpen { handler.drop() }
            }
            try await eventually("B leads") { await latchB.isLeader() }
            #expect(await !latchA.isLeader())
            try await eventually("A queued again") { await latchA.nodePath() != nil }

            // The leader's client closes: its node vanishes with the session and A takes over.
            await second.close()
            try await eventually("A leads") { await latchA.isLeader() }
            #expect(await !latchB.isLeader())
            group.cancelAll()
        }
        await first.close()
    }

    @Test func aLatchStoppedDuringItsCreateDeletesTheNodeItMade() async throws {
        let loop = NIOAsyncTestingEventLoop()
        let ensemble = EmbeddedEnsemble(loop: loop)
        let client = try Self.makeClient(ensemble, seed: 3)
        try await client.connect(timeout: .seconds(5))
        try await client.ensurePath("/spark/leader_election")
        // The server applies the latch's create but keeps the answer: the latch is stopped meanwhile.
        try await ensemble.onLoop { $0.holdingReplies = true }
        let latch = ZooKeeperLeaderLatch(client: client, path: "/spark/leader_election", logger: quietLogger, seed: 30)
        let running = Task { await latch.run() }
        try await eventually("the node is made") {
            try await ensemble.onLoop { $0.zk.children(of: "/spark/leader_election").count } == 1
        }
        running.cancel()
        try await Task.sleep(for: .milliseconds(50))
        try await ensemble.onLoop { $0.releaseReplies() }
        await running.value
        // The client is still open, its session alive: only the latch took its node away.
        #expect(try await ensemble.onLoop { $0.zk.children(of: "/spark/leader_election") } == [])
        #expect(await client.credentials() != nil)
        await client.close()
    }
}
