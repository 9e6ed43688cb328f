import ArgumentParser
import Dispatch
import Foundation
import SpaceConfig

/// `spark-space local`: runs the Procfile's processes on this machine the way a Private Space
/// would: a loopback address per dyno, DNS-discovery names in /etc/hosts, the proxy in front.
struct LocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local", abstract: "Run a space's masters, workers and proxy on loopback, one address per dyno.")

    @Option(help: "DNS app name of the local space.") var app = "local"
    @Option(help: "Number of master dynos (SPARK_MASTERS).") var masters = 1
    @Option(help: "Number of worker dynos.") var workers = 2
    @Option(help: "Cores per worker.") var cores = 2
    @Option(help: "Memory per worker.") var memory = "2g"
    @Option(help: "Port of the web (proxy) dyno.") var port = 5000
    @Flag(help: "Run the seed job through spark-shell once the cluster is up, print it and stop.") var runSeedJob = false

    func run() async throws {
        guard (1...9).contains(masters), (1...9).contains(workers) else {
            throw ValidationError("use 1 to 9 masters and workers")
        }
        var environment = ProcessInfo.processInfo.environment
        guard let sparkHome = environment["SPARK_HOME"], !sparkHome.isEmpty else {
            throw ValidationError("SPARK_HOME is not set: it must name a Spark distribution")
        }
        let space = LocalSpace(appName: app, masters: masters, workers: workers)
        let useNames = Self.installHostNames(space)
        if !useNames {
            FileHandle.standardError.write(Data("local: /etc/hosts is not writable; dynos are named by address\n".utf8))
        }
        defer { if useNames { Self.removeHostNames(space) } }
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let runDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("spark-space-\(app)-\(getpid())")
        try FileManager.default.createDirectory(at: runDirectory, withIntermediateDirectories: true)
        environment["SPARK_CONF_DIR"] = runDirectory.appendingPathComponent("conf").path
        let supervisor = DynoSupervisor(logDirectory: runDirectory)
        defer { supervisor.stopAll() }

        for dyno in space.dynos("master") {
            var variables = environment.merging(space.environment(for: dyno, useNames: useNames, masterCount: masters)) { $1 }
            variables["SPARK_LOCAL_IP"] = dyno.address
            try supervisor.start(dyno, executable: bin.appendingPathComponent("spark-space"), arguments: ["master"], environment: variables)
        }
        // With several masters any of them may win the election.
        try await supervisor.waitForAnyLog(space.dynos("master"), "I have been elected leader", timeout: .seconds(60))
        for dyno in space.dynos("worker") {
            var variables = environment.merging(space.environment(for: dyno, useNames: useNames, masterCount: masters)) { $1 }
            variables["SPARK_LOCAL_IP"] = dyno.address
            variables["SPARK_WORKER_CORES"] = String(cores)
            variables["SPARK_WORKER_MEMORY"] = memory
            variables["SPARK_WORKER_DIR"] = runDirectory.appendingPathComponent("work-\(dyno.index)").path
            try supervisor.start(dyno, executable: bin.appendingPathComponent("spark-space"), arguments: ["worker"], environment: variables)
        }
        for dyno in space.dynos("worker") {
            try await supervisor.waitForLog(dyno, "Successfully registered with master", timeout: .seconds(60))
        }
        let proxy = bin.appendingPathComponent("space-proxy")
        if let web = space.dynos("web").first, FileManager.default.isExecutableFile(atPath: proxy.path) {
            var variables = environment.merging(space.environment(for: web, useNames: useNames, masterCount: masters)) { $1 }
            variables["PORT"] = String(port)
            variables["SPACE_PROXY_BIND"] = web.address
            variables["SPACE_PROXY_BASIC_AUTH"] = environment["SPACE_PROXY_BASIC_AUTH"] ?? "spark:{PLAIN}space"
            let masterHost = useNames ? space.dynos("master")[0].dnsName : space.dynos("master")[0].address
            variables["SPACE_PROXY_DEFAULT_BACKEND"] = "\(masterHost):8080"
            variables["SPACE_PROXY_ALLOWED_BACKENDS"] = space.dynos.map(\.address).joined(separator: ",")
            try supervisor.start(web, executable: proxy, arguments: [], environment: variables)
        }
        let masterURL = space.masterURL(useNames: useNames)
        print("local: space \(app): \(masters) master(s), \(workers) worker(s); master URL \(masterURL)")
        print("local: master web UI http://\(space.dynos("master")[0].address):8080; proxy http://\(space.dynos("web")[0].address):\(port) (logs in \(runDirectory.path))")

        if runSeedJob {
            let console = space.dynos("console")[0]
            let script = runDirectory.appendingPathComponent("seed.scala")
            try "sc.parallelize(1 to 1000000).reduce(_ + _)\n:quit\n".write(to: script, atomically: true, encoding: .utf8)
            var variables = environment.merging(space.environment(for: console, useNames: useNames, masterCount: masters)) { $1 }
            variables["SPARK_LOCAL_IP"] = console.address
            // Small enough for a laptop's workers unless the caller chose otherwise.
            variables["SPARK_EXECUTOR_MEMORY"] = environment["SPARK_EXECUTOR_MEMORY"] ?? "512m"
            variables["SPARK_DRIVER_MEMORY"] = environment["SPARK_DRIVER_MEMORY"] ?? "512m"
            if !useNames { variables["SPARK_MASTER_URL"] = masterURL }
            // Through `spark-space shell`, as on a console dyno: rendered config, the space's master URL.
            let shell = try supervisor.start(
                console, executable: bin.appendingPathComponent("spark-space"),
                arguments: ["shell", "--conf", "spark.ui.enabled=false"],
                environment: variables, standardInput: script)
            let status = try await supervisor.waitForExit(shell, timeout: .seconds(300))
            let output = (try? String(contentsOf: supervisor.logFile(console), encoding: .utf8)) ?? ""
            for line in output.split(separator: "\n") {
                if let start = line.range(of: "val res0") { print(line[start.lowerBound...]) }
            }
            guard status == 0, output.contains("res0") else { throw ValidationError("the seed job failed; see \(runDirectory.path)") }
            return
        }
        print("local: running; Ctrl-C stops every dyno")
        await Self.waitForTermination()
    }

    static func waitForTermination() async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { continuation.finish() }
            source.resume()
            return source
        }
        for await _ in stream {}
        sources.forEach { $0.cancel() }
    }

    static func installHostNames(_ space: LocalSpace) -> Bool {
        guard let text = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) else { return false }
        return (try? space.hostsFile(updating: text).write(toFile: "/etc/hosts", atomically: false, encoding: .utf8)) != nil
    }

    static func removeHostNames(_ space: LocalSpace) {
        guard let text = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) else { return }
        try? space.hostsFile(removingFrom: text).write(toFile: "/etc/hosts", atomically: false, encoding: .utf8)
    }
}

/// The dyno processes of a local space; stops exactly the processes it started.
final class DynoSupervisor: @unchecked Sendable {
    // Used from one task only.
    let logDirectory: URL
    private var processes: [(LocalSpace.Dyno, Process)] = []

    init(logDirectory: URL) { self.logDirectory = logDirectory }

    func logFile(_ dyno: LocalSpace.Dyno) -> URL { logDirectory.appendingPathComponent("\(dyno.process).\(dyno.index).log") }

    @discardableResult
    func start(
        _ dyno: LocalSpace.Dyno, executable: URL, arguments: [String], environment: [String: String], standardInput: URL? = nil
    ) throws -> Process {
        let log = logFile(dyno)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = try standardInput.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        processes.append((dyno, process))
        return process
    }

    func waitForLog(_ dyno: LocalSpace.Dyno, _ text: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let log = try? String(contentsOf: logFile(dyno), encoding: .utf8), log.contains(text) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("\(dyno.process).\(dyno.index) did not log \"\(text)\" within \(timeout); see \(logFile(dyno).path)")
    }

    func waitForAnyLog(_ dynos: [LocalSpace.Dyno], _ text: String, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for dyno in dynos {
                if let log = try? String(contentsOf: logFile(dyno), encoding: .utf8), log.contains(text) { return }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("no \(dynos.first?.process ?? "dyno") logged \"\(text)\" within \(timeout); see \(logDirectory.path)")
    }

    func waitForExit(_ process: Process, timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                kill(-process.processIdentifier, SIGKILL)
                throw ValidationError("a process did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        return process.terminationStatus
    }

    /// SIGTERM to every dyno (workers stop their executors), SIGKILL what is left after 15 s.
    func stopAll() {
        for (_, process) in processes.reversed() where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(15)
        while processes.contains(where: { $0.1.isRunning }), Date() < deadline { usleep(100_000) }
        for (_, process) in processes { kill(-process.processIdentifier, SIGKILL) }
        processes.removeAll()
    }
}
