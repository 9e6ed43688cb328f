#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SparkConfig
import SparkDaemon
import SparkModel
import SparkRPC
import SparkShuffle
import SparkWebUI
import SparkWorker

/// The worker daemon as a `Service`: an RPC environment with the `Worker` endpoint, the web UI,
/// the executor processes, and the core that decides what to do.
///
/// On graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) it kills its executors,
/// reports them KILLED to the master, then returns. `run()` throws `WorkerExit` when the worker
/// must exit with a non-zero code (no master answered, registration refused, fatal errors).
public struct WorkerService: Service {
    public let options: WorkerOptions
    /// Live view of the worker (status, bound ports, executor pids).
    public let monitor: WorkerMonitor
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let processes = ChildProcesses()

    public init(
        options: WorkerOptions, logger: Logger = Logger(label: "Worker"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, monitor: WorkerMonitor = WorkerMonitor()
    ) {
        self.options = options
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.monitor = monitor
    }

    public func run() async throws {
        warnAboutUnsupportedSettings()
        try createWorkDirectory()
        let resources = try await cancelWhenGracefulShutdown { try await setupResources() }
        let env = try await startRpcEnv()
        monitor.bound(rpc: env.address)
        let shuffleService: ShuffleService?
        do {
            shuffleService = try await startShuffleService()
        } catch {
            await env.shutdown()
            throw error
        }
        let (events, sink) = AsyncStream.makeStream(of: WorkerShellEvent.self)
        let code: Int32 = await withDiscardingTaskGroup(returning: Int32.self) { group in
            guard let webUI = await startWebUI(group: &group) else {
                group.cancelAll()
                return 1
            }
            let webUiPort = webUI.port
            monitor.bound(webUiPort: webUiPort)
            let monitor = monitor
            let reporters = MetricsReporters(sinks: options.metrics.sinks(instance: "worker").push, gauges: {
                guard let status = monitor.status else { return [] }
                return MetricsDocument.worker(
                    executors: status.executors.count, cores: Int64(status.cores), coresUsed: Int64(status.coresUsed),
                    memoryMiB: Int64(status.memoryMiB), memoryUsedMiB: Int64(status.memoryUsedMiB))
            }, group: eventLoopGroup, logger: logger)
            var shell = WorkerShell(
                configuration: configuration(rpcPort: env.address.port, webUiPort: Int32(webUiPort), resources: resources), env: env,
                sink: sink, processes: processes,
                archives: ExecutorArchives(directory: options.executorArchiveDirectory, environment: options.environment, logger: logger),
                logRolling: executorLogRolling(), monitor: monitor, logger: logger, environment: options.environment,
                shuffleService: shuffleService)
            sink.yield(.input(.start(now: WorkerInstant(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)))))
            env.register("Worker", WorkerEndpoint(
                sink: sink, backlog: env.backlog(maxCalls: WorkerEndpoint.maxQueuedCalls, maxBytes: WorkerEndpoint.maxQueuedBytes)))
            let decommissionSignal = watchDecommissionSignal(sink: sink)
            defer { decommissionSignal?.cancel() }
            let code = await withGracefulShutdownHandler {
                await shell.run(events: events, group: &group)
            } onGracefulShutdown: {
                sink.yield(.input(.shutdownRequested))
            }
            sink.finish()
            // Spark's worker reports its metrics once more as it stops.
            await reporters.stop()
            // The UI stops like a service, not by cancellation (which Hummingbird logs as errors).
            await webUI.stop(atMost: .seconds(5))
            group.cancelAll()
            return code
        }
        env.unregister("Worker")
        // Whatever is still running (exit without a graceful shutdown, cancellation) ends with us.
        await processes.terminateAll(grace: options.settings.executorTerminateTimeout)
        await shuffleService?.stop()
        await env.shutdown()
        logger.info("Worker stopped", metadata: ["worker/exit-code": "\(code)"])
        if code != 0 { throw WorkerExit(code: code) }
    }

    func configuration(rpcPort: Int32, webUiPort: Int32, resources: [ResourceInformation] = []) -> WorkerConfiguration {
        var configuration = WorkerConfiguration(
            host: options.host, port: rpcPort, webUiPort: webUiPort, publicAddress: options.publicAddress,
            cores: Int32(clamping: options.cores), memoryMiB: Int32(clamping: options.memoryMiB), masters: options.masters,
            workDirectory: options.workDirectory, localRootParents: options.localRootParents,
            commandContext: options.commandContext(), settings: options.settings)
        configuration.sparkVersion = options.sparkRelease
        configuration.resources = resources
        return configuration
    }

    /// Spark's worker handles `spark.worker.decommission.signal` (SIGPWR, as `decommission-worker.sh`
    /// sends) when `spark.decommission.enabled`: the signal decommissions the worker instead of
    /// ending it. Signals the daemon uses otherwise (TERM, INT) cannot be taken.
    func watchDecommissionSignal(sink: AsyncStream<WorkerShellEvent>.Continuation) -> (any DispatchSourceSignal)? {
        let settings = options.settings
        guard settings.decommissionEnabled else {
            logger.info("Worker decommissioning not enabled.")
            return nil
        }
        var name = settings.decommissionSignal.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let number = Self.decommissionSignals[name] else {
            logger.warning("Failed to register SIG\(settings.decommissionSignal) handler - disabling worker decommission feature.")
            return nil
        }
        logger.info("Registering SIG\(name) handler to trigger decommissioning.")
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { sink.yield(.input(.decommissionSignalReceived)) }
        source.resume()
        return source
    }

    /// Signals that may trigger decommissioning, by name.
    static let decommissionSignals: [String: Int32] = {
        var signals: [String: Int32] = ["USR1": SIGUSR1, "USR2": SIGUSR2, "HUP": SIGHUP, "WINCH": SIGWINCH]
        #if os(Linux)
        signals["PWR"] = SIGPWR
        #endif
        return signals
    }()

    /// Spark: `FileAppender.apply`, with the worker's configuration; what it says is said once, at start.
    func executorLogRolling() -> ExecutorLogRolling? {
        let (rolling, messages) = ExecutorLogRolling.configured(by: options.conf)
        for (level, message) in messages { logger.log(level: level.loggerLevel, "\(message)") }
        return rolling
    }

    /// Settings a JVM worker honours that this one does not yet: said once, at start.
    func warnAboutUnsupportedSettings() {
        if let warning = options.sparkVersionWarning { logger.warning("\(warning)") }
    }

    /// Spark: `Worker.setupWorkerResources`: the custom resources to offer, found from the
    /// configuration, the resources file and discovery scripts; the worker exits 1 when they
    /// cannot be found or fall short of their amounts.
    func setupResources() async throws -> [ResourceInformation] {
        let resources: [ResourceInformation]
        do {
            resources = try await ResourceDiscovery.resolve(
                conf: options.conf, environment: options.environment, processes: processes, log: { logger.info("\($0)") })
        } catch {
            if Task.isCancelled {
                logger.info("Worker stopped while it was finding its resources")
                throw WorkerExit(code: 0)
            }
            logger.error("Failed to setup worker resources: \(error)")
            throw WorkerExit(code: 1)
        }
        for line in WorkerResources.logLines(resources) { logger.info("\(line)") }
        return resources
    }

    /// Spark: `Worker.createWorkDir` (the JVM worker exits 1 when it cannot).
    func createWorkDirectory() throws {
        guard HostEnvironment.makeDirectory(options.workDirectory, intermediates: true) == 0,
              HostEnvironment.isDirectory(options.workDirectory)
        else {
            logger.error("Failed to create work directory \(options.workDirectory)")
            throw WorkerExit(code: 1)
        }
    }

    /// `spark.authenticate` for the worker's RPC port and its shuffle service.
    var rpcAuthentication: RpcAuthentication? {
        options.authentication.map(RpcAuthentication.init)
    }

    /// Spark: `Worker.startExternalShuffleService`: with `spark.shuffle.service.enabled`, binds the
    /// shuffle service on the worker's host (Spark binds every address) at
    /// `spark.shuffle.service.port`; the worker exits 1 when it cannot.
    func startShuffleService() async throws -> ShuffleService? {
        let settings = options.settings
        guard settings.shuffleServiceEnabled else { return nil }
        do {
            let service = try await ShuffleService.start(
                host: options.host, port: settings.shuffleServicePort,
                resolver: ShuffleBlockResolver(),
                authentication: rpcAuthentication, maxChunksBeingTransferred: settings.shuffleMaxChunksBeingTransferred,
                connectionTimeout: settings.shuffleConnectionTimeoutSeconds > 0 ? .seconds(Int64(settings.shuffleConnectionTimeoutSeconds)) : nil,
                group: eventLoopGroup, logger: Logger(label: "ExternalShuffleService"))
            logger.info("Starting shuffle service on port \(service.port) (auth enabled = \(options.authentication != nil))")
            return service
        } catch {
            logger.error("Failed to start external shuffle service: \(error)")
            throw WorkerExit(code: 1)
        }
    }

    /// Binds the RPC port, trying the next ones when it is taken (Spark: `Utils.startServiceOnPort`).
    func startRpcEnv() async throws -> RpcEnv {
        do {
            return try await Daemon.startServiceOnPort(options.port, retries: options.portMaxRetries, serviceName: "sparkWorker", logger: logger) {
                let env = try await RpcEnv.start(
                    configuration: .init(
                        bindHost: options.host, port: $0, advertisedHost: options.host, version: options.sparkVersion,
                        authentication: rpcAuthentication),
                    group: eventLoopGroup, logger: Logger(label: "RpcEnv"))
                return (env, Int(env.address.port))
            }
        } catch {
            // Said once, here; the worker then exits 1 (as the JVM worker does).
            logger.error("\(error)")
            throw WorkerExit(code: 1)
        }
    }

    /// Starts the web UI in `group`, trying further ports when the configured one is taken;
    /// returns the running server, or nil when none could be bound.
    private func startWebUI(group: inout DiscardingTaskGroup) async -> WebUIServer? {
        // `spark.ui.*` and `spark.ui.filters`, from the configuration however the options were made.
        let security: WebUISecurity
        do {
            security = try WebUISecurity(conf: options.conf)
        } catch {
            logger.error("\(error)")
            return nil
        }
        var responder = WorkerWebResponder(monitor: monitor, workDirectory: options.workDirectory)
        let cacheSize = (try? options.conf.int("spark.worker.ui.compressedLogFileLengthCacheSize", default: 100)) ?? 100
        responder.compressedLengths = CompressedLogLengths(capacity: cacheSize)
        responder.sparkVersion = options.sparkRelease
        responder.logDirectory = LogFiles.workerLogDirectory(environment: options.environment, workDirectory: options.workDirectory)
        if let error = options.metrics.fileError { logger.error("\(error)") }
        let sinks = options.metrics.sinks(instance: "worker")
        // Spark's worker logs a sink it cannot make and runs on without it (its master registration comes first).
        for error in sinks.errors { logger.error("\(error)") }
        responder.metrics = [
            sinks.jsonPath.map { MetricsRoute(path: $0, format: .json, source: .worker) },
            sinks.prometheusPath.map { MetricsRoute(path: $0, format: .prometheus, source: .worker) },
        ].compactMap { $0 }
        for warning in sinks.warnings(instance: "worker") { logger.warning("\(warning)") }
        var uiLogger = Logger(label: "WorkerWebUI")
        uiLogger.logLevel = .warning
        do {
            let server = try await WebUIServer.start(
                serviceName: "WorkerUI",
                responder: SecuredResponder(
                    GzipResponder(responder), security: security,
                    now: { Int64(Date().timeIntervalSince1970 * 1000) }),
                idleTimeout: WebUIServer.idleTimeout, maximumHeaderBytes: security.headers.maximumRequestHeaderBytes,
                host: options.webUiBindHost, port: options.webUiPort, retries: options.portMaxRetries, eventLoopGroup: eventLoopGroup,
                logger: logger, serverLogger: uiLogger
            ) { task in group.addTask { await task() } }
            logger.info("Bound WorkerWebUI to \(options.webUiBindHost), and started at http://\(options.publicAddress):\(server.port)")
            if let note = security.filterNote { logger.info("\(note)") }
            return server
        } catch {
            logger.error("\(error)")
            return nil
        }
    }
}

/// The worker must end the process with this exit code.
public struct WorkerExit: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public init(code: Int32) { self.code = code }
    public var description: String { "worker exit \(code)" }
}
