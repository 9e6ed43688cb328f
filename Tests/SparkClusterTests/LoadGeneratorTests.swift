import Foundation
import SparkTestKit
import Testing

/// `spark-load` against both masters: its simulated workers and applications speak the real
/// protocol, so the JVM master accepts them as it accepts ours. Outcomes only, no timings.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct LoadGeneratorTests {
    static let workers = 150

    @Test func simulatedWorkersAndApplicationsOnBothMasters() async throws {
        let cluster = try ClusterHarness(name: "load")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        let ours = try run(against: cluster.masterPort, web: cluster.masterWebUIPort, in: cluster.directory, tag: "swift")
        Self.check(ours, master: "spark-master")
        // Ours reports the simulated applications as finished.
        let json = try await cluster.masterJSON()
        #expect((json["completedapps"] as? [Any])?.count == 2)

        let jvmPort = try freePort()
        let jvmWebPort = try freePort()
        let jvm = try SparkDaemons.master(
            sparkHome: cluster.sparkHome, port: jvmPort, webUIPort: jvmWebPort, logDirectory: cluster.directory, name: "jvm-master-load")
        defer { jvm.stop() }
        try await jvm.waitForLog("I have been elected leader", timeout: .seconds(90))
        let theirs = try run(against: jvmPort, web: jvmWebPort, in: cluster.directory, tag: "jvm")
        Self.check(theirs, master: "JVM master")
    }

    /// Runs `spark-load` with its JSON report on stdout (diagnostics in `<tag>-load.err`).
    private func run(against port: Int, web: Int, in directory: URL, tag: String) throws -> (status: Int32, report: [String: Any]) {
        let errors = directory.appendingPathComponent("\(tag)-load.err").path
        let arguments = [
            "--master", "spark://127.0.0.1:\(port)", "--web-ui", "http://127.0.0.1:\(web)",
            "--workers", "\(Self.workers)", "--apps", "2", "--app-max-cores", "4", "--heartbeat-interval", "2s",
            "--duration", "8s", "--grace", "20s", "--json",
        ]
        let result = try runCommand(
            "/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>\"$LOAD_ERRORS\"", TestEnvironment.product("spark-load").path] + arguments,
            environment: ["LOAD_ERRORS": errors])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [String: Any]
        #expect(report != nil, "\(result.output)\n\((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        return (result.status, report ?? [:])
    }

    private static func check(_ run: (status: Int32, report: [String: Any]), master: String) {
        let report = run.report
        #expect(run.status == 0, "\(master): \(report)")
        let registration = report["registration"] as? [String: Any]
        #expect(registration?["registered"] as? Int == workers, "\(master)")
        #expect((report["errors"] as? [String: Any])?.isEmpty == true, "\(master): \(report["errors"] ?? "")")
        // Every simulated worker listed ALIVE on /json/ with a recent heartbeat.
        let status = report["masterStatus"] as? [String: Any]
        #expect(status?["alive"] as? Int == workers, "\(master)")
        #expect(status?["late"] as? Int == 0, "\(master)")
        // Both applications registered, saw executors RUNNING, and unregistered.
        let applications = report["applications"] as? [String: Any]
        #expect(applications?["registered"] as? Int == 2, "\(master)")
        #expect((applications?["executorsRunning"] as? Int ?? 0) >= 2, "\(master)")
        #expect(applications?["unregistered"] as? Int == 2, "\(master)")
        // Probes (RequestDriverStatus asks) were answered.
        let probe = report["probe"] as? [String: Any]
        #expect((probe?["answered"] as? Int ?? 0) > 0, "\(master)")
    }
}
