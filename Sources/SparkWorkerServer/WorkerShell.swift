#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SparkModel
import SparkRPC
import SparkShuffle
import SparkWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker's message loop: feeds inputs to the core one at a time and performs its actions.
///
/// Long operations (network I/O, timers, waiting for processes, deleting directories) run as
/// child tasks of the service's task group and report back through `sink`; starting a process is
/// synchronous, so its outcome is handled before the next input.
struct WorkerShell {
    var machine: WorkerStateMachine<SystemRandomNumberGenerator>
    let env: RpcEnv
    let sink: AsyncStream<WorkerShellEvent>.Continuation
    let processes: ChildProcesses
    let archives: ExecutorArchives
    /// How executor `stdout`/`stderr` files roll; nil: the executor writes them itself.
    let logRolling: ExecutorLogRolling?
    let monitor: WorkerMonitor
    let logger: Logger
    let environment: [String: String]
    /// Fetches drivers' `http:`/`https:` jars.
    let jarDownload: JarDownload
    /// The external shuffle service, with `spark.shuffle.service.enabled`.
    let shuffleService: ShuffleService?

    private var timerGenerations: [WorkerTimer: UInt64] = [:]
    private var nextGeneration: UInt64 = 0
    private var outboxes: [RpcAddress: AsyncStream<OutboxItem>.Continuation] = [:]
    /// Drivers killed while being prepared: not to be started (see `startDriver`).
    private let cancelledDriverLaunches = NIOLockedValueBox<Set<String>>([])
    /// The jar downloads of drivers being prepared, ended when a driver is killed.
    private let driverDownloads = NIOLockedValueBox<[String: DownloadCancellation]>([:])
    private var exitCode: Int32?

    /// Messages to one master, delivered in order.
    enum OutboxItem: Sendable {
        case register(RegisterWorker, RpcEndpointRef)
        case send(SparkMessage, RpcEndpointRef)
        case ask(ExecutorStateChanged, RpcEndpointRef, Duration)
    }

    init(
        configuration: WorkerConfiguration, env: RpcEnv, sink: AsyncStream<WorkerShellEvent>.Continuation,
        processes: ChildProcesses, archives: ExecutorArchives, logRolling: ExecutorLogRolling? = nil, monitor: WorkerMonitor,
        logger: Logger, environment: [String: String], jarDownload: JarDownload? = nil, shuffleService: ShuffleService? = nil
    ) {
        self.shuffleService = shuffleService
        machine = WorkerStateMachine(configuration: configuration, random: SystemRandomNumberGenerator())
        self.env = env
        self.sink = sink
        self.processes = processes
        self.archives = archives
        self.logRolling = logRolling
        self.monitor = monitor
        self.logger = logger
        self.environment = environment
        let seconds = configuration.settings.fetchTimeoutSeconds
        self.jarDownload = jarDownload ?? JarDownload(
            timeout: seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil, environment: environment)
    }

    /// Runs until the core says `exit`, or the event stream ends; returns the exit code.
    mutating func run(events: AsyncStream<WorkerShellEvent>, group: inout DiscardingTaskGroup) async -> Int32 {
        for await event in events {
            let input: WorkerInput
            switch event {
            case .input(let value):
                input = value
            case .call(let call, let backlog):
                backlog.taken(call)
                input = .message(call.message)
            case .timer(let timer, let generation):
                guard timerGenerations[timer] == generation else { continue }
                timerGenerations.removeValue(forKey: timer)
                input = .timerFired(timer)
            }
            handle(enriched(input), group: &group)
            if let exitCode {
                finishOutboxes()
                return exitCode
            }
        }
        finishOutboxes()
        return exitCode ?? 0
    }

    /// Handles an input and every follow-up input its actions produce synchronously.
    mutating func handle(_ input: WorkerInput, group: inout DiscardingTaskGroup) {
        var queue = [input]
        while !queue.isEmpty {
            let actions = machine.handle(queue.removeFirst())
            // Deletions that come with `exit` run inline: the group is cancelled right after.
            let exiting = actions.contains { if case .exit = $0 { true } else { false } }
            for action in actions {
                if let followUp = perform(action, exiting: exiting, group: &group) { queue.append(followUp) }
            }
        }
        monitor.update(machine.status)
    }

    /// A `LaunchExecutor` or `LaunchDriver` gets the facts the launcher would look up: which class
    /// path entries are directories.
    func enriched(_ input: WorkerInput) -> WorkerInput {
        guard case .message(let message, _) = input else { return input }
        let command: Command
        switch message {
        case .launchExecutor(let launch): command = launch.appDesc.command
        case .launchDriver(let launch): command = launch.driverDesc.command
        default: return input
        }
        var candidates = command.classPathEntries.flatMap { $0.split(separator: ":").map(String.init) }
        if let confDir = command.environment.last(where: { $0.0 == "SPARK_CONF_DIR" })?.1 {
            candidates.append(confDir)
        }
        let directories = Set(candidates.filter(HostEnvironment.isDirectory))
        return .message(message, classPathDirectories: directories)
    }

    // MARK: - Actions

    private mutating func perform(_ action: WorkerAction, exiting: Bool, group: inout DiscardingTaskGroup) -> WorkerInput? {
        switch action {
        case .register(let message, let master):
            outbox(for: master, group: &group).yield(.register(message, master))
        case .send(let message, let master):
            outbox(for: master, group: &group).yield(.send(message, master))
        case .reportExecutorState(let change, let master, let timeout):
            outbox(for: master, group: &group).yield(.ask(change, master, timeout))
        case .launchExecutor(let launch):
            // Its executors may register block directories inside the application's directories.
            shuffleService?.resolver.allowApplication(launch.key.appId, directories: launch.appLocalDirectories)
            return start(launch, group: &group)
        case .killExecutor(_, let pid, let grace), .killDriver(_, let pid, let grace):
            let processes = processes
            group.addTask { await processes.terminate(pid, grace: grace) }
        case .launchDriver(let launch):
            startDriver(launch, group: &group)
        case .cancelDriverLaunch(let driverId):
            _ = cancelledDriverLaunches.withLockedValue { $0.insert(driverId) }
            driverDownloads.withLockedValue { $0[driverId] }?.cancel()
        case .scheduleTimer(let timer, let delay):
            nextGeneration += 1
            let generation = nextGeneration
            timerGenerations[timer] = generation
            let sink = sink
            group.addTask {
                try? await Task.sleep(for: delay)
                guard !Task.isCancelled else { return }
                sink.yield(.timer(timer, generation: generation))
            }
        case .cancelTimer(let timer):
            timerGenerations.removeValue(forKey: timer)
        case .deleteDirectories(let paths):
            let logger = logger
            if exiting {
                WorkDirectories.delete(paths, logger: logger)
            } else {
                group.addTask { WorkDirectories.delete(paths, logger: logger) }
            }
        case .cleanupWorkDirectory(let cleanup):
            let logger = logger
            group.addTask { WorkDirectories.cleanup(cleanup, now: Date(), logger: logger) }
        case .shuffleServiceExecutorRemoved(let key, let keepRddBlocks):
            shuffleService?.executorRemoved(appId: key.appId, execId: String(key.execId), keepRddBlocks: keepRddBlocks)
        case .shuffleServiceApplicationRemoved(let appId):
            shuffleService?.applicationRemoved(appId: appId)
        case .log(let level, let message):
            logger.log(level: level.loggerLevel, "\(message)")
        case .exit(let code):
            exitCode = code
        }
        return nil
    }

    /// Creates the directories and files of a launch and starts the process.
    private func start(_ decided: ExecutorLaunch, group: inout DiscardingTaskGroup) -> WorkerInput {
        let key = decided.key
        let (prepared, dump) = archives.prepare(decided)
        let launch: ExecutorLaunch
        do {
            launch = try WorkDirectories.prepare(prepared, logger: logger)
        } catch {
            if let dump { archives.abandon(dump) }
            return .executorLaunchFailed(key, reason: error.message)
        }
        var childEnvironment = environment
        for variable in launch.environment { childEnvironment[variable.name] = variable.value }
        var appenders: [ExecutorLogAppender] = []
        var writeEnds: (stdout: Int32, stderr: Int32)?
        if let logRolling {
            switch Self.startAppenders(for: launch, rolling: logRolling, logger: logger) {
            case .success(let started):
                (appenders, writeEnds) = (started.appenders, started.writeEnds)
            case .failure(let failure):
                if let dump { archives.abandon(dump) }
                return .executorLaunchFailed(key, reason: WorkDirectories.runFailure(failure.message))
            }
        }
        let pid: Int32
        do {
            defer {
                // The child has its copies; the appenders see the end of the streams when it and
                // whatever it started are gone (or at once, when it was not started).
                if let writeEnds {
                    close(writeEnds.stdout)
                    close(writeEnds.stderr)
                }
            }
            pid = try processes.spawn(ChildProcesses.Spawn(
                argv: launch.argv, environment: childEnvironment, workingDirectory: launch.workingDirectory,
                stdoutPath: launch.stdoutPath, stderrPath: launch.stderrPath, outputDescriptors: writeEnds))
        } catch {
            if let dump { archives.abandon(dump) }
            return .executorLaunchFailed(key, reason: WorkDirectories.runFailure(error.message))
        }
        let processes = processes
        let archives = archives
        let sink = sink
        group.addTask {
            if let code = await processes.waitForExit(pid) {
                for appender in appenders { appender.finish() }
                if let dump { archives.finish(dump, exitCode: code) }
                sink.yield(.input(.executorExited(key, exitCode: code)))
            }
        }
        return .executorStarted(key, pid: pid)
    }

    /// Starts one attempt of a driver off the message loop: its directory and jar (a jar may take a
    /// while to copy or download), its files on NIO's thread pool, then the process; then waits for it.
    private func startDriver(_ launch: DriverLaunch, group: inout DiscardingTaskGroup) {
        let processes = processes, sink = sink, logger = logger, environment = environment
        let cancelled = cancelledDriverLaunches
        let downloads = driverDownloads
        let jarDownload = jarDownload
        group.addTask {
            let pid: Int32?
            // Registered before the check, so a kill either finds it or is seen by the check.
            let cancellation = DownloadCancellation()
            downloads.withLockedValue { $0[launch.driverId] = cancellation }
            if cancelled.withLockedValue({ $0.contains(launch.driverId) }) { cancellation.cancel() }
            defer { downloads.withLockedValue { $0[launch.driverId] = nil } }
            do {
                try await DriverFiles.obtainJar(launch, download: jarDownload, cancellation: cancellation, logger: logger)
                pid = try await NIOThreadPool.singleton.runIfActive { () throws -> Int32? in
                    try DriverFiles.prepareFiles(launch)
                    var childEnvironment = environment
                    for variable in launch.environment { childEnvironment[variable.name] = variable.value }
                    // Spark: DriverRunner checks `killed` under its lock before starting the process.
                    return try cancelled.withLockedValue { cancelled throws -> Int32? in
                        if cancelled.remove(launch.driverId) != nil { return nil }
                        do {
                            return try processes.spawn(ChildProcesses.Spawn(
                                argv: launch.argv, environment: childEnvironment, workingDirectory: launch.workingDirectory,
                                stdoutPath: launch.stdoutPath, stderrPath: launch.stderrPath))
                        } catch {
                            throw DriverFiles.Failure(java: (error as? ChildProcessFailure)?.message ?? "\(error)")
                        }
                    }
                }
            } catch let failure as DriverFiles.Failure {
                if cancelled.withLockedValue({ $0.remove(launch.driverId) != nil }) {
                    // Killed while its jar was coming: ended as a kill before the start.
                    sink.yield(.input(.driverExited(launch.driverId, exitCode: -1, ranForMilliseconds: 0)))
                } else {
                    sink.yield(.input(.driverLaunchFailed(launch.driverId, reason: failure.exception)))
                }
                return
            } catch {
                sink.yield(.input(.driverLaunchFailed(
                    launch.driverId, reason: JavaExceptionInfo(className: "java.io.IOException", message: "\(error)"))))
                return
            }
            guard let pid else {
                // Killed before it was started (Spark's exit code for that case).
                sink.yield(.input(.driverExited(launch.driverId, exitCode: -1, ranForMilliseconds: 0)))
                return
            }
            let started = ContinuousClock.now
            sink.yield(.input(.driverStarted(launch.driverId, pid: pid)))
            if let code = await processes.waitForExit(pid) {
                // A cancellation that came after the start is done with (the core killed it instead).
                _ = cancelled.withLockedValue { $0.remove(launch.driverId) }
                let ran = ContinuousClock.now - started
                let milliseconds = ran.components.seconds * 1000 + ran.components.attoseconds / 1_000_000_000_000_000
                sink.yield(.input(.driverExited(launch.driverId, exitCode: code, ranForMilliseconds: milliseconds)))
            }
        }
    }

    /// Pipes for an executor's stdout and stderr and the threads that write them to its rolling
    /// log files (the files exist: the stderr header is in place).
    static func startAppenders(
        for launch: ExecutorLaunch, rolling: ExecutorLogRolling, logger: Logger
    ) -> Result<(appenders: [ExecutorLogAppender], writeEnds: (stdout: Int32, stderr: Int32)), ChildProcessFailure> {
        var appenders: [ExecutorLogAppender] = []
        var writeEnds: [Int32] = []
        for path in [launch.stdoutPath, launch.stderrPath] {
            var ends: [Int32] = [-1, -1]
            // Close-on-exec is for other programs the worker may start; an executor's spawn closes
            // every descriptor above 2 anyway.
            guard pipe(&ends) == 0 else {
                let reason = String(cString: strerror(errno))
                for end in writeEnds { close(end) }
                return .failure(ChildProcessFailure("java.io.IOException: cannot create a pipe for \(path): \(reason)"))
            }
            _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
            let appender = ExecutorLogAppender(input: ends[0], path: path, rolling: rolling, logger: logger)
            guard appender.start() else {
                close(ends[1])
                for end in writeEnds { close(end) }
                return .failure(ChildProcessFailure("java.io.IOException: cannot start a thread to write \(path)"))
            }
            appenders.append(appender)
            writeEnds.append(ends[1])
        }
        return .success((appenders, (writeEnds[0], writeEnds[1])))
    }

    // MARK: - Outboxes

    private mutating func outbox(for master: RpcEndpointRef, group: inout DiscardingTaskGroup) -> AsyncStream<OutboxItem>.Continuation {
        let address = master.rpcAddress ?? RpcAddress(host: "", port: 0)
        if let existing = outboxes[address] { return existing }
        let (stream, continuation) = AsyncStream.makeStream(of: OutboxItem.self)
        outboxes[address] = continuation
        let delivery = Delivery(env: env, sink: sink, logger: logger)
        group.addTask {
            for await item in stream { await delivery.deliver(item) }
        }
        return continuation
    }

    private mutating func finishOutboxes() {
        for continuation in outboxes.values { continuation.finish() }
        outboxes.removeAll()
    }

    /// Performs outbox items against the RPC environment and reports outcomes to the loop.
    struct Delivery: Sendable {
        let env: RpcEnv
        let sink: AsyncStream<WorkerShellEvent>.Continuation
        let logger: Logger

        func deliver(_ item: OutboxItem) async {
            switch item {
            case .register(let message, let master):
                // Spark: rpcEnv.setupEndpointRef (CheckExistence) then send RegisterWorker.
                do {
                    guard try await env.verify(master, timeout: .seconds(30)) else {
                        throw RpcError(.remoteFailure, "Cannot find endpoint: \(master)")
                    }
                    try await env.send(.registerWorker(message), to: master)
                } catch {
                    sink.yield(.input(.registrationFailed(
                        master: master.rpcAddress ?? message.masterAddress, reason: "\(error)")))
                }
            case .send(let message, let master):
                do {
                    try await env.send(message, to: master)
                } catch {
                    logger.warning("Cannot send \(message.name) to \(master): \(error)")
                }
            case .ask(let change, let master, let timeout):
                let sink = sink
                do {
                    let connection = try await env.route(to: master)
                    let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
                    connection.askFuture(.executorStateChanged(change), to: master, timeout: .nanoseconds(nanoseconds))
                        .whenComplete { result in
                            switch result {
                            case .success:
                                sink.yield(.input(.stateReportAcknowledged(change)))
                            case .failure(let error):
                                let timedOut = (error as? RpcError)?.code == .timeout
                                sink.yield(.input(.stateReportFailed(change, timedOut: timedOut, reason: "\(error)")))
                            }
                        }
                } catch {
                    sink.yield(.input(.stateReportFailed(change, timedOut: false, reason: "\(error)")))
                }
            }
        }
    }
}

extension WorkerLogLevel {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
