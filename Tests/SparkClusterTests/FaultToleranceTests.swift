import Foundation
import SparkTestKit
import Testing

/// Executors and workers dying under a running job, on an all-Swift cluster.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct FaultToleranceTests {
    /// A job whose eight tasks each take a while, so faults land while it runs.
    static let slowJob = """
        sc.parallelize(1 to 8, 8).map { x => Thread.sleep(12000); x }.sum()
        :quit

        """

    static func executorPids(_ cluster: ClusterHarness) -> [Int32] {
        processIds(commandLineContaining: cluster.directory.path).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains("CoarseGrainedExecutorBackend")
        }
    }

    static func waitForExecutors(_ cluster: ClusterHarness, count: Int) async throws -> [Int32] {
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let pids = executorPids(cluster)
            if pids.count >= count { return pids }
            try await Task.sleep(for: .milliseconds(300))
        }
        throw ChildProcessError(message: "fewer than \(count) executors started:\n\(cluster.logs)")
    }

    @Test func aKilledExecutorIsReplacedAndTheJobFinishes() async throws {
        let cluster = try ClusterHarness(name: "kill-executor")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift)
        try await cluster.startWorker(.swift)
        async let shell = cluster.sparkShell(Self.slowJob, conf: ["spark.executor.memory": "512m"], timeout: .seconds(240))
        let pids = try await Self.waitForExecutors(cluster, count: 2)
        // Let tasks start, then kill one executor outright.
        try await Task.sleep(for: .seconds(8))
        kill(pids[0], SIGKILL)
        let result = try await shell
        #expect(result.stdout.contains("Double = 36.0"), "\(result.stdout)\n\(result.stderr.suffix(3000))\n\(cluster.logs)")
        #expect(cluster.masterLogLines(containing: "Launching executor").count >= 3, "\(cluster.logs)")
        #expect(cluster.masterLogLines(containing: "because it is EXITED").count + cluster.masterLogLines(containing: "because it is FAILED").count >= 1)
    }

    @Test func aKilledWorkerIsDeadAndTheApplicationContinuesOnTheOther() async throws {
        let cluster = try ClusterHarness(name: "kill-worker")
        defer { cluster.stopAll() }
        try await cluster.startMaster(options: ["-Dspark.worker.timeout=6"])
        let doomed = try await cluster.startWorker(.swift, options: ["-Dspark.worker.timeout=6"])
        try await cluster.startWorker(.swift, options: ["-Dspark.worker.timeout=6"])
        async let shell = cluster.sparkShell(Self.slowJob, conf: ["spark.executor.memory": "512m"], timeout: .seconds(240))
        let before = try await Self.waitForExecutors(cluster, count: 2)
        try await Task.sleep(for: .seconds(8))
        doomed.signal(SIGKILL)
        _ = try await doomed.waitForExit(timeout: .seconds(10))

        // The master declares it dead and tells the driver its executor is lost.
        try await cluster.waitForMasterLog("Removing worker", timeout: .seconds(30))
        let result = try await shell
        #expect(result.stdout.contains("Double = 36.0"), "\(result.stdout)\n\(result.stderr.suffix(3000))\n\(cluster.logs)")
        let json = try await cluster.masterJSON()
        let states = (json["workers"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
        #expect(states.sorted() == ["ALIVE", "DEAD"], "\(json)")
        // The dead worker's executor did not outlive it.
        let survivors = Set(Self.executorPids(cluster)).intersection(before)
        #expect(survivors.count <= 1)
        let deadline = ContinuousClock.now + .seconds(30)
        while !Set(Self.executorPids(cluster)).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(Self.executorPids(cluster).isEmpty, "executor JVMs left running:\n\(cluster.logs)")
    }
}
