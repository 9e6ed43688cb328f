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
        let first = "sc.parallelize(1 to 100, 3).sum()\nval pause = { Thread.sleep(25000); 0 }\n:quit\n"
        async let firstShell = cluster.sparkShell(first, conf: conf)
        let deadline = ContinuousClock.now + .seconds(120)
        while cluster.masterLogLines(containing: "Launching executor").count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
        }
        let second = try await cluster.sparkShell("sc.parallelize(1 to 100, 4).sum()\n:quit\n", conf: conf)
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
