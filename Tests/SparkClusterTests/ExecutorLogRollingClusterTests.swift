import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import SparkWorker
import Testing

/// `spark.executor.logs.rolling.*` on a Swift worker and on a JVM worker side by side, with real
/// executors writing megabytes to stdout: the same rolled names, sizes and retention, and the
/// Swift worker's log page reads the stream across its compressed files.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct ExecutorLogRollingClusterTests {
    static let maxSize = 81920
    static let retained = 3

    @Test func executorStdoutRollsAsOnTheJVMWorker() async throws {
        let cluster = try ClusterHarness(name: "rolling")
        defer { cluster.stopAll() }
        let rolling = [
            "-Dspark.executor.logs.rolling.strategy=size", "-Dspark.executor.logs.rolling.maxSize=\(Self.maxSize)",
            "-Dspark.executor.logs.rolling.maxRetainedFiles=\(Self.retained)", "-Dspark.executor.logs.rolling.enableCompression=true",
        ]
        try await cluster.startMaster()
        try await cluster.startWorker(.swift, options: rolling)  // work-0
        try await cluster.startWorker(.jvm, options: rolling)  // work-1
        // One executor on each worker; `-verbose:class` prints a line per class an executor loads.
        let shell = try await cluster.sparkShell(SeedJob.script, conf: [
            "spark.executor.cores": "2", "spark.cores.max": "4", "spark.executor.memory": "600m",
            "spark.executor.extraJavaOptions": "-verbose:class",
        ])
        #expect(shell.stdout.contains(SeedJob.intResult), "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)")
        try await waitUntilNoExecutors(of: cluster)
        // The appenders may still be rolling the last bytes: wait until the files stay as they are.
        var listing = ""
        for _ in 0..<30 {
            let now = try ["work-0", "work-1"].map { work -> String in
                let executor = try #require(executorDirectory(in: cluster.directory.appendingPathComponent(work)))
                return try FileManager.default.contentsOfDirectory(atPath: executor.path).sorted().joined(separator: ",")
            }.joined(separator: ";")
            if now == listing { break }
            listing = now
            try await Task.sleep(for: .seconds(1))
        }

        var rolledCounts: [String: Int] = [:]
        for (kind, work) in [("swift", "work-0"), ("jvm", "work-1")] {
            let executor = try #require(executorDirectory(in: cluster.directory.appendingPathComponent(work)), "\(kind): no executor directory")
            let names = try FileManager.default.contentsOfDirectory(atPath: executor.path)
            let rolled = names.filter { $0.hasPrefix("stdout--") }.sorted()
            rolledCounts[kind] = rolled.count
            #expect(names.contains("stdout") && names.contains("stderr"), "\(kind): \(names)")
            for name in rolled {
                #expect(name.wholeMatch(of: /stdout--\d{4}-\d{2}-\d{2}--\d{2}-\d{2}-\d{2}--\d{4}(--\d+)?\.gz/) != nil, "\(kind): \(name)")
                let text = try gunzip(executor.appendingPathComponent(name).path)
                #expect(text.utf8.count > 0 && text.utf8.count <= Self.maxSize, "\(kind): \(name) holds \(text.utf8.count) bytes")
                #expect(text.contains("[class,load]"), "\(kind): \(name)")
            }
        }
        // Enough output to roll more often than the files kept: both keep exactly that many.
        #expect(rolledCounts == ["swift": Self.retained, "jvm": Self.retained], "\(rolledCounts)\n\(cluster.logs)")

        // The Swift worker's log page: the kept rolled files decompressed, then the active file.
        let executor = try #require(executorDirectory(in: cluster.directory.appendingPathComponent("work-0")))
        let names = try FileManager.default.contentsOfDirectory(atPath: executor.path)
        var expected = ""
        for name in ExecutorLogRolling.streamFiles(in: names, active: "stdout") {
            let path = executor.appendingPathComponent(name).path
            expected += name.hasSuffix(".gz") ? try gunzip(path) : try String(contentsOfFile: path, encoding: .utf8)
        }
        let appId = executor.deletingLastPathComponent().lastPathComponent
        let page = try await workerLog(cluster: cluster, query: "appId=\(appId)&executorId=\(executor.lastPathComponent)&logType=stdout&offset=0&byteLength=\(1 << 22)")
        let count = expected.utf8.count
        let header = try #require(page.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first)
        #expect(header.hasPrefix("==== Bytes 0-\(count) of \(count) of "), "\(page.prefix(200))")
        #expect(String(page.dropFirst(header.count + 1)) == expected)
    }

    private func executorDirectory(in work: URL) -> URL? {
        let fileManager = FileManager.default
        guard let app = (try? fileManager.contentsOfDirectory(atPath: work.path))?.first(where: { $0.hasPrefix("app-") }) else { return nil }
        let appDirectory = work.appendingPathComponent(app)
        guard let executor = (try? fileManager.contentsOfDirectory(atPath: appDirectory.path))?.first else { return nil }
        return appDirectory.appendingPathComponent(executor)
    }

    private func gunzip(_ path: String) throws -> String {
        let result = try runCommand("/usr/bin/env", ["gzip", "-dc", path])
        #expect(result.status == 0, "gzip -dc \(path): \(result.output.prefix(300))")
        return result.output
    }

    /// `/log?…` of the Swift worker (the first one), found through the master's `/json`.
    private func workerLog(cluster: ClusterHarness, query: String) async throws -> String {
        let json = try await cluster.masterJSON()
        let workers = try #require(json["workers"] as? [[String: Any]])
        let swift = try #require(workers.first { ($0["port"] as? Int) == cluster.workerPorts[0] })
        let web = try #require(swift["webuiaddress"] as? String)
        let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: "\(web)/log?\(query)")))
        return String(decoding: data, as: UTF8.self)
    }

    private func waitUntilNoExecutors(of cluster: ClusterHarness) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let executors = processIds(commandLineContaining: cluster.directory.path).filter { pid in
                let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) }
                return command?.contains("CoarseGrainedExecutorBackend") == true
            }
            if executors.isEmpty { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("executor JVMs still running after their application ended:\n\(cluster.logs)")
    }
}
