import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// Two Swift masters on a real ZooKeeper server, a Swift worker and a real spark-shell given both
/// master URLs: the standby takes over when the leader dies or stops.
@Suite(.serialized, .enabled(if: (TestEnvironment.sparkHome() != nil && ZooKeeperServer.isAvailable) || TestEnvironment.isCI))
struct HighAvailabilityTests {
    final class HACluster: @unchecked Sendable {
        // Mutated only from the test's task.
        let zooKeeper: ZooKeeperServer
        let sparkHome: URL
        let directory: URL
        let ports: [Int]
        let webPorts: [Int]
        var masters: [ChildProcess?] = [nil, nil]
        var worker: ChildProcess?
        private var starts = 0

        init(name: String, sparkVersion: String = "4.3.0") throws {
            sparkHome = try #require(TestEnvironment.sparkHome(version: sparkVersion), "pyspark \(sparkVersion) is not installed")
            zooKeeper = try ZooKeeperServer()
            directory = try TestEnvironment.temporaryDirectory("ha-\(name)")
            ports = [try freePort(), try freePort()]
            webPorts = [try freePort(), try freePort()]
        }

        deinit { stopAll() }

        func stopAll() {
            worker?.stop()
            for master in masters { master?.stop() }
            zooKeeper.stop()
        }

        var masterURL: String { "spark://" + ports.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

        func startMaster(_ index: Int) throws {
            starts += 1
            masters[index] = try ChildProcess(
                name: "master-\(index)-\(starts)", executable: TestEnvironment.product("spark-master"),
                arguments: ["--host", "127.0.0.1", "--port", "\(ports[index])", "--webui-port", "\(webPorts[index])"],
                environment: [
                    "SPARK_HOME": sparkHome.path, "SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": "127.0.0.1",
                    "SPARK_MASTER_OPTS": SparkDaemons.masterOptions([
                        "-Dspark.deploy.recoveryMode=ZOOKEEPER", "-Dspark.deploy.zookeeper.url=\(zooKeeper.connectString)",
                        "-Dspark.deploy.zookeeper.dir=/spark-ha", "-Dspark.deploy.recoveryTimeout=20s",
                        "-Dspark.deploy.zookeeper.sessionTimeout=3s",
                    ]).joined(separator: " "),
                ],
                logDirectory: directory)
        }

        /// Starts the Swift worker, or Spark's own JVM worker of the distribution.
        func startWorker(jvm: Bool = false) async throws {
            if jvm {
                worker = try SparkDaemons.worker(
                    sparkHome: sparkHome, masterURL: masterURL, port: try freePort(), webUIPort: try freePort(), cores: 2,
                    memory: "2g", workDirectory: directory.appendingPathComponent("work"), logDirectory: directory)
                return
            }
            worker = try ChildProcess(
                name: "worker", executable: TestEnvironment.product("spark-worker"),
                arguments: [
                    "--host", "127.0.0.1", "--port", "\(try freePort())", "--webui-port", "\(try freePort())", "--cores", "2",
                    "--memory", "2g", "--work-dir", directory.appendingPathComponent("work").path, masterURL,
                ],
                environment: [
                    "SPARK_HOME": sparkHome.path, "SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": "127.0.0.1",
                ],
                logDirectory: directory)
        }

        func status(_ index: Int) async -> String? {
            guard let url = URL(string: "http://127.0.0.1:\(webPorts[index])/json/"),
                  let (data, _) = try? await URLSession.shared.data(from: url),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return json["status"] as? String
        }

        var logs: String {
            (masters.compactMap { $0 } + [worker].compactMap { $0 }).map { "== \($0.name)\n\($0.tail(lines: 25))" }.joined(separator: "\n")
        }
    }

    static let script = """
        sc.parallelize(1 to 1000000).reduce(_ + _)
        val pause = { Thread.sleep(30000); 0 }
        sc.parallelize(1L to 1000000L).reduce(_ + _)
        :quit

        """

    /// Runs the failover scenario, ending the leader with `signal`; returns seconds from the
    /// signal to the standby's completed recovery.
    func failover(ending signal: Int32, name: String, sparkVersion: String = "4.3.0", jvmWorker: Bool = false) async throws -> Double {
        let cluster = try HACluster(name: name, sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        try await cluster.zooKeeper.start()
        try cluster.startMaster(0)
        try await cluster.masters[0]!.waitForLog("I have been elected leader", timeout: .seconds(30))
        try cluster.startMaster(1)
        try await cluster.masters[1]!.waitForLog("rpc environment listening", timeout: .seconds(30))
        try await Task.sleep(for: .seconds(2))
        #expect(await cluster.status(1) == "STANDBY")
        #expect(!cluster.masters[1]!.log().contains("elected leader"))
        try await cluster.startWorker(jvm: jvmWorker)
        try await cluster.masters[0]!.waitForLog("Registering worker", timeout: .seconds(60))

        async let shell = SparkApplications.sparkShell(
            sparkHome: cluster.sparkHome, master: cluster.masterURL, script: Self.script,
            conf: ["spark.executor.memory": "512m"], timeout: .seconds(240), workDirectory: cluster.directory)
        try await cluster.masters[0]!.waitForLog("Launching executor", timeout: .seconds(90))
        try await Task.sleep(for: .seconds(8))

        let start = ContinuousClock.now
        cluster.masters[0]!.signal(signal)
        try await cluster.masters[1]!.waitForLog("Recovery complete", timeout: .seconds(60))
        let elapsed = ContinuousClock.now - start
        let standbyLog = cluster.masters[1]!.log()
        #expect(standbyLog.contains("Worker has been re-registered"), "\(cluster.logs)")
        #expect(standbyLog.contains("Application has been re-registered"), "\(cluster.logs)")
        #expect(await cluster.status(1) == "ALIVE")

        let result = try await shell
        #expect(result.stdout.contains("Int = 1784293664"), "\(result.stdout)\n\(cluster.logs)")
        #expect(result.stdout.contains("Long = 500000500000"), "\(result.stdout)\n\(result.stderr.suffix(3000))\n\(cluster.logs)")
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test func theStandbyTakesOverWhenTheLeaderIsKilled() async throws {
        let seconds = try await failover(ending: SIGKILL, name: "sigkill")
        // Session timeout (3 s) plus recovery; a bound far below Curator's 60 s sessions.
        #expect(seconds < 15, "failover took \(seconds) s")
    }

    /// The same with Spark 3.5: its own JVM worker and a 3.5 spark-shell follow the new leader
    /// (MasterChanged, WorkerSchedulerStateResponse, MasterChangeAcknowledged in 3.5's encoding).
    @Test(.enabled(if: TestEnvironment.sparkHome(version: "3.5.9") != nil || TestEnvironment.isCI))
    func theStandbyTakesOverASpark35Cluster() async throws {
        let seconds = try await failover(ending: SIGKILL, name: "spark35", sparkVersion: "3.5.9", jvmWorker: true)
        #expect(seconds < 15, "failover took \(seconds) s")
    }

    @Test func aStoppedLeaderHandsOverAtOnce() async throws {
        let seconds = try await failover(ending: SIGTERM, name: "sigterm")
        #expect(seconds < 5, "handover took \(seconds) s")
    }

    /// A ZooKeeper restart never leaves two leaders and loses no state.
    @Test func aZooKeeperRestartKeepsOneLeaderAndTheState() async throws {
        let cluster = try HACluster(name: "zk-restart")
        defer { cluster.stopAll() }
        try await cluster.zooKeeper.start()
        try cluster.startMaster(0)
        try await cluster.masters[0]!.waitForLog("I have been elected leader", timeout: .seconds(30))
        try cluster.startMaster(1)
        try await cluster.masters[1]!.waitForLog("rpc environment listening", timeout: .seconds(30))
        try await cluster.startWorker()
        try await cluster.masters[0]!.waitForLog("Registering worker", timeout: .seconds(60))

        try await cluster.zooKeeper.restart()
        // Watch both masters for a while: never two ALIVE at once.
        let deadline = ContinuousClock.now + .seconds(25)
        var sawLeader = false
        while ContinuousClock.now < deadline {
            let statuses = [await cluster.status(0), await cluster.status(1)]
            let alive = statuses.filter { $0 == "ALIVE" }.count
            #expect(alive <= 1, "two leaders: \(statuses)\n\(cluster.logs)")
            if alive == 1 && sawLeader == false { sawLeader = true }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(sawLeader, "no leader after the restart:\n\(cluster.logs)")
        // Whoever leads knows the worker.
        let leaderIndex = await cluster.status(0) == "ALIVE" ? 0 : 1
        let url = URL(string: "http://127.0.0.1:\(cluster.webPorts[leaderIndex])/json/")!
        let (data, _) = try await URLSession.shared.data(from: url)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let workers = (json["workers"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "ALIVE" }
        #expect(workers.count == 1, "\(json)\n\(cluster.logs)")
    }
}
