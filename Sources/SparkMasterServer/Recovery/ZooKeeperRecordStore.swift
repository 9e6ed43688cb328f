#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ZooKeeper
import ZooKeeperClient

/// Records as persistent znodes under `<spark.deploy.zookeeper.dir>/master_status`, as Spark lays them out.
///
/// Every change is fenced on the election node that made this master leader: it is a `multi` whose
/// first operation checks that node exists. The node goes with our session, and no node created
/// later sorts before it, so the check passes exactly while ZooKeeper still sees this master as
/// the leader. A change that was queued behind a stalled call and reaches the server after the
/// session expired (and another master took over) is refused by the server, not applied over the
/// new leader's records.
struct ZooKeeperRecordStore: RecordStore {
    let client: ZooKeeperClient
    let directory: String
    /// The node this master leads with, nil while it does not lead.
    let leadingNode: @Sendable () -> String?

    init(client: ZooKeeperClient, root: String, leadingNode: @escaping @Sendable () -> String?) {
        self.client = client
        self.directory = (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/master_status"
        self.leadingNode = leadingNode
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    func write(_ name: String, _ data: Data) async throws {
        let fence = try currentFence()
        try await client.ensurePath(directory)
        do {
            try await fenced(fence, .create(CreateRequest(path: path(name), data: Array(data), mode: .persistent)))
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

    /// Runs `operation` only if `node` still exists. A failed check throws `LeadershipLost`; a failure
    /// of the operation itself throws its `ZooKeeperError`.
    private func fenced(_ node: String, _ operation: MultiOperation) async throws {
        do {
            try await client.multi([.check(path: node, version: -1), operation])
        } catch {
            if let first = error.multiResults?.first, first != .error(.ok), first != .check {
                throw LeadershipLost(node: node)
            }
            throw error
        }
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
