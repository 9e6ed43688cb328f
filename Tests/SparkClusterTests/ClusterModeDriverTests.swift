import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// `spark-submit --deploy-mode cluster` on an all-Swift cluster: the Swift worker fetches the jar
/// (from an HTTP server, or a `file:` path), runs Spark's `DriverWrapper` with the application,
/// reports its end; `--supervise` drivers are restarted after failures and can be killed through
/// the master.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct ClusterModeDriverTests {
    /// The seed's job as a Java application; a negative count makes it fail (for supervision).
    static let seedJob = """
        import java.util.ArrayList;
        import java.util.List;
        import org.apache.spark.SparkConf;
        import org.apache.spark.api.java.JavaSparkContext;

        public class SeedJob {
            public static void main(String[] args) throws Exception {
                int count = Integer.parseInt(args[0]);
                if (count < 0) {
                    System.out.println("ATTEMPT");
                    System.exit(3);
                }
                JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("SeedJob"));
                List<Integer> numbers = new ArrayList<>();
                for (int i = 1; i <= count; i++) numbers.add(i);
                int sum = sc.parallelize(numbers, 2).reduce((a, b) -> a + b);
                System.out.println("SEED=" + sum);
                sc.stop();
            }
        }
        """

    @Test func submittedDriverRunsOnTheSwiftWorker() async throws {
        let cluster = try ClusterHarness(name: "cluster-mode")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift, cores: 3, memory: "3g")
        // The jar from an HTTP server, through a redirect (the worker downloads it; the driver's
        // executors fetch the same URL themselves).
        let server = try await FileHTTPServer.start(serving: cluster.directory, logDirectory: cluster.directory)
        defer { server.stop() }
        let driverId = try await submitSeedJob(
            to: cluster, options: ["--driver-cores", "1", "--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=2"], count: 1_000_000,
            jarURL: { "\(server.baseURL)/redirect/0/\($0.lastPathComponent)" })

        let driver = try await Self.waitForCompletedDriver(driverId, cluster: cluster)
        #expect(driver["state"] as? String == "FINISHED", "\(driver)\n\(cluster.logs)")
        let directory = cluster.directory.appendingPathComponent("work-0/\(driverId)")
        let stdout = try String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)
        #expect(stdout.contains("SEED=1784293664"), "\(stdout.suffix(2000))\n\(cluster.logs)")
        let stderr = try String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)
        #expect(stderr.hasPrefix("Launch Command: \""))
        #expect(stderr.contains("\"org.apache.spark.deploy.worker.DriverWrapper\" \"spark://Worker@127.0.0.1:\(cluster.workerPorts[0])\" \"\(directory.path)/SeedJob.jar\""))
        #expect(FileManager.default.contents(atPath: directory.appendingPathComponent("SeedJob.jar").path)
            == FileManager.default.contents(atPath: cluster.directory.appendingPathComponent("SeedJob.jar").path))
        #expect(cluster.workers[0].log().contains("Copying user jar \(server.baseURL)/redirect/0/SeedJob.jar"))
        #expect(cluster.workers[0].log().contains("Driver \(driverId) exited successfully"))
        // The application the driver ran had its executors on the same worker.
        let json = try await cluster.masterJSON()
        let apps = try #require(json["completedapps"] as? [[String: Any]])
        #expect(apps.contains { $0["name"] as? String == "SeedJob" && $0["state"] as? String == "FINISHED" }, "\(apps)")
        #expect(try #require(json["workers"] as? [[String: Any]]).first?["coresused"] as? Int == 0)

        // The driver's log through the worker's log page.
        let page = try await workerPage(cluster: cluster, query: "driverId=\(driverId)&logType=stdout")
        #expect(page.contains("SEED=1784293664"), "\(page.prefix(500))")
        // And on the worker's page, as a finished driver with its main class.
        let front = try await workerPage(cluster: cluster, path: "/", query: "")
        #expect(front.contains("<h2>Finished Drivers <span class=\"count\">(1)</span></h2>"), "\(front)")
        #expect(front.contains("<tr><td>\(driverId)</td><td class=\"wide\">SeedJob</td>"), "\(front)")
        #expect(front.contains("logPage/?driverId=\(driverId)&amp;logType=stdout"))
    }

    /// The same submission through the Swift master to a JVM worker: the master relays what
    /// spark-submit sent (its `sys.env` with Scala's default function included) as it came.
    @Test func submittedDriverRunsOnAJVMWorker() async throws {
        let cluster = try ClusterHarness(name: "cluster-mode-jvm")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.jvm, cores: 3, memory: "3g")
        // The same kind of jar URL as the Swift worker's test: the JVM worker fetches it alike.
        let server = try await FileHTTPServer.start(serving: cluster.directory, logDirectory: cluster.directory)
        defer { server.stop() }
        let driverId = try await submitSeedJob(
            to: cluster, options: ["--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=2"], count: 1_000_000,
            jarURL: { "\(server.baseURL)/redirect/0/\($0.lastPathComponent)" })
        let driver = try await Self.waitForCompletedDriver(driverId, cluster: cluster)
        #expect(driver["state"] as? String == "FINISHED", "\(driver)\n\(cluster.logs)")
        let stdout = try String(contentsOf: cluster.directory.appendingPathComponent("work-0/\(driverId)/stdout"), encoding: .utf8)
        #expect(stdout.contains("SEED=1784293664"), "\(stdout.suffix(2000))\n\(cluster.logs)")
    }

    @Test func supervisedDriverIsRestartedAndCanBeKilled() async throws {
        let cluster = try ClusterHarness(name: "cluster-supervise")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift, cores: 2, memory: "2g")
        let driverId = try await submitSeedJob(to: cluster, options: ["--supervise"], count: -1)

        // It fails at once each time; the worker starts it again after 1, 2, 4 s …
        try await cluster.workers[0].waitForLog("Command exited with status 3, re-launching after 2 s.", timeout: .seconds(60))
        let json = try await cluster.masterJSON()
        let active = try #require(json["activedrivers"] as? [[String: Any]])
        #expect(active.first?["id"] as? String == driverId && active.first?["state"] as? String == "RUNNING", "\(active)")

        // The legacy client over RPC (`spark-submit --kill` goes through the REST server: RestSubmissionTests).
        let kill = try await SparkApplications.sparkClass(
            sparkHome: cluster.sparkHome, className: "org.apache.spark.deploy.Client",
            arguments: ["kill", cluster.masterURL, driverId], workDirectory: cluster.directory)
        #expect(kill.status == 0, "\(kill.stderr.suffix(2000))")
        let driver = try await Self.waitForCompletedDriver(driverId, cluster: cluster)
        #expect(driver["state"] as? String == "KILLED", "\(driver)\n\(cluster.logs)")
        #expect(cluster.workers[0].log().contains("Driver \(driverId) was killed by user"))
        let stdout = try String(contentsOf: cluster.directory.appendingPathComponent("work-0/\(driverId)/stdout"), encoding: .utf8)
        #expect(stdout.components(separatedBy: "ATTEMPT").count - 1 >= 2, "\(stdout)")  // appended across attempts
    }

    /// Builds the application jar and submits it in cluster mode (512 MiB driver) at the URL
    /// `jarURL` makes of its path (`file:` by default); its driver id.
    private func submitSeedJob(
        to cluster: ClusterHarness, options: [String], count: Int, jarURL: (URL) -> String = { "file:\($0.path)" }
    ) async throws -> String {
        let jar = try SparkApplications.javaApplicationJar(
            className: "SeedJob", source: Self.seedJob, sparkHome: cluster.sparkHome, in: cluster.directory)
        let submit = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: cluster.masterURL,
            arguments: ["--deploy-mode", "cluster", "--class", "SeedJob", "--driver-memory", "512m"] + options
                + [jarURL(jar), "\(count)"],
            workDirectory: cluster.directory)
        #expect(submit.status == 0, "\(submit.stderr.suffix(3000))")
        return try #require(Self.driverId(in: submit.stdout + submit.stderr), "\(submit.stderr.suffix(3000))")
    }

    static func driverId(in output: String) -> String? {
        guard let match = output.firstMatch(of: /driver-\d{14}-\d{4}/) else { return nil }
        return String(match.output)
    }

    static func waitForCompletedDriver(_ driverId: String, cluster: ClusterHarness) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            let json = try await cluster.masterJSON()
            if let done = (json["completeddrivers"] as? [[String: Any]])?.first(where: { $0["id"] as? String == driverId }) {
                return done
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("driver \(driverId) did not complete:\n\(cluster.logs)")
        throw CancellationError()
    }

    /// A page of the first (Swift) worker (`/log?…` by default), found through the master's `/json`.
    private func workerPage(cluster: ClusterHarness, path: String = "/log", query: String) async throws -> String {
        let json = try await cluster.masterJSON()
        let workers = try #require(json["workers"] as? [[String: Any]])
        let web = try #require(workers.first?["webuiaddress"] as? String)
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: "\(web)\(path)?\(query)")))
        return String(decoding: data, as: UTF8.self)
    }
}
