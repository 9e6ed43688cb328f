import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import SparkModel
import SparkTestKit
import SparkWorker
import SparkWorkerServer
import Testing

/// The Swift worker against the real JVM master and real spark-shell drivers and executors.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct WorkerJVMIntegrationTests {
    let sparkHome: URL
    let directory: URL

    init() throws {
        sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        directory = try TestEnvironment.temporaryDirectory("swift-worker-it")
    }

    func startMaster() async throws -> (ChildProcess, Int) {
        let port = try freePort()
        let master = try SparkDaemons.master(sparkHome: sparkHome, port: port, webUIPort: try freePort(), logDirectory: directory)
        try await master.waitForLog("I have been elected leader", timeout: .seconds(60))
        return (master, port)
    }

    /// The worker's own log (`?self`), from `SPARK_LOG_DIR`: the same text as the JVM worker
    /// serves from the same directory, and the worker page's id links to it. (The JVM worker serves
    /// it only from inside its work directory, so the directory is there.)
    @Test(.timeLimit(.minutes(3)))
    func ownLogAsTheJVMWorkerServesIt() async throws {
        let (master, masterPort) = try await startMaster()
        defer { master.stop() }
        let logs = directory.appendingPathComponent("work-jvm/own-logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let out = (1...200).map { "2026-11-28 05:00:00 INFO Worker: line \($0) <&>\n" }.joined()
        try out.write(to: logs.appendingPathComponent("spark-test-org.apache.spark.deploy.worker.Worker-1-host.out"), atomically: true, encoding: .utf8)
        try "standard output\n".write(to: logs.appendingPathComponent("stdout"), atomically: true, encoding: .utf8)

        let jvmUiPort = try freePort()
        let jvmWorker = try SparkDaemons.worker(
            sparkHome: sparkHome, masterURL: "spark://127.0.0.1:\(masterPort)", port: try freePort(), webUIPort: jvmUiPort,
            workDirectory: directory.appendingPathComponent("work-jvm"), logDirectory: directory, name: "jvm-worker-own-log",
            environment: ["SPARK_LOG_DIR": logs.path])
        defer { jvmWorker.stop() }

        let workerPort = try freePort()
        let uiPort = try freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["SPARK_HOME"] = sparkHome.path
        environment["SPARK_LOG_DIR"] = logs.path
        let options = WorkerOptions(
            host: "127.0.0.1", port: workerPort, webUiPort: uiPort, webUiBindHost: "127.0.0.1", cores: 1, memoryMiB: 512,
            masters: [RpcAddress(host: "127.0.0.1", port: Int32(masterPort))],
            // The JVM worker's work directory, so that both name the same paths.
            workDirectory: directory.appendingPathComponent("work-jvm").path, sparkHome: sparkHome.path, environment: environment)
        let lines = LogRecorder(echo: false)
        let service = WorkerService(options: options, logger: lines.logger(label: "Worker", level: .info))
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "ServiceGroup")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            try await waitUntil("our worker registered", timeout: .seconds(30)) {
                lines.contains("Successfully registered with master spark://127.0.0.1:\(masterPort)")
            }
            try await jvmWorker.waitForLog("Successfully registered with master", timeout: .seconds(90))
            for query in ["self&logType=out", "self&logType=out&offset=40&byteLength=90", "self&logType=stdout&byteLength=5"] {
                let theirs = try await fetchText(port: jvmUiPort, path: "/log/?\(query)")
                let ours = try await fetchText(port: uiPort, path: "/log/?\(query)")
                #expect(ours == theirs, "\(query)")
            }
            // Executors' logs, and every way Spark answers a request for one it cannot show: a message in
            // the log's place, 500 for a request naming no executor, 400 for a number it cannot read.
            let executorLogs = directory.appendingPathComponent("work-jvm/app-1/0")
            try FileManager.default.createDirectory(at: executorLogs, withIntermediateDirectories: true)
            try "executor says\n".write(to: executorLogs.appendingPathComponent("stderr"), atomically: true, encoding: .utf8)
            for query in [
                "appId=app-1&executorId=0&logType=stderr", "appId=app-1&executorId=0&logType=stderr&offset=3&byteLength=4",
                "appId=app-1&executorId=0&logType=stdout", "appId=app-1&executorId=9&logType=stderr",
                "appId=app-9&executorId=0&logType=stderr", "driverId=driver-1&logType=stderr", "appId=..&executorId=..&logType=stderr",
                "appId=app-1&executorId=0&logType=passwd", "appId=app-1&executorId=0", "self",
                "appId=app-1&logType=stderr", "logType=stderr", "self&appId=app-1&executorId=0&logType=stderr",
                "appId=app-1&executorId=0&logType=stderr&offset=x", "appId=app-1&executorId=0&logType=stderr&byteLength=99999999999",
            ] {
                let theirs = try await fetchAnswer(port: jvmUiPort, path: "/log/?\(query)")
                let ours = try await fetchAnswer(port: uiPort, path: "/log/?\(query)")
                #expect(ours.status == theirs.status, "\(query): \(ours.body)")
                if theirs.status == 200 { #expect(ours.body == theirs.body, "\(query)") }
                let page = try await fetchAnswer(port: uiPort, path: "/logPage/?\(query)")
                #expect(page.status == theirs.status, "the log page of \(query)")
            }
            #expect(try await fetchText(port: uiPort, path: "/log?self&logType=out").hasPrefix(
                "==== Bytes 0-\(out.utf8.count) of \(out.utf8.count) of \(logs.path)/out ====\n"))
            let page = try await fetchText(port: uiPort, path: "/logPage/?self&logType=out&byteLength=200")
            #expect(page.contains("<title>out log page for worker</title>") && page.contains("INFO Worker: line 200 &lt;&amp;&gt;"))
            let home = try await fetchText(port: uiPort, path: "/")
            #expect(home.contains("<a href=\"logPage/?self&amp;logType=out\">worker-"))
            await group.triggerGracefulShutdown()
        }
    }

    /// In-process `WorkerService`: registers with the JVM master, runs a spark-shell job's executor,
    /// serves `/json` while it runs, kills it when the application ends, and shuts down gracefully.
    @Test(.timeLimit(.minutes(5)))
    func sparkShellRunsOnTheSwiftWorker() async throws {
        let (master, masterPort) = try await startMaster()
        defer { master.stop() }
        let workerPort = try freePort()
        let uiPort = try freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["SPARK_HOME"] = sparkHome.path
        environment["SPARK_CONF_DIR"] = sparkHome.appendingPathComponent("conf-absent").path
        let options = WorkerOptions(
            host: "127.0.0.1", port: workerPort, webUiPort: uiPort, webUiBindHost: "127.0.0.1", cores: 2, memoryMiB: 2048,
            masters: [RpcAddress(host: "127.0.0.1", port: Int32(masterPort))],
            workDirectory: directory.appendingPathComponent("work").path, sparkHome: sparkHome.path,
            environment: environment, localRootParents: [directory.appendingPathComponent("local").path])
        let lines = LogRecorder(echo: true)
        let service = WorkerService(options: options, logger: lines.logger(label: "Worker", level: .info))
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "ServiceGroup")))

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            try await master.waitForLog("Registering worker 127.0.0.1:\(workerPort) with 2 cores", timeout: .seconds(60))
            try await waitUntil("the worker registered", timeout: .seconds(10)) {
                lines.contains("Successfully registered with master spark://127.0.0.1:\(masterPort)")
            }
            let idle = try await fetchJSON(port: uiPort, path: "/json")
            #expect(idle["coresused"] as? Int == 0)
            #expect((idle["executors"] as? [Any])?.isEmpty == true)
            // Spark's WorkerSource, at the default metrics servlet's path.
            let metrics = try await fetchJSON(port: uiPort, path: "/metrics/json/")
            #expect(metrics["version"] as? String == "4.0.0")
            let gauges = try #require(metrics["gauges"] as? [String: [String: Int]])
            #expect(gauges == [
                "worker.executors": ["value": 0], "worker.coresUsed": ["value": 0], "worker.coresFree": ["value": 2],
                "worker.memUsed_MB": ["value": 0], "worker.memFree_MB": ["value": 2048],
            ])

            // The job, and /json while its executor runs.
            let (shell, observed) = try await runShellWatchingExecutor(
                masterPort: masterPort, monitor: service.monitor, uiPort: uiPort)
            #expect(shell.stdout.contains("res0: Int = 1784293664"), "spark-shell output:\n\(shell.stdout.suffix(3000))\n\(shell.stderr.suffix(3000))")
            let running = try #require(observed.json)
            #expect(Set(running.keys) == [
                "id", "masterurl", "masterwebuiurl", "cores", "coresused", "memory", "memoryused", "resources",
                "resourcesused", "executors", "finishedexecutors",
            ])
            #expect(running["masterurl"] as? String == "spark://127.0.0.1:\(masterPort)")
            #expect(running["coresused"] as? Int == 2)
            #expect(running["memoryused"] as? Int == 512)
            let executor = try #require((running["executors"] as? [[String: Any]])?.first)
            #expect(Set(executor.keys) == ["id", "memory", "resources", "appid", "appdesc"])
            #expect(executor["id"] as? Int == 0)
            #expect(executor["memory"] as? Int == 512)
            let appdesc = try #require(executor["appdesc"] as? [String: Any])
            #expect(appdesc["name"] as? String == "Spark shell")
            #expect((appdesc["command"] as? String)?.hasPrefix("Command(org.apache.spark.executor.CoarseGrainedExecutorBackend,List(--driver-url") == true)
            let pid = try #require(observed.pid)

            // The application ended: the master killed the executor through us, and it is gone.
            try await waitUntil("executor \(pid) gone", timeout: .seconds(30)) { !isProcessRunning(pid) }
            try await waitUntil("executor reported", timeout: .seconds(30)) {
                lines.contains("finished with state KILLED message Runner thread for executor")
            }
            try await waitUntil("app dirs deleted", timeout: .seconds(30)) {
                lines.contains("Cleaning up local directories for application")
            }
            let logs = try await fetchText(port: uiPort, path: "/log?appId=\(observed.appId)&executorId=0&logType=stderr&byteLength=100000000")
            #expect(logs.contains("Spark Executor Command: "))
            #expect(logs.contains("WorkerWatcher: Successfully connected to spark://Worker@127.0.0.1:\(workerPort)"))
            // The log page as the worker page links it: the newest slice, the one before it by its
            // link, and the same bytes as text.
            let logPage = "/logPage/?appId=\(observed.appId)&executorId=0&logType=stderr"
            let newest = try await fetchText(port: uiPort, path: logPage + "&byteLength=1000")
            #expect(newest.contains("<title>stderr log page for \(observed.appId)/0</title>"))
            let (start, end, total) = try #require(logPageRange(newest), "\(newest.prefix(3000))")
            #expect(end == total && end - start == 1000)
            // Links resolved as a browser resolves them, against the URL of the page they are on.
            func follow(_ label: String, from page: (html: String, url: URL)) async throws -> (html: String, url: URL) {
                let href = try #require(logPageLink(label, in: page.html), "no \(label) link")
                let target = try #require(URL(string: href, relativeTo: page.url)?.absoluteURL)
                let (data, response) = try await URLSession.shared.data(from: target)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(target)")
                return (String(decoding: data, as: UTF8.self), target)
            }
            let newestURL = try #require(URL(string: "http://127.0.0.1:\(uiPort)\(logPage)&byteLength=1000"))
            let earlier = try await follow("Earlier", from: (newest, newestURL))
            #expect(logPageRange(earlier.html).map { [$0.0, $0.1, $0.2] } == [start - 1000, start, total])
            let asText = try await follow("As text", from: earlier).html
            #expect(asText.hasPrefix("==== Bytes \(start - 1000)-\(start) of \(total) of "))
            let after = try await fetchJSON(port: uiPort, path: "/json/")
            #expect((after["finishedexecutors"] as? [Any])?.count == 1)

            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(lines.contains("Worker stopped"))
    }

    /// The worker binary: SIGKILL leaves no executor behind (its WorkerWatcher sees the socket
    /// close); SIGTERM kills the executor and reports it FAILED ("Worker shutting down", as Spark's
    /// shutdown hook does) to the master before exiting.
    @Test(.timeLimit(.minutes(6)))
    func workerDeathAndShutdown() async throws {
        let (master, masterPort) = try await startMaster()
        defer { master.stop() }
        let stopFile = directory.appendingPathComponent("stop-shell")
        let script = """
            sc.parallelize(1 to 1000000).reduce(_ + _)
            while (!new java.io.File("\(stopFile.path)").exists) Thread.sleep(200)
            :quit

            """
        try await withThrowingTaskGroup(of: SparkApplications.Result?.self) { tasks in
            defer {
                _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
                tasks.cancelAll()
            }
            let first = try await startWorkerBinary(masterPort: masterPort, index: 1)
            defer { first.process.stop() }
            tasks.addTask { [sparkHome, directory] in
                try await SparkApplications.sparkShell(
                    sparkHome: sparkHome, master: "spark://127.0.0.1:\(masterPort)", script: script,
                    conf: ["spark.executor.memory": "512m"], timeout: .seconds(240), workDirectory: directory)
            }
            let firstExecutor = try await waitForConnectedExecutor(first)
            // The job ran on this executor; the shell now idles until the stop file appears.
            try await waitUntil("res0 in the shell output", timeout: .seconds(120)) { shellOutput().contains("res0: Int = 1784293664") }
            first.process.signal(SIGKILL)
            let killedAt = ContinuousClock.now
            try await waitUntil("executor \(firstExecutor) gone after the worker was killed", timeout: .seconds(15)) {
                !isProcessRunning(firstExecutor)
            }
            print("executor exited \(ContinuousClock.now - killedAt) after SIGKILL of the worker")

            // A second worker gets the application's next executor; SIGTERM ends both cleanly.
            let second = try await startWorkerBinary(masterPort: masterPort, index: 2)
            defer { second.process.stop() }
            let secondExecutor = try await waitForConnectedExecutor(second)
            second.process.signal(SIGTERM)
            let status = try await second.process.waitForExit(timeout: .seconds(30))
            #expect(status == 0)
            #expect(!isProcessRunning(secondExecutor))
            #expect(second.process.log().contains("finished with state FAILED message Worker shutting down exitStatus 143"))
            try await master.waitForLog("because it is FAILED", timeout: .seconds(10))
            #expect(master.log().contains("Removing executor"))
            // Its scratch root went with it.
            let roots = (try? FileManager.default.contentsOfDirectory(atPath: second.localDirectory.path)) ?? []
            #expect(roots.isEmpty, "left behind: \(roots)")

            _ = FileManager.default.createFile(atPath: stopFile.path, contents: nil)
            let shell = try #require(try await tasks.next() ?? nil)
            #expect(shell.stdout.contains("res0: Int = 1784293664"))
        }
    }

    // MARK: - Helpers

    /// What the running spark-shell printed so far (`SparkApplications` writes `spark-shell-<tag>.out`).
    func shellOutput() -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("spark-shell-") && $0.hasSuffix(".out") }.compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }.joined()
    }

    struct WorkerProcess {
        var process: ChildProcess
        var port: Int
        var workDirectory: URL
        var localDirectory: URL
    }

    func startWorkerBinary(masterPort: Int, index: Int) async throws -> WorkerProcess {
        let port = try freePort()
        let work = directory.appendingPathComponent("work-\(index)")
        let local = directory.appendingPathComponent("local-\(index)")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        let process = try ChildProcess(
            name: "swift-worker-\(index)", executable: TestEnvironment.product("spark-worker"),
            arguments: [
                "--host", "127.0.0.1", "--port", "\(port)", "--webui-port", "\(try freePort())", "--cores", "2",
                "--memory", "2g", "--work-dir", work.path, "spark://127.0.0.1:\(masterPort)",
            ],
            environment: [
                "SPARK_HOME": sparkHome.path, "SPARK_CONF_DIR": sparkHome.appendingPathComponent("conf-absent").path,
                "SPARK_LOCAL_DIRS": local.path, "SPARK_LOCAL_IP": "127.0.0.1",
            ],
            logDirectory: directory)
        try await process.waitForLog("Successfully registered with master spark://127.0.0.1:\(masterPort)", timeout: .seconds(60))
        return WorkerProcess(process: process, port: port, workDirectory: work, localDirectory: local)
    }

    /// Waits until an executor of this worker is connected back to it (its WorkerWatcher); its pid.
    func waitForConnectedExecutor(_ worker: WorkerProcess) async throws -> Int32 {
        var pid: Int32?
        try await waitUntil("an executor of worker \(worker.port) connected", timeout: .seconds(120)) {
            guard let line = worker.process.log().split(separator: "\n").last(where: { $0.contains(" started with pid ") }),
                  let value = line.split(separator: " ").last.flatMap({ Int32($0) })
            else { return false }
            let key = line.split(separator: " ").first { $0.hasPrefix("app-") } ?? ""
            let stderr = worker.workDirectory.appendingPathComponent("\(key)/stderr")
            let text = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            pid = value
            return text.contains("WorkerWatcher: Successfully connected to spark://Worker@127.0.0.1:\(worker.port)")
        }
        return try #require(pid)
    }

    struct Observation {
        var json: [String: Any]?
        var pid: Int32?
        var appId: String
    }

    /// Runs the seed job; meanwhile captures `/json` and the executor pid while the executor runs.
    func runShellWatchingExecutor(
        masterPort: Int, monitor: WorkerMonitor, uiPort: Int
    ) async throws -> (SparkApplications.Result, Observation) {
        let script = "sc.parallelize(1 to 1000000).reduce(_ + _)\nThread.sleep(2000)\n:quit\n"
        return try await withThrowingTaskGroup(of: Outcome.self) { tasks in
            tasks.addTask { [sparkHome, directory] in
                .shell(try await SparkApplications.sparkShell(
                    sparkHome: sparkHome, master: "spark://127.0.0.1:\(masterPort)", script: script,
                    conf: ["spark.executor.memory": "512m"], timeout: .seconds(180), workDirectory: directory))
            }
            tasks.addTask {
                while !Task.isCancelled {
                    if let (key, pid) = monitor.executorPids.first,
                       let json = try? await fetchJSON(port: uiPort, path: "/json"),
                       (json["executors"] as? [Any])?.isEmpty == false {
                        return .observed(Observation(json: json, pid: pid, appId: key.appId))
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return .observed(Observation(appId: ""))
            }
            var result: SparkApplications.Result?
            var observation = Observation(appId: "")
            while let outcome = try await tasks.next() {
                switch outcome {
                case .shell(let value):
                    result = value
                    tasks.cancelAll()
                case .observed(let value):
                    if value.pid != nil { observation = value }
                }
            }
            return (try #require(result), observation)
        }
    }

    enum Outcome: @unchecked Sendable {
        case shell(SparkApplications.Result)
        case observed(Observation)
    }
}

/// Whether `pid` is a live (non-zombie) process.
func isProcessRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
        return kill(pid, 0) == 0
    }
    // `pid (comm) S ...`: the state follows the last ')'.
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(after: close)...].drop { $0 == " " }.first
    return state != "Z" && state != "X"
}

func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw ChildProcessError(message: "timed out after \(timeout) waiting for \(what)")
}

func fetchText(port: Int, path: String) async throws -> String {
    let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
    let (data, response) = try await URLSession.shared.data(from: url)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    guard status == 200 else { throw ChildProcessError(message: "GET \(path): HTTP \(status)") }
    return String(decoding: data, as: UTF8.self)
}

/// The status and text of any answer.
func fetchAnswer(port: Int, path: String) async throws -> (status: Int, body: String) {
    let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
    let (data, response) = try await URLSession.shared.data(from: url)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}

func fetchJSON(port: Int, path: String) async throws -> [String: Any] {
    let text = try await fetchText(port: port, path: path)
    return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// `a – b of n` from a worker log page's summary.
func logPageRange(_ html: String) -> (Int, Int, Int)? {
    guard let shown = html.range(of: " bytes: ") else { return nil }
    let numbers = html[shown.upperBound...].prefix { $0 != "<" }.split { !$0.isNumber }.compactMap { Int($0) }
    return numbers.count == 3 ? (numbers[0], numbers[1], numbers[2]) : nil
}

/// The target of a link of a worker log page, unescaped.
func logPageLink(_ label: String, in html: String) -> String? {
    guard let end = html.range(of: "\">\(label)</a>"), let start = html[..<end.lowerBound].range(of: "href=\"", options: .backwards) else {
        return nil
    }
    return html[start.upperBound..<end.lowerBound].replacingOccurrences(of: "&amp;", with: "&")
}
