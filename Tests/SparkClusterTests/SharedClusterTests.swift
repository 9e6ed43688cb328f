import Foundation
import SparkTestKit
import Testing

/// Two applications at once on an all-Swift cluster.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct SharedClusterTests {
    /// The first application takes what it asks for, the second gets what is left (FIFO).
    @Test func twoApplicationsShareTheClusterFirstInFirstOut() async throws {
        let cluster = try ClusterHarness(name: "two-apps")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift)
        try await cluster.startWorker(.swift)
        let conf = ["spark.cores.max": "3", "spark.executor.cores": "1", "spark.executor.memory": "512m"]
        // The first application holds its executors until the second has run (a file says so),
        // however long either driver takes to start.
        let release = cluster.directory.appendingPathComponent("release-first-app")
        let first = """
            sc.parallelize(1 to 100, 3).sum()
            while (!new java.io.File("\(release.path)").exists) Thread.sleep(200)
            :quit

            """
        async let firstShell = cluster.sparkShell(first, conf: conf)
        // On any way out, before the shell is awaited.
        defer { FileManager.default.createFile(atPath: release.path, contents: nil) }
        let deadline = ContinuousClock.now + .seconds(120)
        while cluster.masterLogLines(containing: "Launching executor").count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
        }
        let second = try await cluster.sparkShell("sc.parallelize(1 to 100, 4).sum()\n:quit\n", conf: conf)
        FileManager.default.createFile(atPath: release.path, contents: nil)
        #expect(second.stdout.contains("Double = 5050.0"), "\(second.stdout)\n\(cluster.logs)")
        let firstResult = try await firstShell
        #expect(firstResult.stdout.contains("Double = 5050.0"))
        var launchesPerApp: [String: Int] = [:]
        for line in cluster.masterLogLines(containing: "Launching executor") {
            guard let id = line.components(separatedBy: "Launching executor ").last?.split(separator: "/").first else { continue }
            launchesPerApp[String(id), default: 0] += 1
        }
        // Four cores in all: the first application holds three, the second gets the last one.
        #expect(launchesPerApp.values.sorted() == [1, 3], "\(launchesPerApp)")
    }
}
