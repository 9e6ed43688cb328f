#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import SparkMaster
import SparkModel
import SparkProtocol

/// Where the master keeps what it needs to recover (Spark: `PersistenceEngine`).
protocol PersistenceEngine: Sendable {
    /// Everything persisted so far.
    func read() async throws -> PersistedState
    /// Applies one change; failures are reported, never silently dropped.
    func apply(_ change: PersistenceChange) async throws
    func close() async
}

/// Keeps nothing (`spark.deploy.recoveryMode=NONE`).
struct BlackHolePersistenceEngine: PersistenceEngine {
    func read() async throws -> PersistedState { PersistedState() }
    func apply(_ change: PersistenceChange) async throws {}
    func close() async {}
}

/// Stores records under named keys; the file-system and ZooKeeper engines share this logic.
protocol RecordStore: Sendable {
    func write(_ name: String, _ data: Data) async throws
    func delete(_ name: String) async throws
    func names() async throws -> [String]
    func read(_ name: String) async throws -> Data?
    func close() async
}

/// Turns master persistence changes into records of a `RecordStore`.
struct RecordPersistenceEngine<Store: RecordStore>: PersistenceEngine {
    let store: Store
    let version: SparkVersion
    let logger: Logger

    func read() async throws -> PersistedState {
        var state = PersistedState()
        for name in try await store.names().sorted() {
            guard let data = try await store.read(name) else { continue }
            do {
                if name.hasPrefix("app_") {
                    state.applications.append(try RecoveryRecord.decodeApplication(data))
                } else if name.hasPrefix("worker_") {
                    state.workers.append(try RecoveryRecord.decodeWorker(data))
                } else if name.hasPrefix("driver_") {
                    state.drivers.append(try RecoveryRecord.decodeDriver(data))
                }
            } catch {
                // Like Spark, a record that cannot be read is dropped rather than blocking recovery.
                logger.warning("dropping an unreadable recovery record", metadata: ["master/record": "\(name)", "master/error": "\(error)"])
                try? await store.delete(name)
            }
        }
        return state
    }

    func apply(_ change: PersistenceChange) async throws {
        switch change {
        case .addWorker(let worker):
            try await store.write(RecoveryRecord.name(worker: worker.id), try RecoveryRecord.encode(worker))
        case .removeWorker(let id):
            try await store.delete(RecoveryRecord.name(worker: id))
        case .addApplication(let app):
            try await store.write(RecoveryRecord.name(application: app.id), try RecoveryRecord.encode(app, version: version))
        case .removeApplication(let id):
            try await store.delete(RecoveryRecord.name(application: id))
        case .addDriver(let driver):
            try await store.write(RecoveryRecord.name(driver: driver.id), try RecoveryRecord.encode(driver, version: version))
        case .removeDriver(let id):
            try await store.delete(RecoveryRecord.name(driver: id))
        }
    }

    func close() async { await store.close() }
}

/// Records as files in one directory (`spark.deploy.recoveryMode=FILESYSTEM`,
/// `spark.deploy.recoveryDirectory`); writes are atomic (temporary file, then rename).
struct FileSystemRecordStore: RecordStore {
    let directory: URL

    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ data: Data) async throws {
        try data.write(to: directory.appendingPathComponent(Self.safe(name)), options: .atomic)
    }

    func delete(_ name: String) async throws {
        let url = directory.appendingPathComponent(Self.safe(name))
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
    }

    func names() async throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
            $0.hasPrefix("app_") || $0.hasPrefix("worker_") || $0.hasPrefix("driver_")
        }
    }

    func read(_ name: String) async throws -> Data? {
        FileManager.default.contents(atPath: directory.appendingPathComponent(Self.safe(name)).path)
    }

    func close() async {}

    /// Ids come from peers: keep them to one path component.
    static func safe(_ name: String) -> String {
        String(name.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
    }
}
