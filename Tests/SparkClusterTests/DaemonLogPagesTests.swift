import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// The master's own log (`/log`, `/logPage`) as Spark 4.3's JVM master serves it from the same
/// `SPARK_LOG_DIR`: the same text for every slice, the same message in the log's place for a log
/// type Spark does not serve or a log that is not there, and the same refusal of a number it cannot
/// read. (The worker's are compared in `WorkerJVMIntegrationTests`.)
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct DaemonLogPagesTests {
    @Test(.timeLimit(.minutes(3)))
    func theMastersServeTheirOwnLogAlike() async throws {
        let jvm = try ClusterHarness(name: "master-log-jvm")
        defer { jvm.stopAll() }
        let swift = try ClusterHarness(name: "master-log-swift")
        defer { swift.stopAll() }
        let logs = jvm.directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let out = (1...300).map { "2026-11-28 05:00:00 INFO Master: line \($0) <&>\n" }.joined()
        try out.write(to: logs.appendingPathComponent("spark-ops-org.apache.spark.deploy.master.Master-1-host.out"), atomically: true, encoding: .utf8)
        try "standard error\n".write(to: logs.appendingPathComponent("stderr"), atomically: true, encoding: .utf8)
        // Spark's scripts name the directory with a slash after it or not; the header shows it as set.
        let environment = ["SPARK_LOG_DIR": logs.path + "/"]
        try await jvm.startJVMMaster(environment: environment)
        try await swift.startMaster(environment: environment)

        for query in [
            "self&logType=out", "logType=out", "self&logType=out&offset=100&byteLength=250", "self&logType=out&byteLength=64",
            "self&logType=out&offset=999999", "self&logType=stderr", "self&logType=stdout", "self&logType=passwd", "self",
            "appId=app-1&executorId=0&logType=stderr", "self&logType=out&offset=x", "self&logType=out&byteLength=3000000000",
        ] {
            let theirs = try await fetch(port: jvm.masterWebUIPort, "/log/?\(query)")
            let ours = try await fetch(port: swift.masterWebUIPort, "/log/?\(query)")
            #expect(ours.status == theirs.status, "\(query): ours \(ours.body.prefix(200))")
            if theirs.status == 200 { #expect(ours.body == theirs.body, "\(query)") }
            let page = try await fetch(port: swift.masterWebUIPort, "/logPage/?\(query)")
            #expect(page.status == theirs.status, "the log page of \(query)")
        }
        let whole = try await fetch(port: swift.masterWebUIPort, "/log/?self&logType=out&offset=0&byteLength=100000")
        #expect(whole.body == "==== Bytes 0-\(out.utf8.count) of \(out.utf8.count) of \(logs.path)/out ====\n" + out)
        let refused = try await fetch(port: swift.masterWebUIPort, "/logPage/?self&logType=passwd")
        #expect(refused.body.contains("<title>passwd log page for master</title>"))
        #expect(refused.body.contains("Error: Log type must be one of stderr, stdout, out"))
    }

    private func fetch(port: Int, _ path: String) async throws -> (status: Int, body: String) {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        let (data, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
