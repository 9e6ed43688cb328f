import Foundation
import SparkConfig
import SparkMasterServer
import SparkModel
import SparkTestKit
import Testing

/// A master whose recovery store fails takes nothing on that a failover would lose: a real JVM worker
/// and a driver are left unacknowledged and register once the store works again, a submission is
/// refused to its submitter, and only what was acknowledged is found by the next leader.
@Suite(.serialized)
struct MasterStoreFailureTests {
    static let application = MasterFixture.application(name: "store-failure", memory: 1_000_000)

    static func submission(argument: String = "App") -> DriverDescription {
        DriverDescription(
            jarUrl: "file:/tmp/none.jar", mem: 1_000_000, cores: 1, supervise: false,
            command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", argument]))
    }

    static func records(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test(.timeLimit(.minutes(3)), .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
    func aFileSystemStoreThatFailsAcknowledgesNothingUntilItWorks() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let directory = try TestEnvironment.temporaryDirectory("store-failure")
        let recovery = directory.appendingPathComponent("recovery")
        var worker: ChildProcess?
        defer { worker?.stop() }
        let driver = try await FakeDriver.start()
        do {
            try await MasterServiceWebTests.withMaster(conf: [
                "spark.deploy.recoveryMode": "FILESYSTEM", "spark.deploy.recoveryDirectory": recovery.path,
            ]) { service, endpoints in
                // The store breaks: a file where the recovery directory was (a write fails even as root).
                try FileManager.default.removeItem(at: recovery)
                try Data("not a directory".utf8).write(to: recovery)

                let workerPort = try freePort()
                worker = try SparkDaemons.worker(
                    sparkHome: sparkHome, masterURL: endpoints.masterUrl, port: workerPort, webUIPort: try freePort(),
                    workDirectory: directory.appendingPathComponent("work"), logDirectory: directory, name: "store-failure-worker")
                try await worker!.waitForLog("Connecting to master 127.0.0.1:\(endpoints.rpc.port)", timeout: .seconds(90))
                driver.env.post(
                    .registerApplication(RegisterApplication(appDescription: Self.application, driver: driver.env.ref("AppClient"))),
                    to: FakeDriver.masterRef(port: Int(endpoints.rpc.port)))
                let refused = try await driver.submitDriver(Self.submission(), masterPort: Int(endpoints.rpc.port))
                #expect(!refused.success)
                #expect(refused.driverId == nil)
                #expect(refused.message.hasPrefix("Driver driver-"), "\(refused.message)")
                #expect(refused.message.contains("not submitted: its recovery record could not be stored ("), "\(refused.message)")

                // The registrations reached the master (the ask behind them was answered) and were not taken.
                try await Task.sleep(for: .seconds(2))
                let during = try #require(await service.snapshot())
                #expect(during.workerList.isEmpty)
                #expect(during.apps.isEmpty)
                #expect(during.activeDrivers.isEmpty)
                #expect(!driver.messages.contains { if case .registeredApplication = $0 { true } else { false } })
                #expect(!worker!.log().contains("Successfully registered with master"))

                // The store works again: the JVM worker's own retry registers it; the driver registers again.
                try FileManager.default.removeItem(at: recovery)
                try FileManager.default.createDirectory(at: recovery, withIntermediateDirectories: false)
                try await worker!.waitForLog("Successfully registered with master", timeout: .seconds(90))
                let appId = try await driver.register(Self.application, masterPort: Int(endpoints.rpc.port))
                let accepted = try await driver.submitDriver(Self.submission(), masterPort: Int(endpoints.rpc.port))
                #expect(accepted.success, "\(accepted.message)")
                let driverId = try #require(accepted.driverId)

                let after = try #require(await service.snapshot())
                let workerId = try #require(after.workerList.first?.id)
                #expect(after.workerList.count == 1)
                #expect(after.apps.keys.sorted() == [appId])
                #expect(after.activeDrivers.map(\.id) == [driverId])
                #expect(try Self.records(recovery) == ["app_\(appId)", "driver_\(driverId)", "worker_\(workerId)"])
            }
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
        worker?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test(.timeLimit(.minutes(2)), .enabled(if: ZooKeeperServer.isAvailable || TestEnvironment.isCI))
    func aDriverTooLargeForZooKeeperIsRefusedAndNotRecovered() async throws {
        let zooKeeper = try ZooKeeperServer()
        defer { zooKeeper.stop() }
        try await zooKeeper.start()
        let conf = [
            "spark.deploy.recoveryMode": "ZOOKEEPER", "spark.deploy.zookeeper.url": zooKeeper.connectString,
            "spark.deploy.zookeeper.dir": "/store-failure",
        ]
        let driver = try await FakeDriver.start()
        do {
            // An argument of 800 000 characters: its record is over ZooKeeper's 1 MiB node limit.
            let accepted = try await MasterServiceWebTests.withMaster(conf: conf) { service, endpoints in
                let port = Int(endpoints.rpc.port)
                let large = try await driver.submitDriver(Self.submission(argument: String(repeating: "x", count: 800_000)), masterPort: port)
                #expect(!large.success)
                #expect(large.message.contains("exceed the 1048575-byte limit"), "\(large.message)")
                let small = try await driver.submitDriver(Self.submission(), masterPort: port)
                #expect(small.success, "\(small.message)")
                let master = try #require(await service.snapshot())
                #expect(master.state == .alive)
                #expect(master.activeDrivers.map(\.id) == [small.driverId].compactMap { $0 })
                return try #require(small.driverId)
            }
            // The next leader finds the acknowledged driver only (no worker runs it: it ends as ERROR).
            try await MasterServiceWebTests.withMaster(conf: conf) { service, _ in
                let master = try #require(await service.snapshot())
                #expect((master.activeDrivers + master.completedDrivers).map(\.id) == [accepted])
            }
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
    }
}
