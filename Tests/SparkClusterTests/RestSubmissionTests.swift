import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// The master's REST submission server: answered like Spark 4.3's own master, request for request,
/// and used by the real `spark-submit` to create, follow and kill cluster-mode drivers.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct RestSubmissionTests {
    /// One request and what to compare of the answers: the whole body, or its first characters
    /// (where the JVM prints a Java stack trace), or the status only.
    struct Probe {
        var method: String
        var path: String
        var body: String? = nil
        var compare: Compare = .body

        enum Compare { case body, prefix(Int), status }
    }

    static let probes: [Probe] = [
        Probe(method: "GET", path: "/v1/submissions/status/driver-20261127000000-0042"),
        Probe(method: "POST", path: "/v1/submissions/kill/driver-20261127000000-0042"),
        Probe(method: "POST", path: "/v1/submissions/kill/driver-x/extra"),
        Probe(method: "POST", path: "/v1/submissions/killall"),
        Probe(method: "POST", path: "/v1/submissions/clear"),
        Probe(method: "GET", path: "/v1/submissions/readyz"),
        Probe(method: "GET", path: "/"),
        Probe(method: "GET", path: "/v1"),
        Probe(method: "GET", path: "/v1/submissions"),
        Probe(method: "POST", path: "/v1/submissions/unknown"),
        Probe(method: "GET", path: "/v1/other"),
        Probe(method: "GET", path: "/v2/submissions/status/x"),
        Probe(method: "GET", path: "/v1/submissions/status/"),
        Probe(method: "POST", path: "/v1/submissions/kill"),
        Probe(method: "PUT", path: "/v1/submissions/create", compare: .status),
        Probe(method: "GET", path: "/v1/submissions/create", compare: .status),
        Probe(method: "POST", path: "/v1/submissions/status/x", compare: .status),
        Probe(method: "HEAD", path: "/v1/submissions/status/driver-x"),
        // Bodies: nothing, not JSON, no action, another message, a request missing what it needs.
        Probe(method: "POST", path: "/v1/submissions/create", body: "", compare: .prefix(60)),
        Probe(method: "POST", path: "/v1/submissions/create", body: "{\"appResource\": ", compare: .prefix(60)),
        Probe(
            method: "POST", path: "/v1/submissions/create",
            body: #"{"action": "KillSubmissionResponse", "serverSparkVersion": "4.3.0", "submissionId": "d", "success": true, "message": "m"}"#),
        Probe(
            method: "POST", path: "/v1/submissions/create",
            body: #"{"action": "CreateSubmissionRequest", "clientSparkVersion": "4.3.0", "mainClass": "App", "sparkProperties": {}}"#,
            compare: .prefix(160)),
        Probe(
            method: "POST", path: "/v1/submissions/create",
            body: #"{"action": "CreateSubmissionRequest", "appResource": "file:/a.jar", "mainClass": "App", "sparkProperties": {"spark.driver.cores": "many"}, "clientSparkVersion": "4.3.0"}"#,
            compare: .prefix(160)),
    ]

    @Test func swiftMasterAnswersAsTheJVMMasterDoes() async throws {
        let jvm = try ClusterHarness(name: "rest-jvm")
        defer { jvm.stopAll() }
        let swift = try ClusterHarness(name: "rest-swift")
        defer { swift.stopAll() }
        try await jvm.startJVMMaster(options: ["-Dspark.master.rest.port=0"])
        try await swift.startMaster(options: ["-Dspark.master.rest.port=0"])
        let jvmPort = try await jvm.masterRESTPort()
        let swiftPort = try await swift.masterRESTPort()

        for probe in Self.probes {
            let expected = try await Self.send(probe, port: jvmPort)
            let actual = try await Self.send(probe, port: swiftPort)
            let label = "\(probe.method) \(probe.path) \(probe.body ?? "")"
            #expect(actual.status == expected.status, "\(label)\nJVM: \(expected.body)\nSwift: \(actual.body)")
            switch probe.compare {
            case .body:
                #expect(actual.body == expected.body, "\(label)")
                if expected.status != 405 { #expect(actual.contentType == expected.contentType, "\(label)") }
            case .prefix(let count):
                #expect(actual.body.prefix(count) == expected.body.prefix(count), "\(label)\nJVM: \(expected.body.prefix(400))\nSwift: \(actual.body)")
            case .status:
                break
            }
        }
    }

    @Test func sparkSubmitCreatesFollowsAndKillsDriversThroughIt() async throws {
        let cluster = try ClusterHarness(name: "rest-submit")
        defer { cluster.stopAll() }
        // The configured port is taken: the server moves on to the next one, as Spark's does.
        let taken = try Self.listeningSocket()
        defer { close(taken.descriptor) }
        try await cluster.startMaster(options: ["-Dspark.master.rest.port=\(taken.port)", "-Dspark.port.maxRetries=4"])
        let restPort = try await cluster.masterRESTPort()
        #expect(restPort != taken.port)
        try await cluster.startWorker(.swift, cores: 3, memory: "3g")
        let server = try await FileHTTPServer.start(serving: cluster.directory, logDirectory: cluster.directory)
        defer { server.stop() }
        let jar = try SparkApplications.javaApplicationJar(
            className: "SeedJob", source: ClusterModeDriverTests.seedJob, sparkHome: cluster.sparkHome, in: cluster.directory)
        let restMaster = "spark://127.0.0.1:\(restPort)"

        let submit = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: restMaster,
            arguments: [
                "--deploy-mode", "cluster", "--conf", "spark.master.rest.enabled=true", "--class", "SeedJob",
                "--driver-memory", "512m", "--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=2",
                "\(server.baseURL)/\(jar.lastPathComponent)", "1000000",
            ],
            workDirectory: cluster.directory)
        let output = submit.stdout + submit.stderr
        #expect(submit.status == 0, "\(output.suffix(3000))")
        #expect(output.contains("Submission successfully created as driver-"), "\(output.suffix(3000))")
        #expect(!output.contains("Falling back to legacy submission gateway"))
        let driverId = try #require(ClusterModeDriverTests.driverId(in: output), "\(output.suffix(3000))")
        let driver = try await ClusterModeDriverTests.waitForCompletedDriver(driverId, cluster: cluster)
        #expect(driver["state"] as? String == "FINISHED", "\(driver)\n\(cluster.logs)")
        let stdout = try String(contentsOf: cluster.directory.appendingPathComponent("work-0/\(driverId)/stdout"), encoding: .utf8)
        #expect(stdout.contains("SEED=1784293664"), "\(stdout.suffix(2000))\n\(cluster.logs)")
        // The driver's Spark master is the RPC port, not the REST port it was submitted to.
        let stderr = try String(contentsOf: cluster.directory.appendingPathComponent("work-0/\(driverId)/stderr"), encoding: .utf8)
        #expect(stderr.contains("\"-Dspark.master=\(cluster.masterURL)\""), "\(stderr.prefix(3000))")

        // `--status` logs the answer at INFO, which spark-submit does not show for it; an answer
        // saying the driver is unknown is an error it does show.
        for (id, known) in [(driverId, true), ("driver-20261127000000-0099", false)] {
            let status = try await SparkApplications.sparkSubmit(
                sparkHome: cluster.sparkHome, master: restMaster, arguments: ["--status", id], workDirectory: cluster.directory)
            let text = status.stdout + status.stderr
            #expect(status.status == 0, "\(text.suffix(2000))")
            #expect(text.contains("Server responded with message of unexpected type SubmissionStatusResponse") == !known, "\(id): \(text.suffix(2000))")
        }

        // A supervised driver that keeps failing, killed with `spark-submit --kill`.
        let supervised = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: restMaster,
            arguments: [
                "--deploy-mode", "cluster", "--conf", "spark.master.rest.enabled=true", "--supervise", "--class", "SeedJob",
                "--driver-memory", "512m", "\(server.baseURL)/\(jar.lastPathComponent)", "-1",
            ],
            workDirectory: cluster.directory)
        let supervisedId = try #require(ClusterModeDriverTests.driverId(in: supervised.stdout + supervised.stderr))
        try await cluster.workers[0].waitForLog("Command exited with status 3, re-launching after 2 s.", timeout: .seconds(60))
        let kill = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: restMaster, arguments: ["--kill", supervisedId], workDirectory: cluster.directory)
        let killOutput = kill.stdout + kill.stderr
        #expect(killOutput.contains("\(supervisedId) is killed successfully."), "\(killOutput.suffix(2000))")
        let killed = try await ClusterModeDriverTests.waitForCompletedDriver(supervisedId, cluster: cluster)
        #expect(killed["state"] as? String == "KILLED", "\(killed)\n\(cluster.logs)")
        let again = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: restMaster, arguments: ["--kill", supervisedId], workDirectory: cluster.directory)
        let againOutput = again.stdout + again.stderr
        #expect(againOutput.contains("Error: Driver \(supervisedId) has already finished or does not exist"), "\(againOutput.suffix(2000))")
    }

    /// A driver the master built from a REST submission (no object from a submitter to relay) runs
    /// on Spark's own worker.
    @Test func restSubmittedDriverRunsOnAJVMWorker() async throws {
        let cluster = try ClusterHarness(name: "rest-jvm-worker")
        defer { cluster.stopAll() }
        try await cluster.startMaster(options: ["-Dspark.master.rest.port=0"])
        let restPort = try await cluster.masterRESTPort()
        try await cluster.startWorker(.jvm, cores: 3, memory: "3g")
        let jar = try SparkApplications.javaApplicationJar(
            className: "SeedJob", source: ClusterModeDriverTests.seedJob, sparkHome: cluster.sparkHome, in: cluster.directory)
        let submit = try await SparkApplications.sparkSubmit(
            sparkHome: cluster.sparkHome, master: "spark://127.0.0.1:\(restPort)",
            arguments: [
                "--deploy-mode", "cluster", "--conf", "spark.master.rest.enabled=true", "--class", "SeedJob", "--driver-memory", "512m",
                "--conf", "spark.executor.memory=512m", "--conf", "spark.cores.max=2", "file:\(jar.path)", "1000000",
            ],
            workDirectory: cluster.directory)
        let output = submit.stdout + submit.stderr
        let driverId = try #require(ClusterModeDriverTests.driverId(in: output), "\(output.suffix(3000))")
        let driver = try await ClusterModeDriverTests.waitForCompletedDriver(driverId, cluster: cluster)
        #expect(driver["state"] as? String == "FINISHED", "\(driver)\n\(cluster.logs)")
        let stdout = try String(contentsOf: cluster.directory.appendingPathComponent("work-0/\(driverId)/stdout"), encoding: .utf8)
        #expect(stdout.contains("SEED=1784293664"), "\(stdout.suffix(2000))\n\(cluster.logs)")
    }

    // MARK: - Helpers

    struct Answer {
        var status: Int
        var contentType: String?
        var body: String
    }

    static func send(_ probe: Probe, port: Int) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(probe.path)")))
        request.httpMethod = probe.method
        if let body = probe.body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Answer(
            status: http.statusCode, contentType: http.value(forHTTPHeaderField: "Content-Type"), body: String(decoding: data, as: UTF8.self))
    }

    /// A socket listening on a free loopback port (the port a server then cannot take).
    static func listeningSocket() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound, listen(descriptor, 1) == 0 else {
            close(descriptor)
            throw ChildProcessError(message: "cannot listen on a loopback port")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }
}
