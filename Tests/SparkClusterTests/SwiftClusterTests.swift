import Foundation
import SparkTestKit
import Testing

/// An all-Swift cluster (spark-master and two spark-workers) running real Spark 4.3 applications.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct SwiftClusterTests {
    @Test func seedJobAndAPySparkShuffleAcrossBothWorkers() async throws {
        let cluster = try ClusterHarness(name: "swift")
        defer { cluster.stopAll() }
        // One class-data archive directory for both workers, as on a machine.
        let archives = cluster.directory.appendingPathComponent("executor-cds")
        let sharing = ["-Dspark.worker.executorClassDataSharing.dir=\(archives.path)"]
        try await cluster.startMaster()
        try await cluster.startWorker(.swift, options: sharing)
        try await cluster.startWorker(.swift, options: sharing)

        let shell = try await cluster.sparkShell(SeedJob.script)
        #expect(shell.stdout.contains(SeedJob.intResult), "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)")
        #expect(shell.stdout.contains(SeedJob.longResult))

        // The shell's executors wrote a class-data archive as they exited, and the JDK can map it
        // with their class path (`-Xshare:on` makes any mismatch fatal).
        let archive = try await waitForArchive(in: archives, cluster: cluster)
        let firstLaunches = launchCommands(of: cluster)
        #expect(!firstLaunches.isEmpty && firstLaunches.allSatisfy { $0.contains("\"-XX:ArchiveClassesAtExit=\(archive.path).tmp-") })
        let classPath = try #require(firstLaunches.first.flatMap { Self.argument(after: "-cp", in: $0) })
        let check = try runCommand("/usr/bin/env", ["java", "-Xshare:on", "-XX:SharedArchiveFile=\(archive.path)", "-cp", classPath, "-version"])
        #expect(check.status == 0, "\(check.output)")

        // A shuffle whose tasks run in executors on both workers (their work dirs are the python workers' cwd).
        let program = """
            import os
            from pyspark.sql import SparkSession
            spark = SparkSession.builder.appName("shuffle-across-workers").getOrCreate()
            sc = spark.sparkContext
            pairs = sc.parallelize(range(100000), 8).map(lambda x: (x % 97, x)).reduceByKey(lambda a, b: a + b, 8)
            totals = dict(pairs.collect())
            dirs = sc.parallelize(range(16), 16).map(lambda _: os.path.dirname(os.path.dirname(os.getcwd()))).distinct().collect()
            print("KEYS=%d SUM=%d" % (len(totals), sum(totals.values())))
            print("WORKDIRS=%s" % ",".join(sorted(dirs)))
            spark.stop()
            """
        let python = try await SparkApplications.sparkSubmitPython(
            sparkHome: cluster.sparkHome, master: cluster.masterURL, program: program,
            conf: ["spark.executor.memory": "512m"], workDirectory: cluster.directory)
        #expect(python.status == 0, "\(python.stderr.suffix(4000))\n\(cluster.logs)")
        #expect(python.stdout.contains("KEYS=97 SUM=4999950000"), "\(python.stdout)")
        let workDirs = python.stdout.split(separator: "\n").first { $0.hasPrefix("WORKDIRS=") }?
            .dropFirst("WORKDIRS=".count).split(separator: ",") ?? []
        #expect(Set(workDirs.map { URL(fileURLWithPath: String($0)).lastPathComponent }) == ["work-0", "work-1"], "\(python.stdout)")
        // This application's executors started with the archive.
        let laterLaunches = launchCommands(of: cluster).dropFirst(firstLaunches.count)
        #expect(!laterLaunches.isEmpty && laterLaunches.allSatisfy { $0.contains("\"-XX:SharedArchiveFile=\(archive.path)\"") }, "\(laterLaunches)")

        // No executor JVM outlives its application.
        try await waitUntilNoExecutors(of: cluster)
    }

    /// spark.cores.max, spark.executor.cores and spark.executor.memory bound what is launched.
    @Test func schedulingLimitsAreHonoured() async throws {
        let cluster = try ClusterHarness(name: "limits")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift, cores: 4, memory: "4g")
        try await cluster.startWorker(.swift, cores: 4, memory: "4g")
        let script = """
            sc.parallelize(1 to 1000, 6).map(_ * 2).sum()
            :quit

            """
        let result = try await cluster.sparkShell(
            script, conf: ["spark.cores.max": "3", "spark.executor.cores": "1", "spark.executor.memory": "600m"])
        #expect(result.stdout.contains("Double = 1001000.0"), "\(result.stdout)\n\(result.stderr.suffix(2000))")
        let launches = cluster.masterLogLines(containing: "Launching executor")
        #expect(launches.count == 3, "\(launches)")
        // Spread out over both workers, each executor with one core and 600 MiB.
        #expect(Set(launches.compactMap { $0.components(separatedBy: "on worker ").last }).count == 2)
        let workerLogs = cluster.workers.map { $0.log() }.joined(separator: "\n")
        let commands = workerLogs.split(separator: "\n").filter { $0.contains("Launch command:") }
        #expect(commands.count == 3)
        #expect(commands.allSatisfy { $0.contains("\"-Xmx600M\"") && $0.contains("\"--cores\" \"1\"") })
        let json = try await cluster.masterJSON()
        let app = try #require((json["completedapps"] as? [[String: Any]])?.first)
        #expect(app["memoryperexecutor"] as? Int == 600)
    }

    /// The command line each executor ran, from the header of its `stderr` file, by application
    /// id (ids grow with time) and executor id.
    private func launchCommands(of cluster: ClusterHarness) -> [String] {
        var commands: [(String, String)] = []
        let fileManager = FileManager.default
        for work in (try? fileManager.contentsOfDirectory(atPath: cluster.directory.path)) ?? [] where work.hasPrefix("work-") {
            let workPath = cluster.directory.appendingPathComponent(work).path
            for app in (try? fileManager.contentsOfDirectory(atPath: workPath)) ?? [] where app.hasPrefix("app-") {
                for executor in (try? fileManager.contentsOfDirectory(atPath: workPath + "/" + app)) ?? [] {
                    guard let text = try? String(contentsOfFile: "\(workPath)/\(app)/\(executor)/stderr", encoding: .utf8),
                          let first = text.split(separator: "\n").first, first.hasPrefix("Spark Executor Command: ") else { continue }
                    commands.append(("\(app)/\(executor)", String(first)))
                }
            }
        }
        return commands.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The value after `"name"` in a command line as Spark logs it (`"a" "b" ...`).
    static func argument(after name: String, in line: String) -> String? {
        guard let range = line.range(of: "\"\(name)\" \"") else { return nil }
        let rest = line[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    private func waitForArchive(in directory: URL, cluster: ClusterHarness) async throws -> URL {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            // Both workers' executors may write one; wait until neither is still writing.
            if !names.contains(where: { $0.contains(".jsa.tmp-") }),
               let name = names.first(where: { $0.hasPrefix("executor-") && $0.hasSuffix(".jsa") }) {
                return directory.appendingPathComponent(name)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("no class-data archive in \(directory.path):\n\(cluster.logs)")
        throw CancellationError()
    }

    private func waitUntilNoExecutors(of cluster: ClusterHarness) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if processIds(commandLineContaining: cluster.directory.path).filter({ isExecutor($0) }).isEmpty { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        Issue.record("executor JVMs still running after their application ended:\n\(cluster.logs)")
    }

    private func isExecutor(_ pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains("CoarseGrainedExecutorBackend")
    }
}
