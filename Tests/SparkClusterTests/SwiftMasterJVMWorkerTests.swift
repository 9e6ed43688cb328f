import Foundation
import SparkTestKit
import Testing

/// The Swift master with real JVM workers: unmodified Spark daemons and drivers use it.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct SwiftMasterJVMWorkerTests {
    @Test func seedJobRunsOnAJVMWorker() async throws {
        let cluster = try ClusterHarness(name: "jvm-worker")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.jvm)
        try await cluster.workers[0].waitForLog("Successfully registered with master \(cluster.masterURL)")

        let result = try await cluster.sparkShell(SeedJob.script)
        #expect(result.stdout.contains(SeedJob.intResult), "\(result.stdout)\n\(result.stderr.suffix(3000))\n\(cluster.logs)")
        #expect(result.stdout.contains(SeedJob.longResult))

        let json = try await cluster.masterJSON()
        let workers = try #require(json["workers"] as? [[String: Any]])
        #expect(workers.count == 1)
        #expect(workers.first?["state"] as? String == "ALIVE")
        let completed = try #require(json["completedapps"] as? [[String: Any]])
        #expect(completed.first?["name"] as? String == "Spark shell")
        #expect(completed.first?["state"] as? String == "FINISHED")
        #expect(completed.first?["cores"] as? Int == 2)
        // The JVM worker ran the executor and reported it.
        try await cluster.workers[0].waitForLog("Executor app-", timeout: .seconds(30))
    }
}
