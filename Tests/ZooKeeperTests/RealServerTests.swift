import Foundation
import Logging
import NIOCore
import NIOPosix
import SparkTestKit
import Testing
import ZooKeeper
import ZooKeeperClient

/// Against a real ZooKeeper server (Debian's 3.8 package, run by `SparkTestKit.ZooKeeperServer`).
/// Skipped when Java or the jar is missing, unless `CI=true`.
@Suite(.serialized, .enabled(if: ZooKeeperServer.isAvailable || TestEnvironment.isCI, "ZooKeeper is not installed"))
struct RealServerTests {
    static func client(_ server: ZooKeeperServer, chroot: String = "", sessionTimeout: Duration = .seconds(4), seed: UInt64 = .random(in: 0...UInt64.max)) throws -> ZooKeeperClient {
        var configuration = try ZooKeeperClientConfiguration(connectString: server.connectString + chroot, sessionTimeout: sessionTimeout)
        configuration.reconnectDelay = .milliseconds(200)
        return ZooKeeperClient(configuration: configuration, logger: quietLogger, seed: seed)
    }

    @Test func crudSequentialNodesWatchesAndMulti() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let client = try Self.client(server)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(10))
            let credentials = try #require(await client.credentials())
            #expect(credentials.timeoutMs == 4000)

            try await client.ensurePath("/spark/master_status")
            let worker = try await client.create("/spark/master_status/worker_1", data: Array("info".utf8))
            #expect(try await client.getData(worker).data == Array("info".utf8))
            await #expect(throws: ZooKeeperError(.nodeExists, path: worker)) { try await client.create(worker) }
            await #expect(throws: ZooKeeperError(.noNode, path: "/missing/child")) { try await client.create("/missing/child") }
            await #expect(throws: ZooKeeperError(.notEmpty, path: "/spark")) { try await client.delete("/spark") }
            await #expect(throws: ZooKeeperError(.badVersion, path: worker)) { try await client.setData(worker, data: [], version: 5) }

            // Sequential and ephemeral nodes.
            let first = try await client.create2("/spark/latch-", mode: .ephemeralSequential)
            let second = try await client.create("/spark/latch-", mode: .ephemeralSequential)
            #expect(first.path == "/spark/latch-0000000001" && second == "/spark/latch-0000000002")
            #expect(first.stat.ephemeralOwner == credentials.sessionID)
            let container = try await client.create("/spark/leader_election", mode: .container)
            #expect(container == "/spark/leader_election")

            // A data watch fires once.
            _ = try await client.getData(worker, watch: true)
            try await client.setData(worker, data: [1])
            try await client.setData(worker, data: [2])
            try await eventually("data watch") { recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeDataChanged, path: worker)) }
            // An exists watch on a missing node fires on creation; a child watch on a new child.
            #expect(try await client.exists("/spark/later", watch: true) == nil)
            #expect(try await client.getChildren("/spark", watch: true).sorted() == ["latch-0000000001", "latch-0000000002", "leader_election", "master_status"])
            try await client.create("/spark/later")
            try await eventually("exists + child watches") {
                recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeCreated, path: "/spark/later"))
                    && recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeChildrenChanged, path: "/spark"))
            }
            try await client.setData("/spark/later", data: [3])
            try await client.delete("/spark/later")
            try await Task.sleep(for: .milliseconds(200))
            #expect(recorder.watchEvents.filter { $0.path == worker }.count == 1, "one-shot")
            #expect(recorder.watchEvents.filter { $0.path == "/spark/later" }.count == 1, "one-shot")

            // multi: all or nothing.
            let results = try await client.multi([
                .create(CreateRequest(path: "/spark/m", data: [1], mode: .persistent)),
                .check(path: worker, version: 2),
                .setData(path: worker, data: [4], version: 2),
                .delete(path: "/spark/m", version: 0),
            ])
            #expect(results.count == 4 && results[0] == .create(path: "/spark/m") && results[3] == .delete)
            do {
                try await client.multi([.create(CreateRequest(path: "/spark/n", mode: .persistent)), .check(path: worker, version: 0)])
                Issue.record("the multi must fail")
            } catch let error as ZooKeeperError {
                #expect(error.code == .badVersion)
                #expect(error.multiResults == [.error(.ok), .error(.badVersion)])
            }
            #expect(try await client.exists("/spark/n") == nil)

            // chroot.
            let scoped = try Self.client(server, chroot: "/spark")
            try await scoped.connect(timeout: .seconds(10))
            #expect(try await scoped.getChildren("/master_status") == ["worker_1"])
            #expect(try await scoped.create("/q-", mode: .persistentSequential) == "/q-0000000006")
            await scoped.close()
            await client.close()
        }
    }

    @Test func ephemeralNodesVanishAtClose() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let owner = try Self.client(server, sessionTimeout: .seconds(30))
        let observer = try Self.client(server)
        try await owner.connect(timeout: .seconds(10))
        try await observer.connect(timeout: .seconds(10))
        try await owner.create("/eph", mode: .ephemeral)
        #expect(try await observer.exists("/eph", watch: true) != nil)
        let start = ContinuousClock.now
        await owner.close()
        try await eventually("ephemeral gone", timeout: .seconds(5)) { try await observer.exists("/eph") == nil }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .seconds(2), "closeSession removes it at once, not after 30 s (\(elapsed))")
        await observer.close()
    }

    @Test func sessionSurvivesAServerRestart() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let client = try Self.client(server, sessionTimeout: .seconds(15))
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(10))
            let session = try #require(await client.credentials()).sessionID
            try await client.create("/eph", mode: .ephemeral)
            _ = try await client.exists("/watched", watch: true)

            server.stop()
            try await eventually("disconnected") { recorder.sessionEvents.contains(.disconnected) }
            try await server.start()
            try await eventually("reconnected", timeout: .seconds(20)) {
                recorder.sessionEvents.contains { if case .reconnected(session, _) = $0 { true } else { false } }
            }
            #expect(!recorder.sessionEvents.contains { if case .expired = $0 { true } else { false } })
            #expect(try await client.exists("/eph")?.ephemeralOwner == session, "the ephemeral survived")
            // The exists watch was re-armed with SetWatches.
            let other = try Self.client(server)
            try await other.connect(timeout: .seconds(10))
            try await other.create("/watched")
            try await eventually("re-armed watch") { recorder.watchEvents.contains(ZooKeeperWatchEvent(type: .nodeCreated, path: "/watched")) }
            await other.close()
            await client.close()
        }
    }

    @Test func sessionClosedElsewhereIsReportedExpired() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        // A long back-off keeps the client away while the session is closed behind its back (it
        // would otherwise resume the session within a millisecond and steal it back).
        var configuration = try ZooKeeperClientConfiguration(connectString: server.connectString, sessionTimeout: .seconds(20))
        configuration.reconnectDelay = .seconds(6)
        let client = ZooKeeperClient(configuration: configuration, logger: quietLogger)
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(10))
            let credentials = try #require(await client.credentials())
            try await client.create("/eph", mode: .ephemeral)
            // The server restarts; the client's immediate retry is refused, so it backs off.
            server.stop()
            try await eventually("disconnected") { recorder.sessionEvents.contains(.disconnected) }
            try await server.start()
            // Sessions survive a restart: a second connection resumes ours by id and password and closes it.
            try await RawSession.closeSession(port: server.port, credentials: credentials)
            // The client comes back, the server answers with timeout 0: expired, then a new session.
            try await eventually("expired and renewed", timeout: .seconds(20)) {
                let events = recorder.sessionEvents
                guard let expired = events.firstIndex(of: .expired(sessionID: credentials.sessionID)) else { return false }
                return events[expired...].contains { if case .connected(let id, _, _) = $0 { id != credentials.sessionID } else { false } }
            }
            #expect(try await client.exists("/eph") == nil)
            await client.close()
        }
    }

    @Test func aFrozenServerExpiresTheSessionLocallyThenANewOneIsMade() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let client = try Self.client(server, sessionTimeout: .seconds(2))
        try await EventRecorder.recording(client) { recorder in
            try await client.connect(timeout: .seconds(10))
            let session = try #require(await client.credentials()).sessionID
            server.pause()
            let paused = ContinuousClock.now
            try await eventually("disconnected", timeout: .seconds(5)) { recorder.sessionEvents.contains(.disconnected) }
            let noticed = ContinuousClock.now - paused
            #expect(noticed < .milliseconds(2000), "read timeout is 2/3 of 2 s (\(noticed))")
            try await eventually("expired locally", timeout: .seconds(6)) { recorder.sessionEvents.contains(.expired(sessionID: session)) }
            server.resume()
            try await eventually("new session", timeout: .seconds(15)) {
                recorder.sessionEvents.contains { if case .connected(let id, _, _) = $0 { id != session } else { false } }
            }
            await client.close()
        }
    }

    @Test func leaderLatchWithTwoMasters() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let clients = try [Self.client(server, sessionTimeout: .seconds(3)), Self.client(server, sessionTimeout: .seconds(3))]
        for client in clients { try await client.connect(timeout: .seconds(10)) }
        let latches = clients.map { ZooKeeperLeaderLatch(client: $0, path: "/spark/leader_election", logger: quietLogger) }
        let log = LeadershipLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, latch) in latches.enumerated() {
                group.addTask { await latch.run() }
                group.addTask { for await event in latch.events { log.record(index, event) } }
            }
            try await eventually("a leader") { log.leaders.count == 1 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(log.leaders.count == 1)
            let names = try await clients[0].getChildren("/spark/leader_election")
            #expect(names.count == 2 && names.allSatisfy { $0.hasPrefix("_c_") && $0.range(of: #"-latch-\d{10}$"#, options: .regularExpression) != nil })

            // Close the leader's client: its node goes with the session, the other leads at once.
            let first = try #require(log.leaders.first)
            let closing = ContinuousClock.now
            await clients[first].close()
            try await eventually("failover") { log.leaders == [1 - first] }
            let failover = ContinuousClock.now - closing
            #expect(failover < .seconds(2), "failover took \(failover)")

            // Stop the server: the leader steps down as soon as the connection drops.
            let survivor = 1 - first
            let stopping = ContinuousClock.now
            server.stop()
            try await eventually("step down", timeout: .seconds(5)) { log.leaders.isEmpty }
            let stepDown = ContinuousClock.now - stopping
            // Back, within the session timeout: the survivor resumes its session and leads again.
            try await server.start()
            try await eventually("leads again", timeout: .seconds(20)) { log.leaders == [survivor] }
            #expect(!log.overlapped, "two leaders at once: \(log.entries)")
            print("leader latch: failover \(failover), step-down after server stop \(stepDown)")
            group.cancelAll()
        }
        for client in clients { await client.close() }
    }

    @Test func aFrozenServerMakesTheLeaderStepDownBeforeTheSessionCanExpire() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let clients = try [Self.client(server, sessionTimeout: .seconds(3)), Self.client(server, sessionTimeout: .seconds(3))]
        for client in clients { try await client.connect(timeout: .seconds(10)) }
        let latches = clients.map { ZooKeeperLeaderLatch(client: $0, path: "/spark/leader_election", logger: quietLogger) }
        let log = LeadershipLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, latch) in latches.enumerated() {
                group.addTask { await latch.run() }
                group.addTask { for await event in latch.events { log.record(index, event) } }
            }
            try await eventually("a leader") { log.leaders.count == 1 }
            // SIGSTOP: no FIN, nothing answers; only the read timeout (2 s) tells.
            let pausing = ContinuousClock.now
            server.pause()
            try await eventually("step down", timeout: .seconds(5)) { log.leaders.isEmpty }
            let stepDown = ContinuousClock.now - pausing
            #expect(stepDown < .seconds(3), "must step down before the 3 s session could expire (\(stepDown))")
            // Frozen past the session timeout: both sessions expire; after the thaw exactly one leads.
            try await Task.sleep(for: .seconds(4))
            server.resume()
            try await eventually("one leader again", timeout: .seconds(20)) { log.leaders.count == 1 }
            try await Task.sleep(for: .milliseconds(500))
            #expect(log.leaders.count == 1)
            #expect(!log.overlapped, "two leaders at once: \(log.entries)")
            print("leader latch: step-down after server freeze \(stepDown)")
            group.cancelAll()
        }
        for client in clients { await client.close() }
    }
}

/// Leadership changes of several latches, in the order they were reported.
final class LeadershipLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _entries: [(participant: Int, event: LeaderLatchEvent)] = []

    func record(_ participant: Int, _ event: LeaderLatchEvent) { lock.withLock { _entries.append((participant, event)) } }

    var entries: [(participant: Int, event: LeaderLatchEvent)] { lock.withLock { _entries } }

    /// Who believes it leads now.
    var leaders: [Int] {
        var leading: Set<Int> = []
        for (participant, event) in entries {
            switch event {
            case .isLeader: leading.insert(participant)
            case .notLeader: leading.remove(participant)
            }
        }
        return leading.sorted()
    }

    /// Whether two participants ever believed they led at the same time.
    var overlapped: Bool {
        var leading: Set<Int> = []
        for (participant, event) in entries {
            switch event {
            case .isLeader:
                leading.insert(participant)
                if leading.count > 1 { return true }
            case .notLeader:
                leading.remove(participant)
            }
        }
        return false
    }
}

/// A bare connection speaking our codec: resumes a session by id and password, then closes it.
enum RawSession {
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation
        init(_ continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) { continuation.finish() }
    }

    static func closeSession(port: Int, credentials: ZooKeeperSession.Credentials) async throws {
        let (frames, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ZooKeeperFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        // Bounded: the server closes the connection after closeSession; a timer closes it otherwise.
        let guardTimer = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { guardTimer.cancel() }
        var iterator = frames.makeAsyncIterator()
        // Pipelined: the server moves the session to this connection (closing the client's) and
        // closes it in one go, before the client can resume it elsewhere.
        var both = ZooKeeperPacket.connect(ConnectRequest(
            lastZxidSeen: 0, timeoutMs: credentials.timeoutMs, sessionID: credentials.sessionID, password: credentials.password)).frameBytes
        var close = ZooKeeperPacket.request(xid: 1, .closeSession).frameBytes
        both.writeBuffer(&close)
        try await channel.writeAndFlush(both)
        guard var hello = await iterator.next() else { throw TimedOut(description: "no connect response") }
        let response = try ConnectResponse.decode(frame: &hello)
        #expect(response.sessionID == credentials.sessionID && response.timeoutMs > 0)
        guard var reply = await iterator.next() else { throw TimedOut(description: "no closeSession reply") }
        let header = try ReplyHeader.read(from: &reply)
        #expect(header.xid == 1 && header.err == 0)
        try? await channel.close()
    }
}
