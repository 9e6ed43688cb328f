import Foundation
import SparkTestKit
import Testing

/// Spark 3.5 (Scala 2.12) from the same binaries: with SPARK_HOME at pyspark 3.5.9 the daemons speak
/// its RPC, run its executors, and mix with its JVM daemons.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome(version: "3.5.9") != nil || TestEnvironment.isCI))
struct Spark35ClusterTests {
    static let version = "3.5.9"

    @Test func seedJobOnAnAllSwiftCluster() async throws {
        let cluster = try ClusterHarness(name: "spark35-swift", sparkVersion: Self.version)
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift)
        #expect(cluster.masterLogLines(containing: "Running Spark version 3.5.9").count == 1, "\(cluster.logs)")
        #expect(cluster.workers[0].log().contains("Running Spark version 3.5.9"))

        let (_, app) = try await Self.seedJob(on: cluster)
        #expect(app["name"] as? String == "Spark shell")
        // Spark 3.5's worker puts the jars wildcard alone on the executor's class path.
        let launch = try #require(cluster.workers[0].log().split(separator: "\n").first { $0.contains("Launch command:") })
        #expect(launch.contains("\"-cp\" \"\(cluster.directory.path)/conf:\(cluster.sparkHome.path)/jars/*\""), "\(launch)")
    }

    /// Spark 3.5's own Master with the Swift worker: the worker's first messages are the ones it
    /// must get right without having heard the master's version.
    @Test func aSwiftWorkerUnderSparksMaster() async throws {
        let cluster = try ClusterHarness(name: "spark35-jvm-master", sparkVersion: Self.version)
        defer { cluster.stopAll() }
        try await cluster.startJVMMaster()
        let worker = try await cluster.startWorker(.swift)
        try await worker.waitForLog("Successfully registered with master \(cluster.masterURL)", timeout: .seconds(30))

        let (json, _) = try await Self.seedJob(on: cluster)
        let workers = try #require(json["workers"] as? [[String: Any]])
        #expect(workers.count == 1 && workers.first?["state"] as? String == "ALIVE", "\(json)")
        #expect(!cluster.masterLogLines(containing: "Launching executor").isEmpty)
        #expect(cluster.masterLogLines(containing: "InvalidClassException").isEmpty, "\(cluster.logs)")
    }

    /// Spark 3.5's own Worker with the Swift master.
    @Test func sparksWorkerUnderTheSwiftMaster() async throws {
        let cluster = try ClusterHarness(name: "spark35-jvm-worker", sparkVersion: Self.version)
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        let worker = try await cluster.startWorker(.jvm)
        try await worker.waitForLog("Successfully registered with master \(cluster.masterURL)", timeout: .seconds(30))

        let (_, app) = try await Self.seedJob(on: cluster)
        #expect(app["cores"] as? Int == 2)
        try await worker.waitForLog("Executor app-", timeout: .seconds(30))
    }

    /// Runs the seed job through Spark 3.5's spark-shell, checks both answers, and returns the
    /// master's `/json/` with its one completed application, FINISHED.
    static func seedJob(on cluster: ClusterHarness) async throws -> (json: [String: Any], app: [String: Any]) {
        let shell = try await cluster.sparkShell(SeedJob.script)
        #expect(shell.stdout.contains(SeedJob.intResult), "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)")
        #expect(shell.stdout.contains(SeedJob.longResult))
        let json = try await cluster.masterJSON()
        let app = try #require((json["completedapps"] as? [[String: Any]])?.first, "\(json)")
        #expect(app["state"] as? String == "FINISHED")
        return (json, app)
    }
}
