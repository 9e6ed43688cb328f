import Foundation
import Logging
@testable import SparkMasterServer
import SparkTestKit
import Testing
import ZooKeeper
import ZooKeeperClient

/// The ZooKeeper recovery store writes only while the election node that made the master leader
/// exists: a write fenced on a node that is gone is refused by the server, whichever session sends it.
/// Against a real ZooKeeper server (Debian's package), two masters' latches in one election.
@Suite(.serialized, .enabled(if: ZooKeeperServer.isAvailable || TestEnvironment.isCI, "ZooKeeper is not installed"))
struct LeadershipFencingTests {
    static let logger = Logger(label: "fencing-test") { _ in SwiftLogNoOpLogHandler() }
    static let root = "/fenced"

    /// The masters' clients work under a chroot, `/chroot`; the test's own client sees the whole tree.
    static func client(_ server: ZooKeeperServer, chroot: String = "/chroot") throws -> ZooKeeperClient {
        var configuration = try ZooKeeperClientConfiguration(connectString: server.connectString + chroot, sessionTimeout: .seconds(4))
        configuration.reconnectDelay = .milliseconds(200)
        return ZooKeeperClient(configuration: configuration, logger: logger)
    }

    static func record(_ client: ZooKeeperClient, _ name: String) async throws -> [UInt8]? {
        let path = "/chroot" + root + "/master_status/" + name
        return try await client.exists(path) == nil ? nil : try await client.getData(path).data
    }

    static func expectRefused(_ node: String?, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("the write went through", sourceLocation: sourceLocation)
        } catch let error as LeadershipLost {
            #expect(error.node == node, sourceLocation: sourceLocation)
        } catch {
            Issue.record("refused for another reason: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func aDeposedLeaderWritesNothing() async throws {
        let server = try ZooKeeperServer()
        defer { server.stop() }
        try await server.start()
        let setup = try Self.client(server, chroot: "")
        let first = try Self.client(server)
        let second = try Self.client(server)
        for client in [first, second] { client.start() }
        try await setup.connect(timeout: .seconds(10))
        try await setup.ensurePath("/chroot")
        let latches = [first, second].map { ZooKeeperLeaderLatch(client: $0, path: Self.root + "/leader_election", logger: Self.logger) }
        let elections = Task {
            await withTaskGroup(of: Void.self) { group in
                for latch in latches { group.addTask { await latch.run() } }
            }
        }
        defer { elections.cancel() }
        try await eventually("a leader") { latches.contains { $0.leadingNode != nil } }
        let (leader, standby) = latches[0].leadingNode != nil ? (latches[0], latches[1]) : (latches[1], latches[0])
        try await eventually("the standby's node") { await standby.nodePath() != nil }
        #expect(standby.leadingNode == nil)
        let wonWith = try #require(leader.leadingNode)

        // The leader takes leadership, as the master does when it handles the election. Its first write
        // makes the records' directory; then it overwrites and deletes. The standby's store refuses
        // without a request.
        let leaderFence = ElectionFence(latch: leader)
        leaderFence.takeLeadership()
        #expect(leaderFence.node == wonWith)
        let store = ZooKeeperRecordStore(client: leader.client, root: Self.root) { leaderFence.node }
        try await store.write("worker_a", Data([1]))
        try await store.write("worker_a", Data([2]))
        try await store.write("app_b", Data([3]))
        try await store.delete("app_b")
        try await store.delete("app_b")
        #expect(try await Self.record(setup, "worker_a") == [2])
        #expect(try await Self.record(setup, "app_b") == nil)
        let standbyFence = ElectionFence(latch: standby)
        standbyFence.takeLeadership()
        let standbyStore = ZooKeeperRecordStore(client: standby.client, root: Self.root) { standbyFence.node }
        await Self.expectRefused(nil) { try await standbyStore.write("worker_s", Data([9])) }

        // Writes already fenced on the leader's node, still queued when its node goes (here deleted
        // behind its back, as the server does when the session expires). The same session sends them.
        let queued = ZooKeeperRecordStore(client: leader.client, root: Self.root) { wonWith }
        try await setup.delete("/chroot" + wonWith)
        try await eventually("the standby leads") { standby.leadingNode != nil }
        await Self.expectRefused(wonWith) { try await queued.write("worker_c", Data([4])) }
        await Self.expectRefused(wonWith) { try await queued.write("worker_a", Data([5])) }
        await Self.expectRefused(wonWith) { try await queued.delete("worker_a") }
        #expect(try await Self.record(setup, "worker_c") == nil)
        #expect(try await Self.record(setup, "worker_a") == [2], "the record is as the leader left it")
        // The deposed leader's own store stops as soon as its latch has seen the node go.
        try await eventually("the old leader's latch let go") { leader.leadingNode == nil }
        await Self.expectRefused(nil) { try await store.write("worker_d", Data([6])) }

        // The new leader writes over the same records.
        standbyFence.takeLeadership()
        try await standbyStore.write("worker_a", Data([7]))
        #expect(try await Self.record(setup, "worker_a") == [7])

        // The new leader's node goes too, and the first latch, still competing, wins again with a new
        // node. What the first leadership queued passes neither the server's check nor the fence taken
        // then; only a leadership taken anew writes.
        let standbyNode = try #require(standby.leadingNode)
        try await setup.delete("/chroot" + standbyNode)
        try await eventually("the first latch leads again") { leader.leadingNode != nil }
        let wonAgainWith = try #require(leader.leadingNode)
        #expect(wonAgainWith != wonWith)
        await Self.expectRefused(nil) { try await store.write("worker_a", Data([10])) }
        await Self.expectRefused(wonWith) { try await queued.write("worker_a", Data([11])) }
        try await eventually("the second leader's latch let go") { standby.leadingNode == nil }
        await Self.expectRefused(nil) { try await standbyStore.write("worker_a", Data([12])) }
        #expect(try await Self.record(setup, "worker_a") == [7])
        leaderFence.takeLeadership()
        #expect(leaderFence.node == wonAgainWith)
        try await store.write("worker_a", Data([13]))
        #expect(try await Self.record(setup, "worker_a") == [13])

        // A write fenced on the first node and sent on a new session: refused too.
        let later = try Self.client(server)
        try await later.connect(timeout: .seconds(10))
        let afterExpiry = ZooKeeperRecordStore(client: later, root: Self.root) { wonWith }
        await Self.expectRefused(wonWith) { try await afterExpiry.write("worker_a", Data([8])) }
        #expect(try await Self.record(setup, "worker_a") == [13])

        elections.cancel()
        await elections.value
        for client in [setup, first, second, later] { await client.close() }
    }
}
