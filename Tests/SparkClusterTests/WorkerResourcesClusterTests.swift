import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// Custom worker resources (`spark.worker.resource.<name>.*`) with real drivers, real masters of
/// both kinds and Spark's own worker beside ours.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct WorkerResourcesClusterTests {
    /// A discovery script in the cluster's directory printing two GPUs.
    static func gpuScript(in cluster: ClusterHarness, addresses: [String] = ["0", "1"]) throws -> String {
        let path = cluster.directory.appendingPathComponent("gpus.sh").path
        let list = addresses.map { "\"\($0)\"" }.joined(separator: ", ")
        try "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\(list)]}'\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    static func gpuOptions(script: String, amount: Int = 2) -> [String] {
        ["-Dspark.worker.resource.gpu.amount=\(amount)", "-Dspark.worker.resource.gpu.discoveryScript=\(script)"]
    }

    static func json(_ url: String) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: url)))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func addresses(_ document: [String: Any], _ field: String, _ name: String = "gpu") -> [String]? {
        ((document[field] as? [String: Any])?[name] as? [String: Any])?["addresses"] as? [String]
    }

    /// Our worker discovers two GPUs with a script and offers them; under our master and under
    /// Spark's, a driver asking one GPU per executor and per task gets two one-GPU executors, its
    /// tasks see the addresses the script printed, and both daemons show which are in use.
    @Test(arguments: ["swift", "jvm"])
    func discoveredGPUsReachTheTasks(master: String) async throws {
        let cluster = try ClusterHarness(name: "gpu-\(master)")
        defer { cluster.stopAll() }
        if master == "swift" { try await cluster.startMaster() } else { try await cluster.startJVMMaster() }
        let worker = try await cluster.startWorker(.swift, options: Self.gpuOptions(script: try Self.gpuScript(in: cluster)))
        try await worker.waitForLog("Custom resources for spark.worker:\ngpu -> [name: gpu, addresses: 0,1]", timeout: .seconds(30))
        let registered = try #require((try await cluster.masterJSON())["workers"] as? [[String: Any]]).first
        #expect(Self.addresses(try #require(registered), "resources") == ["0", "1"], "\(cluster.logs)")
        let web = try #require(registered?["webuiaddress"] as? String)

        let script = """
            val t0 = System.currentTimeMillis; while (sc.getExecutorMemoryStatus.size < 3 && System.currentTimeMillis - t0 < 60000) Thread.sleep(100)
            val seen = sc.parallelize(1 to 8, 8).map(_ => org.apache.spark.TaskContext.get.resources()("gpu").addresses.mkString(",")).collect.distinct.sorted.mkString("|")
            println("TASK-GPUS " + seen)
            println("WORKER-JSON " + scala.io.Source.fromURL("\(web)/json/").mkString.replace("\\n", " "))
            println("MASTER-JSON " + scala.io.Source.fromURL("http://127.0.0.1:\(cluster.masterWebUIPort)/json/").mkString.replace("\\n", " "))
            :quit
            """
        let result = try await cluster.sparkShell(script, conf: [
            "spark.executor.cores": "1", "spark.executor.resource.gpu.amount": "1", "spark.task.resource.gpu.amount": "1",
        ])
        let diagnostics = "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))\n\(cluster.logs)"
        // What the shell printed after `marker` on its line (the REPL's prompt comes before it).
        func printed(_ marker: String) throws -> Substring {
            let line = try #require(result.stdout.split(separator: "\n").first { $0.contains(marker) }, "\(diagnostics)")
            return line[line.range(of: marker)!.upperBound...]
        }
        let seen = try printed("TASK-GPUS ")
        // Each task holds one of the script's addresses.
        #expect(!seen.isEmpty && seen.split(separator: "|").allSatisfy { $0 == "0" || $0 == "1" }, "\(seen)")

        func document(_ marker: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(try printed(marker).utf8)) as? [String: Any])
        }
        // While the application ran: two executors of one GPU each, both GPUs in use.
        let workerState = try document("WORKER-JSON ")
        #expect(Self.addresses(workerState, "resources") == ["0", "1"])
        #expect(Self.addresses(workerState, "resourcesused")?.sorted() == ["0", "1"])
        let executors = try #require(workerState["executors"] as? [[String: Any]])
        #expect(executors.count == 2)
        #expect(Set(executors.compactMap { Self.addresses($0, "resources")?.joined() }) == ["0", "1"])
        let masterState = try document("MASTER-JSON ")
        let masterWorker = try #require((masterState["workers"] as? [[String: Any]])?.first)
        #expect(Self.addresses(masterWorker, "resourcesused")?.sorted() == ["0", "1"])
        #expect(Self.addresses(masterWorker, "resourcesfree") == [])

        // Afterwards both are free again.
        try await waitUntil(timeout: .seconds(30)) {
            Self.addresses(try await Self.json("\(web)/json/"), "resourcesused") == []
        }
        let page = String(decoding: try await URLSession.shared.data(from: try #require(URL(string: "\(web)/"))).0, as: UTF8.self)
        #expect(page.contains("gpu: Free: [0, 1] / Used: []"))
    }

    /// The same configuration on Spark's worker and ours gives the same offer to the master and the
    /// same idle `resources` and `resourcesused` in `/json` (every offered name listed as used by
    /// nothing; `discoveredGPUsReachTheTasks` covers ours in use).
    @Test func workerJSONListsResourcesAsSparksWorkerDoes() async throws {
        let cluster = try ClusterHarness(name: "gpu-json")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        let options = Self.gpuOptions(script: try Self.gpuScript(in: cluster, addresses: ["0", "1", "2"]), amount: 1)
        try await cluster.startWorker(.jvm, options: options)
        try await cluster.startWorker(.swift, options: options)
        let workers = try #require((try await cluster.masterJSON())["workers"] as? [[String: Any]])
        #expect(workers.count == 2)
        var documents: [[String: Any]] = []
        for worker in workers {
            #expect(Self.addresses(worker, "resources") == ["0", "1", "2"], "\(cluster.logs)")
            documents.append(try await Self.json("\(try #require(worker["webuiaddress"] as? String))/json/"))
        }
        for field in ["resources", "resourcesused"] {
            let shapes = documents.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0[field] ?? [:], options: .sortedKeys), as: UTF8.self) }
            #expect(shapes[0] == shapes[1], "\(field): \(shapes)")
        }
    }

    /// A worker whose discovery falls short of its amount does not start, with Spark's reason.
    @Test func aShortDiscoveryStopsTheWorker() async throws {
        let cluster = try ClusterHarness(name: "gpu-short")
        defer { cluster.stopAll() }
        let worker = try await cluster.startWorker(
            .swift, options: Self.gpuOptions(script: try Self.gpuScript(in: cluster), amount: 3), registers: false)
        #expect(try await worker.waitForExit(timeout: .seconds(30)) == 1)
        #expect(worker.log().contains(
            "Failed to setup worker resources: Resource: gpu, with addresses: 0,1 is less than what the user requested: 3)"),
            "\(worker.log())")
    }
}

/// Polls `condition` until it holds or `timeout` passes.
private func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    Issue.record("condition not met within \(timeout)")
}
