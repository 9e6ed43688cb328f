#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOConcurrencyHelpers
import ZooKeeper
import ZooKeeperClient

/// Records as persistent znodes under `<spark.deploy.zookeeper.dir>/master_status`, as Spark lays them out.
///
/// Every record write and removal is fenced on the election node that made this master leader: it is
/// a `multi` whose first operation checks that node exists. The node goes with our session, and no
/// node created later sorts before it, so the check passes exactly while ZooKeeper still sees this
/// master as the leader. A change that was queued behind a stalled call and reaches the server after
/// the session expired (and another master took over) is refused by the server, not applied over the
/// new leader's records. Only the parent nodes of the records are created unfenced, when missing.
struct ZooKeeperRecordStore: RecordStore {
    let client: ZooKeeperClient
    let directory: String
    /// The node to fence on (`ElectionFence.node`), nil while the master does not lead.
    let leadingNode: @Sendable () -> String?

    init(client: ZooKeeperClient, root: String, leadingNode: @escaping @Sendable () -> String?) {
        self.client = client
        self.directory = (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/master_status"
        self.leadingNode = leadingNode
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    func write(_ name: String, _ data: Data) async throws {
        let fence = try currentFence()
        let create = MultiOperation.create(CreateRequest(path: path(name), data: Array(data), mode: .persistent))
        do {
            try await fenced(fence, create)
        } catch let error as ZooKeeperError where error.code == .noNode {
            // The first record under a new directory.
            try await client.ensurePath(directory)
            try await fenced(fence, create)
        } catch let error as ZooKeeperError where error.code == .nodeExists {
            try await fenced(fence, .setData(path: path(name), data: Array(data), version: -1))
        }
    }

    func delete(_ name: String) async throws {
        let fence = try currentFence()
        do {
            try await fenced(fence, .delete(path: path(name), version: -1))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return
        }
    }

    func names() async throws -> [String] {
        do {
            return try await client.getChildren(directory)
        } catch where error.code == .noNode {
            return []
        }
    }

    func read(_ name: String) async throws -> Data? {
        do {
            return Data(try await client.getData(path(name)).data)
        } catch where error.code == .noNode {
            return nil
        }
    }

    func close() async {}

    private func currentFence() throws(LeadershipLost) -> String {
        guard let node = leadingNode() else { throw LeadershipLost(node: nil) }
        return node
    }

    /// Runs `operation` only if `node` still exists. A check that finds no node throws `LeadershipLost`;
    /// any other failure throws its `ZooKeeperError` (for a failed multi ZooKeeper reports the failing
    /// operation's code, `ok` for those before it and `runtimeInconsistency` for those after).
    private func fenced(_ node: String, _ operation: MultiOperation) async throws {
        do {
            try await client.multi([.check(path: node, version: -1), operation])
        } catch {
            if error.multiResults?.first == .error(.noNode) { throw LeadershipLost(node: node) }
            throw error
        }
    }
}

/// The election a master acts on. Taken when the master handles its election (`takeLeadership`), it
/// names the node the latch leads with at that moment; writes are fenced on that node for as long as
/// the latch still leads with it. A latch that loses and wins again has a new node, which this does
/// not follow: writes the master queued in its first leadership cannot pass on its second.
final class ElectionFence: Sendable {
    private let latch: ZooKeeperLeaderLatch
    private let taken = NIOLockedValueBox<String?>(nil)

    init(latch: ZooKeeperLeaderLatch) {
        self.latch = latch
    }

    func takeLeadership() {
        taken.withLockedValue { $0 = latch.leadingNode }
    }

    func giveUp() {
        taken.withLockedValue { $0 = nil }
    }

    /// The node to fence a write on, or nil: no leadership taken, or the latch no longer leads with it.
    var node: String? {
        guard let node = taken.withLockedValue({ $0 }), node == latch.leadingNode else { return nil }
        return node
    }
}

/// A recovery write refused because this master no longer leads.
struct LeadershipLost: Error, CustomStringConvertible {
    /// The election node the write was fenced on; nil if the master did not lead when it tried.
    let node: String?

    var description: String {
        if let node {
            "not written: this master no longer leads (its election node \(node) is gone)"
        } else {
            "not written: this master does not lead"
        }
    }
}
