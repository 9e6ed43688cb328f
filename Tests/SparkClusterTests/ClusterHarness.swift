import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// A local cluster of real processes on loopback: the Swift master and workers of either kind.
final class ClusterHarness: @unchecked Sendable {
    // Mutated only from the test's own task.
    enum WorkerKind: String, Sendable { case swift, jvm }

    let sparkHome: URL
    let directory: URL
    let masterPort: Int
    let masterWebUIPort: Int
    private(set) var master: ChildProcess?
    private(set) var workers: [ChildProcess] = []
    private(set) var workerPorts: [Int] = []
    private(set) var workerWebUIPorts: [Int] = []

    var masterURL: String { "spark://127.0.0.1:\(masterPort)" }

    init(name: String, sparkVersion: String = "4.3.0") throws {
        sparkHome = try #require(
            TestEnvironment.sparkHome(version: sparkVersion), "pyspark \(sparkVersion) is not installed: run .ci/setup")
        directory = try TestEnvironment.temporaryDirectory("cluster-\(name)")
        masterPort = try freePort()
        masterWebUIPort = try freePort()
    }

    deinit { stopAll() }

    func stopAll() {
        for worker in workers { worker.stop() }
        master?.stop()
    }

    private var masterStarts = 0

    /// Starts `spark-master` (the Swift binary) with `-D` options in `SPARK_MASTER_OPTS`.
    func startMaster(options: [String] = [], environment extra: [String: String] = [:], waitFor: String = "I have been elected leader") async throws {
        masterStarts += 1
        let process = try ChildProcess(
            name: "spark-master-\(masterStarts)", executable: TestEnvironment.product("spark-master"),
            arguments: ["--host", "127.0.0.1", "--port", "\(masterPort)", "--webui-port", "\(masterWebUIPort)"],
            environment: [
                "SPARK_HOME": sparkHome.path, "SPARK_MASTER_OPTS": SparkDaemons.masterOptions(options).joined(separator: " "),
                "SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": "127.0.0.1",
            ].merging(extra) { $1 },
            logDirectory: directory)
        master = process
        try await process.waitForLog(waitFor, timeout: .seconds(30))
    }

    /// Starts Spark's own JVM master of the harness's distribution in the Swift master's place.
    func startJVMMaster(options: [String] = [], environment: [String: String] = [:]) async throws {
        masterStarts += 1
        let process = try SparkDaemons.master(
            sparkHome: sparkHome, port: masterPort, webUIPort: masterWebUIPort, logDirectory: directory,
            name: "jvm-master-\(masterStarts)", options: options, environment: environment)
        master = process
        try await process.waitForLog("I have been elected leader", timeout: .seconds(60))
    }

    /// The port of the master's REST submission server, from the line both masters log.
    func masterRESTPort() async throws -> Int {
        let line = "Started REST server for submitting applications on 127.0.0.1 with port "
        try await waitForMasterLog(line, timeout: .seconds(30))
        let text = try #require(masterLogLines(containing: line).last)
        return try #require(Int(text[text.range(of: line)!.upperBound...].prefix { $0.isNumber }))
    }

    /// Ends the master abruptly (SIGKILL) and waits for it to be gone.
    func killMaster() async throws {
        guard let master else { return }
        master.signal(SIGKILL)
        _ = try await master.waitForExit(timeout: .seconds(10))
    }

    /// Starts a worker of `kind` and, unless `registers` is false, waits until the master has registered it.
    /// `host` is where a Swift worker listens (a JVM worker listens on 127.0.0.1).
    @discardableResult
    func startWorker(
        _ kind: WorkerKind, host: String = "127.0.0.1", cores: Int = 2, memory: String = "2g", options: [String] = [],
        registers: Bool = true
    ) async throws -> ChildProcess {
        let port = try freePort()
        let webUIPort = try freePort()
        let index = workers.count
        let work = directory.appendingPathComponent("work-\(index)")
        let process: ChildProcess
        switch kind {
        case .jvm:
            process = try SparkDaemons.worker(
                sparkHome: sparkHome, masterURL: masterURL, port: port, webUIPort: webUIPort, cores: cores,
                memory: memory, workDirectory: work, logDirectory: directory, name: "jvm-worker-\(index)", options: options)
        case .swift:
            // Each harness's conf directory is on the executors' class path, so every test would
            // write its own class-data archive (tens of MiB, seconds added to an executor's exit);
            // only the tests about it turn it on, by naming a directory.
            let options = options.contains { $0.contains("spark.worker.executorClassDataSharing") }
                ? options : options + ["-Dspark.worker.executorClassDataSharing.enabled=false"]
            process = try ChildProcess(
                name: "swift-worker-\(index)", executable: TestEnvironment.product("spark-worker"),
                arguments: [
                    "--host", host, "--port", "\(port)", "--webui-port", "\(webUIPort)", "--cores", "\(cores)",
                    "--memory", memory, "--work-dir", work.path, masterURL,
                ],
                environment: [
                    "SPARK_HOME": sparkHome.path, "SPARK_WORKER_OPTS": options.joined(separator: " "),
                    "SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": host,
                ],
                logDirectory: directory)
        }
        workers.append(process)
        workerPorts.append(port)
        workerWebUIPorts.append(webUIPort)
        if registers { try await master!.waitForLog("Registering worker \(host):\(port)", timeout: .seconds(60)) }
        return process
    }

    /// The master's `/json` document.
    func masterJSON() async throws -> [String: Any] {
        let url = URL(string: "http://127.0.0.1:\(masterWebUIPort)/json/")!
        let (data, _) = try await URLSession.shared.data(from: url)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Lines of the master log containing `text`.
    func masterLogLines(containing text: String) -> [String] {
        (master?.log() ?? "").split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// Waits until the master log contains `text`.
    /// A page of the master's web UI, as text.
    func masterPage(_ path: String) async throws -> String {
        let url = URL(string: "http://127.0.0.1:\(masterWebUIPort)\(path)")!
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }

    func waitForMasterLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        try await master!.waitForLog(text, timeout: timeout)
    }

    func sparkShell(_ script: String, conf: [String: String] = [:], timeout: Duration = .seconds(240)) async throws -> SparkApplications.Result {
        try await SparkApplications.sparkShell(
            sparkHome: sparkHome, master: masterURL, script: script, conf: conf, timeout: timeout, workDirectory: directory)
    }

    /// Diagnostics for a failed expectation: the tail of every daemon's log.
    var logs: String {
        ([master].compactMap { $0 } + workers).map { "== \($0.name)\n\($0.tail(lines: 30))" }.joined(separator: "\n")
    }
}

/// The seed's job and its answers.
enum SeedJob {
    static let script = """
        sc.parallelize(1 to 1000000).reduce(_ + _)
        sc.parallelize(1L to 1000000L).reduce(_ + _)
        :quit

        """
    static let intResult = "res0: Int = 1784293664"
    static let longResult = "res1: Long = 500000500000"
}
