import SparkModel

/// The worker daemon's logic without I/O (Spark: `org.apache.spark.deploy.worker.Worker` and the
/// bookkeeping half of `ExecutorRunner`).
///
/// Feed it `WorkerInput`s one at a time; it returns the `WorkerAction`s the shell must perform.
/// Time comes in with `start(now:)`, randomness from `Random` (the registration back-off fuzz, the
/// scratch directory names), and timers are actions.
public struct WorkerStateMachine<Random: RandomNumberGenerator> {
    public let configuration: WorkerConfiguration
    var random: Random

    /// `f` in [0.5, 1.5), drawn once per worker process (Spark: `REGISTRATION_RETRY_FUZZ_MULTIPLIER`).
    public let registrationFuzz: Double
    /// `round(10 × f)` s.
    public let initialRegistrationRetryInterval: Duration
    /// `round(60 × f)` s.
    public let prolongedRegistrationRetryInterval: Duration

    enum Phase: Equatable {
        /// Waiting for `start`.
        case created
        case running
        /// Killing executors and reporting them before exiting.
        case shuttingDown
        /// `exit` was returned; everything else is ignored.
        case stopped
    }

    var phase: Phase = .created
    public internal(set) var workerId: String = ""

    // Registration (Spark: registered, connected, master, masterAddressToConnect, activeMasterUrl).
    public internal(set) var registered = false
    public internal(set) var connected = false
    var master: RpcEndpointRef?
    var masterAddressToConnect: RpcAddress?
    public internal(set) var activeMasterUrl = ""
    public internal(set) var activeMasterWebUiUrl = ""
    var registrationRetryArmed = false
    var connectionAttemptCount = 0
    var heartbeatArmed = false
    var cleanupArmed = false
    var decommissioned = false

    // Executors.
    var executors: [ExecutorRecord] = []
    var finishedExecutors: [ExecutorRecord] = []
    var appDirectories: [String: [String]] = [:]
    var finishedApps: Set<String> = []
    /// `spark-<uuid>` roots under `localRootParents`, chosen at the first launch.
    var localRoots: [String]?
    // Cluster-mode drivers by id, in launch order (Spark: drivers, finishedDrivers).
    var drivers: [String: DriverRecord] = [:]
    var driverOrder: [String] = []
    var finishedDrivers: [DriverRecord] = []
    public internal(set) var coresUsed: Int32 = 0
    public internal(set) var memoryUsed: Int32 = 0

    // State reports to the master (Spark: executorStateSyncFailureAttempts).
    var stateSyncFailures: [String: Int] = [:]
    var pendingRetries: [Int: ExecutorStateChanged] = [:]
    var nextRetryId = 0
    var reportsInFlight = 0

    public init(configuration: WorkerConfiguration, random: Random) {
        self.configuration = configuration
        self.random = random
        let fuzz = Double.random(in: 0..<1, using: &self.random) + 0.5
        registrationFuzz = fuzz
        initialRegistrationRetryInterval = .seconds(Int64((10 * fuzz).rounded(.toNearestOrAwayFromZero)))
        prolongedRegistrationRetryInterval = .seconds(Int64((60 * fuzz).rounded(.toNearestOrAwayFromZero)))
    }

    var settings: WorkerSettings { configuration.settings }

    /// Whether the core returned `exit`.
    public var isStopped: Bool { phase == .stopped }

    /// Executors still running (or starting), in launch order.
    public var runningExecutors: [ExecutorRecord] { executors }

    /// What `/json` shows.
    public var status: WorkerStatus {
        WorkerStatus(
            workerId: workerId, host: configuration.host, port: configuration.port, masterUrl: activeMasterUrl,
            masterWebUiUrl: activeMasterWebUiUrl, cores: configuration.cores, coresUsed: coresUsed,
            memoryMiB: configuration.memoryMiB, memoryUsedMiB: memoryUsed, executors: executors,
            finishedExecutors: finishedExecutors, drivers: runningDrivers, finishedDrivers: finishedDrivers,
            workDirectory: configuration.workDirectory, resources: configuration.resources)
    }

    // MARK: - Input

    /// Handles one input and returns the effects to perform, in order.
    public mutating func handle(_ input: WorkerInput) -> [WorkerAction] {
        var actions: [WorkerAction] = []
        switch phase {
        case .created:
            switch input {
            case .start(let now):
                start(now: now, into: &actions)
            case .shutdownRequested:
                phase = .stopped
                actions.append(.exit(code: 0))
            case .decommissionSignalReceived:
                // Before start there is nothing to decommission and no master to tell.
                decommissionSelf(into: &actions)
            case .message, .registrationFailed, .connectionClosed, .timerFired, .executorStarted,
                 .executorLaunchFailed, .executorExited, .driverStarted, .driverLaunchFailed, .driverExited,
                 .stateReportAcknowledged, .stateReportFailed:
                preconditionFailure("worker input \(input) before start; state: \(self)")
            }
        case .running, .shuttingDown:
            dispatch(input, into: &actions)
        case .stopped:
            break
        }
        return actions
    }

    private mutating func dispatch(_ input: WorkerInput, into actions: inout [WorkerAction]) {
        switch input {
        case .start:
            actions.append(.log(.warning, "Ignoring a second start of worker \(workerId)"))
        case .message(let message, let directories):
            receive(message, classPathDirectories: directories, into: &actions)
        case .registrationFailed(let address, let reason):
            actions.append(.log(.warning, "Failed to connect to master \(address.hostPort): \(reason)"))
        case .connectionClosed(let addresses):
            connectionClosed(addresses, into: &actions)
        case .timerFired(let timer):
            timerFired(timer, into: &actions)
        case .executorStarted(let key, let pid):
            executorStarted(key, pid: pid, into: &actions)
        case .executorLaunchFailed(let key, let reason):
            executorLaunchFailed(key, reason: reason, into: &actions)
        case .executorExited(let key, let exitCode):
            executorExited(key, exitCode: exitCode, into: &actions)
        case .driverStarted(let id, let pid):
            driverStarted(id, pid: pid, into: &actions)
        case .driverLaunchFailed(let id, let reason):
            driverLaunchFailed(id, reason: reason, into: &actions)
        case .driverExited(let id, let exitCode, let ranFor):
            driverExited(id, exitCode: exitCode, ranForMilliseconds: ranFor, into: &actions)
        case .stateReportAcknowledged(let change):
            stateReportAcknowledged(change, into: &actions)
        case .stateReportFailed(let change, let timedOut, let reason):
            stateReportFailed(change, timedOut: timedOut, reason: reason, into: &actions)
        case .shutdownRequested:
            shutdown(into: &actions)
        case .decommissionSignalReceived:
            // Spark: decommissionSelf, then WorkerDecommissioning so the master stops sending work.
            decommissionSelf(into: &actions)
            if let master {
                actions.append(.send(.workerDecommissioning(WorkerDecommissioning(id: workerId, workerRef: configuration.workerRef)), to: master))
            } else {
                actions.append(.log(.warning, "Dropping WorkerDecommissioning(\(workerId)) because the connection to master has not yet been established"))
            }
        }
    }

    private mutating func start(now: WorkerInstant, into actions: inout [WorkerAction]) {
        phase = .running
        workerId = Self.workerId(pattern: settings.workerIdPattern, time: now.compactUTC,
                                 host: configuration.host, port: configuration.port)
        actions.append(.log(.info, "Starting Spark worker \(configuration.host):\(configuration.port) with "
            + "\(configuration.cores) cores, \(Self.megabytesToString(Int64(configuration.memoryMiB))) RAM"))
        actions.append(.log(.info, "Running Spark version \(configuration.sparkVersion)"))
        actions.append(.log(.info, "Spark home: \(configuration.sparkHome)"))
        actions.append(.log(.info, "Worker id: \(workerId)"))
        guard !configuration.masters.isEmpty else {
            actions.append(.log(.error, "No master URL given"))
            phase = .stopped
            actions.append(.exit(code: 1))
            return
        }
        registerWithMaster(into: &actions)
    }

    private mutating func receive(_ message: SparkMessage, classPathDirectories: Set<String>, into actions: inout [WorkerAction]) {
        switch message {
        case .registeredWorker(let registered):
            registeredWorker(registered, into: &actions)
        case .registerWorkerFailed(let failed):
            // Spark: a refusal only matters before the first successful registration.
            if !registered {
                actions.append(.log(.error, "Worker registration failed: \(failed.message)"))
                phase = .stopped
                actions.append(.exit(code: 1))
            }
        case .masterInStandby:
            // Spark: ignored; the retry timer keeps trying and the real leader will answer.
            break
        case .masterChanged(let changed):
            masterChanged(changed, into: &actions)
        case .reconnectWorker(let reconnect):
            actions.append(.log(.info, "Master with url \(reconnect.masterUrl) requested this worker to reconnect."))
            if phase == .running { registerWithMaster(into: &actions) }
        case .launchExecutor(let launch):
            launchExecutor(launch, classPathDirectories: classPathDirectories, into: &actions)
        case .killExecutor(let kill):
            killExecutor(kill, into: &actions)
        case .applicationFinished(let finished):
            finishedApps.insert(finished.id)
            maybeCleanupApplication(finished.id, into: &actions)
        case .decommissionWorker:
            decommissionSelf(into: &actions)
        case .launchDriver(let launch):
            launchDriver(launch, classPathDirectories: classPathDirectories, into: &actions)
        case .killDriver(let kill):
            killDriver(kill, into: &actions)
        case .checkExistence, .registerWorker, .workerLatestState, .heartbeat, .executorStateChanged,
             .driverStateChanged, .workerSchedulerStateResponse, .workerDecommissioning, .registerApplication,
             .registeredApplication, .executorAdded, .executorUpdated, .workerRemoved, .applicationRemoved,
             .masterChangeAcknowledged, .unregisterApplication, .requestExecutors, .killExecutors,
             .requestSubmitDriver, .submitDriverResponse, .requestKillDriver, .killDriverResponse,
             .requestDriverStatus, .driverStatusResponse, .requestKillAllDrivers, .killAllDriversResponse,
             .boolean, .rpcFailure, .unknown:
            actions.append(.log(.warning, "Worker got an unexpected \(message.name)"))
        }
    }

    // MARK: - Timers

    private mutating func timerFired(_ timer: WorkerTimer, into actions: inout [WorkerAction]) {
        switch timer {
        case .registrationRetry:
            registrationRetryArmed = false
            reregisterWithMaster(into: &actions)
        case .heartbeat:
            heartbeatArmed = false
            guard phase == .running else { return }
            if connected, let master {
                actions.append(.send(.heartbeat(Heartbeat(workerId: workerId, worker: configuration.workerRef)), to: master))
            }
            heartbeatArmed = true
            actions.append(.scheduleTimer(.heartbeat, after: settings.heartbeatInterval))
        case .workDirCleanup:
            cleanupArmed = false
            guard phase == .running else { return }
            // Spark 4: applications with running executors and running drivers are kept.
            let keep = Set(executors.map(\.key.appId)).union(drivers.keys)
            actions.append(.cleanupWorkDirectory(WorkDirectoryCleanup(
                directory: configuration.workDirectory, keep: keep, appDataTtlSeconds: settings.appDataTtlSeconds)))
            cleanupArmed = true
            actions.append(.scheduleTimer(.workDirCleanup, after: settings.cleanupInterval))
        case .stateReportRetry(let id):
            guard let change = pendingRetries.removeValue(forKey: id) else { return }
            reportState(change, into: &actions)
        case .driverRelaunch(let id):
            relaunchDriver(id, into: &actions)
        case .shutdownDeadline:
            guard phase == .shuttingDown else { return }
            actions.append(.log(.warning, "Graceful shutdown timed out with \(executors.count) executors, \(drivers.count) drivers and "
                + "\(reportsInFlight) state reports outstanding"))
            finishShutdown(into: &actions)
        }
    }

    // MARK: - Shutdown

    private mutating func shutdown(into actions: inout [WorkerAction]) {
        guard phase == .running else { return }
        phase = .shuttingDown
        actions.append(.log(.info, "Worker \(workerId) shutting down"))
        if registrationRetryArmed {
            registrationRetryArmed = false
            actions.append(.cancelTimer(.registrationRetry))
        }
        if heartbeatArmed {
            heartbeatArmed = false
            actions.append(.cancelTimer(.heartbeat))
        }
        if cleanupArmed {
            cleanupArmed = false
            actions.append(.cancelTimer(.workDirCleanup))
        }
        for id in pendingRetries.keys.sorted() {
            actions.append(.cancelTimer(.stateReportRetry(id)))
        }
        pendingRetries.removeAll()
        for index in executors.indices {
            if executors[index].killReason == nil {
                executors[index].killReason = .shutdown
                // Spark's ExecutorRunner shutdown hook: a launching or running executor is FAILED at once.
                executors[index].state = .failed
            }
            if let pid = executors[index].pid {
                actions.append(.killExecutor(executors[index].key, pid: pid, grace: settings.executorTerminateTimeout))
            }
        }
        // Spark: onStop kills the drivers too.
        for driverId in driverOrder { killDriverProcess(driverId, into: &actions) }
        guard phase == .shuttingDown else { return }  // the last driver's end finished the shutdown
        if executors.isEmpty && drivers.isEmpty && reportsInFlight == 0 {
            finishShutdown(into: &actions)
        } else {
            let terminate = max(settings.executorTerminateTimeout, drivers.isEmpty ? .zero : settings.driverTerminateTimeout)
            let deadline = terminate + .milliseconds(Int64(settings.shutdownReportGraceSeconds * 1000))
            actions.append(.scheduleTimer(.shutdownDeadline, after: deadline))
        }
    }

    mutating func finishShutdownIfDone(into actions: inout [WorkerAction]) {
        guard phase == .shuttingDown, executors.isEmpty, drivers.isEmpty, reportsInFlight == 0 else { return }
        actions.append(.cancelTimer(.shutdownDeadline))
        finishShutdown(into: &actions)
    }

    private mutating func finishShutdown(into actions: inout [WorkerAction]) {
        // Spark deletes its scratch roots on exit (ShutdownHookManager's delete-on-exit dirs).
        if let roots = localRoots, !roots.isEmpty { actions.append(.deleteDirectories(roots)) }
        phase = .stopped
        actions.append(.exit(code: 0))
    }

    // MARK: - Helpers

    /// `String.format(pattern, time, host, port)` for the `%s %s %d` pattern Spark uses.
    static func workerId(pattern: String, time: String, host: String, port: Int32) -> String {
        var values = [time, host, "\(port)"][...]
        var result = ""
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            guard let conversion = iterator.next() else {
                result.append(character)
                break
            }
            switch conversion {
            case "s", "d":
                result += values.popFirst() ?? ""
            case "%":
                result.append("%")
            default:
                result.append(character)
                result.append(conversion)
            }
        }
        return result
    }

    /// Spark's `Utils.megabytesToString`: `512.0 MiB`, `2.0 GiB`.
    public static func megabytesToString(_ megabytes: Int64) -> String { ByteSizes.megabytesToString(megabytes) }

    /// A random version-4 UUID string from the worker's generator.
    mutating func uuid() -> String {
        // Two draws of 8 bytes (with the system generator, two `getrandom` calls rather than 16).
        let high = random.next(), low = random.next()
        var bytes: [UInt8] = (0..<16).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (UInt64(index % 8) * 8))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte -> String in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }
}

extension WorkerStateMachine: Sendable where Random: Sendable {}

extension WorkerStateMachine: CustomStringConvertible {
    public var description: String {
        "WorkerStateMachine(phase: \(phase), workerId: \(workerId), registered: \(registered), connected: \(connected), "
            + "master: \(master.map { "\($0)" } ?? "none"), activeMasterUrl: \(activeMasterUrl), "
            + "attempts: \(connectionAttemptCount), retryArmed: \(registrationRetryArmed), "
            + "executors: \(executors.map { "\($0.key)=\($0.state)" }), finished: \(finishedExecutors.count), "
            + "drivers: \(driverOrder), coresUsed: \(coresUsed), memoryUsed: \(memoryUsed), reportsInFlight: \(reportsInFlight))"
    }
}
