import Foundation
import SparkTestKit
import Testing

/// `spark-space local`: the Procfile's processes on loopback, one address per dyno, with two
/// masters on a real ZooKeeper, a shared secret for every RPC connection and every connection
/// encrypted (`SPARK_NETWORK_CRYPTO=true`), and the seed job through
/// `spark-space shell`.
@Suite(.serialized, .enabled(if: (TestEnvironment.sparkHome() != nil && ZooKeeperServer.isAvailable) || TestEnvironment.isCI))
struct LocalSpaceTests {
    @Test func twoMastersTwoWorkersAndTheSeedJob() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome())
        let zooKeeper = try ZooKeeperServer()
        defer { zooKeeper.stop() }
        try await zooKeeper.start()
        let logs = try TestEnvironment.temporaryDirectory("local-space")
        let local = try ChildProcess(
            name: "spark-space-local", executable: TestEnvironment.product("spark-space"),
            arguments: ["local", "--app", "lstest", "--masters", "2", "--workers", "2", "--run-seed-job"],
            environment: [
                "SPARK_HOME": sparkHome.path, "KAFKA_ZOOKEEPER_URL": "zookeeper://\(zooKeeper.connectString)",
                "SPARK_AUTHENTICATE_SECRET": (UUID().uuidString + UUID().uuidString).filter { $0 != "-" },
                "SPARK_NETWORK_CRYPTO": "true",
            ],
            logDirectory: logs)
        defer { local.stop() }
        let status = try await local.waitForExit(timeout: .seconds(360))
        let output = local.log()
        #expect(status == 0, "\(output)")
        #expect(output.contains("val res0: Int = 1784293664"), "\(output)")
        #expect(output.contains("master URL spark://1.master.lstest.app.localspace:7077,2.master.lstest.app.localspace:7077"))
        // The dynos' logs: two masters on ZooKeeper recovery, one of them leading.
        let runDirectory = try #require(output.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "(logs in ") else { return nil }
            return String(line[range.upperBound...].dropLast())
        }.first)
        let masters = (1...2).map { (try? String(contentsOfFile: "\(runDirectory)/master.\($0).log", encoding: .utf8)) ?? "" }
        #expect(masters.allSatisfy { $0.contains("Persisting recovery state to ZooKeeper") }, "\(masters)")
        #expect(masters.filter { $0.contains("I have been elected leader") }.count == 1, "\(masters)")
        #expect(masters.allSatisfy { $0.contains("RPC connections authenticate with the shared secret (spark.authenticate=true) and are encrypted") }, "\(masters)")
        // Nothing of the space is left in /etc/hosts.
        let hosts = (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? ""
        #expect(!hosts.contains("lstest.app.localspace"))
    }
}
