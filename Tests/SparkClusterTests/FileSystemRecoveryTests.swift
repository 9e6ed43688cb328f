import Foundation
import SparkTestKit
import Testing

/// `spark.deploy.recoveryMode=FILESYSTEM`: a restarted master recovers its workers and applications.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct FileSystemRecoveryTests {
    @Test func aRestartedMasterRecoversWorkersAndApplications() async throws {
        let cluster = try ClusterHarness(name: "fs-recovery")
        defer { cluster.stopAll() }
        let recovery = cluster.directory.appendingPathComponent("recovery")
        let options = [
            "-Dspark.deploy.recoveryMode=FILESYSTEM", "-Dspark.deploy.recoveryDirectory=\(recovery.path)",
            "-Dspark.deploy.recoveryTimeout=30s",
        ]
        try await cluster.startMaster(options: options)
        try await cluster.startWorker(.jvm)

        // A shell that runs a job, idles while the master is replaced, then runs another.
        let script = """
            sc.parallelize(1 to 1000000).reduce(_ + _)
            Thread.sleep(30000)
            sc.parallelize(1L to 1000000L).reduce(_ + _)
            :quit

            """
        async let shell = cluster.sparkShell(script, timeout: .seconds(240))
        try await cluster.waitForMasterLog("Launching executor", timeout: .seconds(90))
        // Let the first job finish before the master goes away.
        try await Task.sleep(for: .seconds(8))
        try await cluster.killMaster()
        #expect(try FileManager.default.contentsOfDirectory(atPath: recovery.path).contains { $0.hasPrefix("app_") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: recovery.path).contains { $0.hasPrefix("worker_") })

        try await cluster.startMaster(options: options, waitFor: "Recovery complete")
        #expect(cluster.masterLogLines(containing: "New state: RECOVERING").count == 1)
        #expect(cluster.masterLogLines(containing: "Worker has been re-registered").count >= 1)
        #expect(cluster.masterLogLines(containing: "Application has been re-registered").count == 1)
        let json = try await cluster.masterJSON()
        #expect(json["status"] as? String == "ALIVE")
        #expect((json["activeapps"] as? [[String: Any]])?.first?["state"] as? String == "RUNNING")
        #expect((json["workers"] as? [[String: Any]])?.first?["state"] as? String == "ALIVE")

        let result = try await shell
        #expect(result.stdout.contains(SeedJob.intResult), "\(result.stdout)\n\(cluster.logs)")
        // The sleep takes a result number of its own in the REPL.
        #expect(result.stdout.contains("Long = 500000500000"), "\(result.stdout)\n\(result.stderr.suffix(3000))\n\(cluster.logs)")
    }
}
