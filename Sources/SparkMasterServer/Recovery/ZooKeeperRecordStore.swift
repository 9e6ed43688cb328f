#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ZooKeeper
import ZooKeeperClient

/// Records as persistent znodes under `<spark.deploy.zookeeper.dir>/master_status`, as Spark lays them out.
struct ZooKeeperRecordStore: RecordStore {
    let client: ZooKeeperClient
    let directory: String

    init(client: ZooKeeperClient, root: String) {
        self.client = client
        self.directory = (root.hasSuffix("/") ? String(root.dropLast()) : root) + "/master_status"
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    func write(_ name: String, _ data: Data) async throws {
        try await client.ensurePath(directory)
        do {
            _ = try await client.create(path(name), data: Array(data), mode: .persistent)
        } catch where error.code == .nodeExists {
            _ = try await client.setData(path(name), data: Array(data))
        }
    }

    func delete(_ name: String) async throws {
        do {
            try await client.delete(path(name))
        } catch where error.code == .noNode {
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
}
