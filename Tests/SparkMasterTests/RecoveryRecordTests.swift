import Foundation
import NIOCore
@testable import SparkMaster
@testable import SparkMasterServer
import SparkModel
import SparkProtocol
import SparkTestKit
import Testing

@Suite struct RecoveryRecordTests {
    /// The application a real spark-shell registered (JVM capture).
    func capturedApplication() throws -> RegisterApplication {
        let url = TestEnvironment.goldenDirectory().appendingPathComponent("RegisterApplication-captured.bin")
        let bytes = try #require(FileManager.default.contents(atPath: url.path))
        guard case .registerApplication(let registration) = try SparkMessageCodec.decode(stream: ByteBuffer(bytes: Array(bytes))) else {
            throw RecoveryError("not a RegisterApplication")
        }
        return registration
    }

    @Test func applicationsSurviveARoundTripWithTheirDescriptionIntact() throws {
        let registration = try capturedApplication()
        var app = ApplicationInfo(
            id: "app-20261126010221-0000", desc: registration.appDescription, driver: registration.driver,
            startTime: 1_795_654_941_256, defaultCores: 8)
        _ = app.incrementRetryCountForRecovery()
        let data = try RecoveryRecord.encode(app, version: .spark4_3)
        let restored = try RecoveryRecord.decodeApplication(data)
        #expect(restored.id == app.id)
        #expect(restored.desc == registration.appDescription)
        #expect(restored.driver == registration.driver)
        #expect(restored.requestedCores == app.requestedCores)
        #expect(restored.retryCount == 1)
        // The description is re-sent to workers exactly as the driver wrote it.
        let original = try SparkObjectCodec.encode(registration.appDescription, version: .spark4_3)
        #expect(try SparkObjectCodec.encode(restored.desc, version: .spark4_3) == original)
    }

    @Test func workersAndDriversRoundTrip() throws {
        let worker = WorkerInfo(
            id: "worker-1", host: "127.0.0.1", port: 7078, endpoint: RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: 7078),
            cores: 4, memory: 4096, webUiAddress: "http://127.0.0.1:8081",
            resources: ["gpu": WorkerResource(name: "gpu", addresses: ["0", "1"])], now: 5)
        let restored = try RecoveryRecord.decodeWorker(try RecoveryRecord.encode(worker))
        #expect(restored.id == worker.id && restored.endpoint == worker.endpoint && restored.resources == worker.resources)
        let driver = DriverInfo(
            id: "driver-1", desc: DriverDescription(
                jarUrl: "file:/a.jar", mem: 512, cores: 1, supervise: true,
                command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}"],
                                 environment: [("A", "b")])),
            startTime: 9)
        let back = try RecoveryRecord.decodeDriver(try RecoveryRecord.encode(driver, version: .spark4_3))
        #expect(back.desc == driver.desc && back.id == driver.id)
    }

    @Test func theFileSystemEngineStoresAndRemovesRecords() async throws {
        let directory = try TestEnvironment.temporaryDirectory("recovery")
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = RecordPersistenceEngine(store: try FileSystemRecordStore(directory: directory), version: .spark4_3, logger: .init(label: "test"))
        let registration = try capturedApplication()
        let app = ApplicationInfo(id: "app-1", desc: registration.appDescription, driver: registration.driver, startTime: 1, defaultCores: 2)
        try await engine.apply(.addApplication(app))
        try await engine.apply(.addWorker(WorkerInfo(
            id: "worker-1", host: "h", port: 1, endpoint: RpcEndpointRef(name: "Worker", host: "h", port: 1), cores: 1, memory: 1,
            webUiAddress: "", resources: [:], now: 0)))
        // A corrupt record is dropped, not fatal.
        try Data("garbage".utf8).write(to: directory.appendingPathComponent("app_broken"))
        var state = try await engine.read()
        #expect(state.applications.map(\.id) == ["app-1"])
        #expect(state.workers.map(\.id) == ["worker-1"])
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("app_broken").path))
        try await engine.apply(.removeApplication(id: "app-1"))
        state = try await engine.read()
        #expect(state.applications.isEmpty)
    }
}
