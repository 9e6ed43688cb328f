import Foundation
import SparkConfig
import SparkMasterServer
import SparkTestKit
import Testing

/// The master's environment page and its own log, side by side with the real JVM master given the
/// same settings and the same `SPARK_LOG_DIR`.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct MasterEnvironmentJVMTests {
    /// A secret under its name, one in a value, and markup.
    static let conf = [
        "spark.myapp.password": "hunter2", "spark.myapp.url": "jdbc:x?token=abc", "spark.master.ui.title": "Env<t>",
        "spark.master.ui.visibleEnvVarPrefixes": "SPACE_VISIBLE_,SPARK_LOG",
    ]
    /// Variables of both daemons' environment: two under the visible prefixes.
    static let environment = ["SPACE_VISIBLE_ONE": "1 <b>", "SPACE_HIDDEN": "2"]

    /// `(name, value)` rows of a page's table, as the HTML carries them: from `start` to the table's end.
    static func rows(_ html: String, after start: String, row: Regex<(Substring, Substring, Substring)>) throws -> [String] {
        let from = try #require(html.range(of: start), "no \(start) in the page")
        let table = html[from.upperBound...]
        let end = try #require(table.range(of: "</table>"))
        return table[..<end.lowerBound].matches(of: row).map { "\($0.output.1)=\($0.output.2)" }
    }

    @Test(.timeLimit(.minutes(3)))
    func environmentAndOwnLogAsTheJVMMasterServesThem() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let directory = try TestEnvironment.temporaryDirectory("webui-jvm-environment")
        defer { try? FileManager.default.removeItem(at: directory) }
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let out = (1...300).map { "2026-11-28 05:00:\($0 % 60) INFO Master: line \($0) <&>\n" }.joined()
        try out.write(to: logs.appendingPathComponent("spark-test-org.apache.spark.deploy.master.Master-1-host.out"), atomically: true, encoding: .utf8)
        try "standard error\n".write(to: logs.appendingPathComponent("stderr"), atomically: true, encoding: .utf8)

        let jvmWebPort = try freePort()
        let jvmMaster = try SparkDaemons.master(
            sparkHome: sparkHome, port: try freePort(), webUIPort: jvmWebPort, logDirectory: directory,
            options: Self.conf.sorted { $0.key < $1.key }.map { "-D\($0.key)=\($0.value)" }, environment: Self.environment.merging(["SPARK_LOG_DIR": logs.path]) { $1 })
        defer { jvmMaster.stop() }
        try await jvmMaster.waitForLog("I have been elected leader", timeout: .seconds(90))

        try await MasterServiceWebTests.withMaster(conf: Self.conf, environment: Self.environment.merging(["SPARK_LOG_DIR": logs.path]) { $1 }) { _, endpoints in
            // The log as text: the same header (directory as configured, then the type) and bytes.
            for query in [
                "self&logType=out", "self&logType=out&offset=3&byteLength=50", "self&logType=out&byteLength=70",
                "self&logType=out&offset=100000", "self&logType=stderr&offset=9",
            ] {
                let theirs = try await HTTP.request(port: jvmWebPort, "/log/?\(query)")
                let ours = try await HTTP.request(port: endpoints.webUiPort, "/log/?\(query)")
                #expect(theirs.status == 200 && ours.status == 200, "\(query)")
                #expect(ours.text == theirs.text, "\(query)")
            }
            #expect(try await HTTP.request(port: endpoints.webUiPort, "/log/?self&logType=out").text.hasPrefix(
                "==== Bytes 0-\(out.utf8.count) of \(out.utf8.count) of \(logs.path)out ====\n2026-11-28 05:00:1 INFO Master: line 1 <&>\n"))
            // The page names the same log, escaped.
            let page = try await HTTP.request(port: endpoints.webUiPort, "/logPage/?self&logType=out&byteLength=100")
            #expect(page.status == 200 && page.text.contains("<title>out log page for master</title>"))
            #expect(page.text.contains("INFO Master: line 300 &lt;&amp;&gt;"))

            // The same Spark properties, redacted alike; the JVM's page adds the scheduling mode of
            // an application (empty: a master runs none).
            let theirs = try Self.rows(
                try await HTTP.request(port: jvmWebPort, "/environment/").text, after: "id=\"aggregated-sparkProperties\"",
                row: #/<tr><td>(.*?)</td><td>(.*?)</td></tr>/#)
            let ours = try Self.rows(
                try await HTTP.request(port: endpoints.webUiPort, "/environment/").text, after: "id=\"spark-properties\"",
                row: #/<td>(.*?)</td><td class="wide">(.*?)</td>/#)
            #expect(ours == theirs.filter { $0 != "spark.scheduler.mode=" })
            #expect(theirs.contains("spark.scheduler.mode="))
            #expect(ours.contains("spark.myapp.password=*********(redacted)") && ours.contains("spark.myapp.url=*********(redacted)"))
            #expect(ours.contains("spark.master.ui.title=Env&lt;t&gt;"))

            // The same environment variables: those under the prefixes, escaped.
            let theirVariables = try Self.rows(
                try await HTTP.request(port: jvmWebPort, "/environment/").text, after: "id=\"aggregated-environmentVariables\"",
                row: #/<tr><td>(.*?)</td><td>(.*?)</td></tr>/#)
            let ourVariables = try Self.rows(
                try await HTTP.request(port: endpoints.webUiPort, "/environment/").text, after: "id=\"environment-variables\"",
                row: #/<td>(.*?)</td><td class="wide">(.*?)</td>/#)
            #expect(ourVariables == theirVariables)
            #expect(ourVariables == ["SPACE_VISIBLE_ONE=1 &lt;b&gt;", "SPARK_LOG_DIR=\(logs.path)"])
        }
    }
}
