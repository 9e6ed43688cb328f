import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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

    /// Under `spark.ui.reverseProxy` with `spark.ui.reverseProxyUrl`, the master hands workers the
    /// proxy's URL for its UI (not its own address, which users outside cannot reach): a JVM
    /// worker and ours both say their UI is under it.
    @Test func workersLearnTheReverseProxyURL() async throws {
        let cluster = try ClusterHarness(name: "reverse-proxy")
        defer { cluster.stopAll() }
        let proxy = ["-Dspark.ui.reverseProxy=true", "-Dspark.ui.reverseProxyUrl=https://gateway.example/spark/"]
        try await cluster.startMaster(options: proxy)
        try await cluster.waitForMasterLog(
            "Spark Master is acting as a reverse proxy. Master, Workers and Applications UIs are available at https://gateway.example/spark/")
        for kind in [ClusterHarness.WorkerKind.jvm, .swift] {
            let worker = try await cluster.startWorker(kind, options: proxy)
            try await worker.waitForLog("WorkerWebUI is available at https://gateway.example/spark/proxy/worker-", timeout: .seconds(30))
        }
        // The master's own pages link to the workers through the proxy.
        let json = try await cluster.masterJSON()
        #expect((json["workers"] as? [[String: Any]])?.count == 2)
        let page = try await cluster.masterPage("/")
        let workerIds = try #require(json["workers"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        for id in workerIds { #expect(page.contains("https://gateway.example/spark/proxy/\(id)")) }
    }

    /// Our worker with `spark.decommission.enabled`, under Spark's JVM master: SIGPWR (what
    /// `decommission-worker.sh` sends) decommissions it instead of ending it, and the master marks
    /// it DECOMMISSIONED.
    @Test func aDecommissionSignalReachesSparksMaster() async throws {
        let cluster = try ClusterHarness(name: "decommission")
        defer { cluster.stopAll() }
        try await cluster.startJVMMaster()
        let worker = try await cluster.startWorker(.swift, options: ["-Dspark.decommission.enabled=true"])
        try await worker.waitForLog("Registering SIGPWR handler to trigger decommissioning.", timeout: .seconds(30))
        try await worker.waitForLog("Successfully registered with master", timeout: .seconds(30))
        worker.signal(SIGPWR)
        try await worker.waitForLog("Decommission worker worker-", timeout: .seconds(30))
        try await cluster.waitForMasterLog("Decommissioning worker worker-", timeout: .seconds(30))
        let json = try await cluster.masterJSON()
        #expect((json["workers"] as? [[String: Any]])?.first?["state"] as? String == "DECOMMISSIONED")
        // Still running: decommissioning is not an exit.
        try await Task.sleep(for: .milliseconds(500))
        #expect(worker.isRunning)
    }

    /// Spark's decommission endpoint on our master: `POST /workers/kill/?host=127.0.0.1` from the
    /// master's own host decommissions the JVM worker there, which hears of it.
    @Test func workersAreDecommissionedByHost() async throws {
        let cluster = try ClusterHarness(name: "decommission-by-host")
        defer { cluster.stopAll() }
        let enabled = ["-Dspark.decommission.enabled=true"]
        try await cluster.startMaster(options: enabled)
        let worker = try await cluster.startWorker(.jvm, options: enabled)
        try await worker.waitForLog("Successfully registered with master", timeout: .seconds(60))
        func post(_ host: String) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(cluster.masterWebUIPort)/workers/kill/?host=\(host)")!)
            request.httpMethod = "POST"
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        #expect(try await post("elsewhere.example") == 404)
        #expect(try await post("127.0.0.1") == 200)
        try await worker.waitForLog("Decommission worker worker-", timeout: .seconds(30))
        try await cluster.waitForMasterLog("Decommissioning worker worker-", timeout: .seconds(30))
        let json = try await cluster.masterJSON()
        #expect((json["workers"] as? [[String: Any]])?.first?["state"] as? String == "DECOMMISSIONED")
    }
}
