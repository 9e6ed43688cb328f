import ArgumentParser
import Foundation
import Logging
import SparkModel
import SparkProtocol

/// spark-load: simulated workers and applications against a standalone master, ours or Spark's.
struct SparkLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spark-load",
        abstract: "Drive a Spark standalone master with simulated workers and applications over Spark's RPC.",
        discussion: """
            Workers send CheckExistence and RegisterWorker, then WorkerLatestState and a Heartbeat every \
            --heartbeat-interval; they answer LaunchExecutor and KillExecutor with an ExecutorStateChanged ask, as \
            Spark's worker does, without starting anything. Applications register as a spark-shell does, wait for \
            an executor to run, and unregister at the end. Heartbeats are one-way, so a probe ask to the Master \
            endpoint (--probe) measures the master's backlog: it is answered only after every message queued \
            before it. With --web-ui, the master's /json/ is read once before the end to check that every \
            simulated worker is ALIVE and its lastheartbeat is recent. Everything ends by --duration plus --grace.

            Exit status: 0 when every worker registered, stayed registered and had its heartbeats processed on \
            time; 3 when the run finished without that; 2 when it was cut short at the time bound; 1 on errors.
            """)

    @Option(help: "The master, spark://host:port.")
    var master: String

    @Option(help: "Simulated workers.")
    var workers = 10

    @Option(help: "Simulated applications (spark-shell-like drivers).")
    var apps = 1

    @Option(help: "Heartbeat period of each worker (Spark: spark.worker.timeout / 4).")
    var heartbeatInterval = TimeSpan.seconds(15)

    @Option(help: "How long the run lasts, registration included.")
    var duration = TimeSpan.seconds(30)

    @Option(help: "Time allowed after --duration for the status check and teardown before the run is cut short.")
    var grace = TimeSpan.seconds(10)

    @Option(help: "Worker registrations started per second (0: all at once).")
    var registerRate = 0.0

    @Option(help: "RPC connections to the master the simulated endpoints share (loopback only; elsewhere one per endpoint).")
    var connections = 16

    @Option(help: "Cores each simulated worker offers.")
    var workerCores: Int32 = 2

    @Option(help: "Memory each simulated worker offers, MiB.")
    var workerMemory: Int32 = 2048

    @Option(help: "spark.cores.max of each application (default: none, like spark-shell: every free core).")
    var appMaxCores: Int32?

    @Option(help: "spark.executor.memory of each application, MiB.")
    var executorMemory: Int64 = 1024

    @Option(help: "Round-trip probe: driver-status (default), executor-state or check-existence.")
    var probe = "driver-status"

    @Option(help: "Time between probes.")
    var probeInterval = TimeSpan.milliseconds(100)

    @Option(help: "The master's web UI, http://host:port, to check worker states and heartbeat ages on /json/.")
    var webUI: String?

    @Option(help: "How far past one heartbeat interval a worker's lastheartbeat may be and still count as on time.")
    var lateTolerance = TimeSpan.seconds(2)

    @Option(help: "Host the simulated endpoints announce; a non-loopback host gives each endpoint its own port.")
    var host = "127.0.0.1"

    @Option(help: "Spark line spoken: 4.3 or 3.5.")
    var sparkVersion = "4.3"

    @Option(help: "Log level of the RPC layer.")
    var logLevel = "warning"

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard parseMaster(master) != nil else { throw ValidationError("--master must be spark://host:port, got \(master)") }
        guard workers >= 0, apps >= 0, workers + apps > 0 else { throw ValidationError("--workers and --apps must leave something to simulate") }
        guard heartbeatInterval.nanoseconds > 0, probeInterval.nanoseconds > 0 else { throw ValidationError("intervals must be positive") }
        guard duration.nanoseconds > 0 else { throw ValidationError("--duration must be positive") }
        guard registerRate >= 0, connections >= 1 else { throw ValidationError("--register-rate ≥ 0 and --connections ≥ 1") }
        guard LoadSettings.Probe(rawValue: probe) != nil else {
            throw ValidationError("--probe must be one of \(LoadSettings.Probe.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard SparkVersion.named(sparkVersion) != nil else { throw ValidationError("unknown --spark-version \(sparkVersion)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    private func parseMaster(_ url: String) -> RpcAddress? {
        guard url.hasPrefix("spark://") else { return nil }
        let hostPort = url.dropFirst("spark://".count)
        guard let colon = hostPort.lastIndex(of: ":"), let port = Int32(hostPort[hostPort.index(after: colon)...]), port > 0,
              colon > hostPort.startIndex
        else { return nil }
        return RpcAddress(host: String(hostPort[..<colon]), port: port)
    }

    func run() async throws { try await generateLoad() }

    /// Runs the load and prints the report.
    func generateLoad() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let settings = LoadSettings(
            master: parseMaster(master)!, workers: workers, apps: apps, connections: connections,
            heartbeatInterval: heartbeatInterval, duration: duration, grace: grace, registerRate: registerRate,
            workerCores: workerCores, workerMemory: workerMemory, appMaxCores: appMaxCores, executorMemory: executorMemory,
            probe: LoadSettings.Probe(rawValue: probe)!, probeInterval: probeInterval, webUI: webUI,
            lateTolerance: lateTolerance, host: host, version: SparkVersion.named(sparkVersion)!)
        let run = LoadRun(settings: settings, logger: Logger(label: "spark.load"))
        let json = json
        let bound = duration.duration + grace.duration

        let report: LoadReport = try await withThrowingTaskGroup(of: LoadReport?.self) { group in
            group.addTask { try await run.execute() }
            group.addTask {
                try await Task.sleep(for: bound)
                // The time bound is absolute: report what was measured and leave, whatever is still pending.
                Self.emit(run.report(completed: false), json: json)
                Foundation.exit(2)
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let report = first else { throw LoadError("the run ended without a report") }
            return report
        }
        Self.emit(report, json: json)
        if !report.verdict.held { throw ExitCode(3) }
    }

    static func emit(_ report: LoadReport, json: Bool) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        } else {
            print(report.text)
        }
    }
}
