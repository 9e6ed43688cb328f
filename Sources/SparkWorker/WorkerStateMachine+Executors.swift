import SparkModel

// Executor lifecycle (Spark: Worker.receive(LaunchExecutor/KillExecutor/ApplicationFinished),
// handleExecutorStateChanged, syncExecutorStateWithMaster, maybeCleanupApplication; ExecutorRunner).
extension WorkerStateMachine {
    mutating func launchExecutor(_ message: LaunchExecutor, classPathDirectories: Set<String>, into actions: inout [WorkerAction]) {
        let key = ExecutorKey(appId: message.appId, execId: message.execId)
        guard message.masterUrl == activeMasterUrl else {
            actions.append(.log(.warning, "Invalid Master (\(message.masterUrl)) attempted to launch executor."))
            return
        }
        guard !decommissioned else {
            actions.append(.log(.warning, "Asked to launch an executor while decommissioned. Not launching executor."))
            return
        }
        guard phase == .running else {
            actions.append(.log(.warning, "Asked to launch executor \(key) while shutting down. Not launching executor."))
            return
        }
        actions.append(.log(.info, "Asked to launch executor \(key) for \(message.appDesc.name)"))
        guard canHold(cores: message.cores, memory: message.memory) else {
            actions.append(.log(.error, "Refusing executor \(key): \(message.cores) cores and \(message.memory) MiB do not fit this worker"))
            reportState(ExecutorStateChanged(
                appId: message.appId, execId: message.execId, state: .failed,
                message: "Invalid executor size: \(message.cores) cores, \(message.memory) MiB"), into: &actions)
            return
        }
        guard !executors.contains(where: { $0.key == key }) else {
            // Spark 4 would start a second runner over the first one's directory and lose track of the
            // first; refused instead, with Spark 3's report of a directory that exists.
            let directory = "\(configuration.workDirectory)/\(message.appId)/\(message.execId)"
            actions.append(.log(.error, "Failed to launch executor \(key) for \(message.appDesc.name)."))
            reportState(ExecutorStateChanged(
                appId: message.appId, execId: message.execId, state: .failed,
                message: "java.io.IOException: Failed to create directory \(directory)"), into: &actions)
            return
        }

        var directoriesToCreate: [String] = []
        let appLocalDirectories: [String]
        if let existing = appDirectories[message.appId] {
            appLocalDirectories = existing
        } else {
            let roots: [String]
            if let localRoots {
                roots = localRoots
            } else {
                roots = configuration.localRootParents.map { "\(Self.trimmingSlash($0))/spark-\(uuid())" }
                localRoots = roots
                directoriesToCreate += roots
            }
            appLocalDirectories = roots.map { "\($0)/executor-\(uuid())" }
            directoriesToCreate += appLocalDirectories
            appDirectories[message.appId] = appLocalDirectories
        }
        let launch = ExecutorLaunch.build(
            ExecutorLaunch.Request(
                launch: message, workerId: workerId, appLocalDirectories: appLocalDirectories,
                directoriesToCreate: directoriesToCreate, classPathDirectories: classPathDirectories,
                resourcesFileSuffix: String(random.next() % 1_000_000_000_000_000_000)),
            configuration: configuration)
        executors.append(ExecutorRecord(
            key: key, rpId: message.rpId, cores: message.cores, memoryMiB: message.memory,
            resources: message.resources, appDesc: message.appDesc, state: .launching))
        coresUsed += message.cores
        memoryUsed += message.memory
        actions.append(.log(.info, "Launch command: \(launch.redactedCommandLine(pattern: settings.redactionPattern))"))
        actions.append(.launchExecutor(launch))
    }

    /// Whether the worker can count `cores` and `memory` more: never negative, never more than it has
    /// (a master sends only what fits its free share), never past its counters.
    func canHold(cores: Int32, memory: Int32) -> Bool {
        (0...max(0, configuration.cores)).contains(cores) && (0...max(0, configuration.memoryMiB)).contains(memory)
            && !coresUsed.addingReportingOverflow(cores).overflow && !memoryUsed.addingReportingOverflow(memory).overflow
    }

    mutating func killExecutor(_ message: KillExecutor, into actions: inout [WorkerAction]) {
        let key = ExecutorKey(appId: message.appId, execId: message.execId)
        guard message.masterUrl == activeMasterUrl else {
            actions.append(.log(.warning, "Invalid Master (\(message.masterUrl)) attempted to kill executor \(message.execId)"))
            return
        }
        guard let index = executors.firstIndex(where: { $0.key == key }) else {
            actions.append(.log(.info, "Asked to kill unknown executor \(key)"))
            return
        }
        actions.append(.log(.info, "Asked to kill executor \(key)"))
        guard executors[index].killReason == nil else { return }
        executors[index].killReason = .requested
        // Spark's ExecutorRunner.kill marks it KILLED at once; the process goes within the grace.
        executors[index].state = .killed
        if let pid = executors[index].pid {
            actions.append(.log(.info, "Runner thread for executor \(key) interrupted"))
            actions.append(.log(.info, "Killing process!"))
            actions.append(.killExecutor(key, pid: pid, grace: settings.executorTerminateTimeout))
        }
        // Not started yet: killed as soon as the shell reports the process.
    }

    mutating func executorStarted(_ key: ExecutorKey, pid: Int32, into actions: inout [WorkerAction]) {
        guard let index = executors.firstIndex(where: { $0.key == key }) else {
            actions.append(.log(.warning, "Unknown executor \(key) started with pid \(pid)"))
            return
        }
        executors[index].pid = pid
        if executors[index].killReason == nil { executors[index].state = .running }
        actions.append(.log(.info, "Executor \(key) started with pid \(pid)"))
        reportState(ExecutorStateChanged(appId: key.appId, execId: key.execId, state: .running), into: &actions)
        if executors[index].killReason != nil {
            actions.append(.log(.info, "Killing process!"))
            actions.append(.killExecutor(key, pid: pid, grace: settings.executorTerminateTimeout))
        }
    }

    mutating func executorLaunchFailed(_ key: ExecutorKey, reason: String, into actions: inout [WorkerAction]) {
        guard let index = executors.firstIndex(where: { $0.key == key }) else {
            actions.append(.log(.warning, "Unknown executor \(key) failed to launch: \(reason)"))
            return
        }
        actions.append(.log(.error, "Failed to launch executor \(key): \(reason)"))
        executors[index].state = .failed
        if !executors.contains(where: { $0.key.appId == key.appId && $0.key != key }),
           let directories = appDirectories.removeValue(forKey: key.appId) {
            // Spark records an application's local dirs only once they were made.
            actions.append(.deleteDirectories(directories))
        }
        executorFinished(at: index, change: ExecutorStateChanged(
            appId: key.appId, execId: key.execId, state: .failed, message: reason), into: &actions)
    }

    mutating func executorExited(_ key: ExecutorKey, exitCode: Int32, into actions: inout [WorkerAction]) {
        guard let index = executors.firstIndex(where: { $0.key == key }) else {
            actions.append(.log(.info, "Unknown Executor \(key) exited with code \(exitCode)"))
            return
        }
        let change: ExecutorStateChanged
        switch executors[index].killReason {
        case .requested:
            // Spark: ExecutorRunner.kill interrupts the runner thread, which kills the process.
            change = ExecutorStateChanged(
                appId: key.appId, execId: key.execId, state: .killed,
                message: "Runner thread for executor \(key) interrupted", exitStatus: exitCode)
        case .shutdown:
            // Spark: ExecutorRunner's shutdown hook marks a launching or running executor FAILED.
            change = ExecutorStateChanged(
                appId: key.appId, execId: key.execId, state: .failed, message: "Worker shutting down", exitStatus: exitCode)
        case nil:
            change = ExecutorStateChanged(
                appId: key.appId, execId: key.execId, state: .exited,
                message: "Command exited with code \(exitCode)", exitStatus: exitCode)
        }
        executors[index].state = change.state
        executorFinished(at: index, change: change, into: &actions)
    }

    /// Spark: `handleExecutorStateChanged` for a finished state.
    private mutating func executorFinished(at index: Int, change: ExecutorStateChanged, into actions: inout [WorkerAction]) {
        reportState(change, into: &actions)
        let executor = executors.remove(at: index)
        var line = "Executor \(executor.key) finished with state \(change.state)"
        if let message = change.message { line += " message \(message)" }
        if let status = change.exitStatus { line += " exitStatus \(status)" }
        actions.append(.log(.info, line))
        finishedExecutors.append(executor)
        // Spark: trimFinishedExecutorsIfNecessary drops the oldest tenth.
        if finishedExecutors.count > settings.retainedExecutors {
            finishedExecutors.removeFirst(max(finishedExecutors.count / 10, 1))
        }
        coresUsed -= executor.cores
        memoryUsed -= executor.memoryMiB
        if settings.shuffleServiceEnabled, settings.cleanupFilesAfterExecutorExit {
            actions.append(.shuffleServiceExecutorRemoved(executor.key, keepRddBlocks: settings.shuffleServiceFetchRddEnabled))
        }
        maybeCleanupApplication(executor.key.appId, into: &actions)
        finishShutdownIfDone(into: &actions)
    }

    /// Spark: `maybeCleanupApplication`.
    mutating func maybeCleanupApplication(_ appId: String, into actions: inout [WorkerAction]) {
        guard finishedApps.contains(appId), !executors.contains(where: { $0.key.appId == appId }) else { return }
        finishedApps.remove(appId)
        if let directories = appDirectories.removeValue(forKey: appId) {
            actions.append(.log(.info, "Cleaning up local directories for application \(appId)"))
            actions.append(.deleteDirectories(directories))
        }
        if settings.shuffleServiceEnabled { actions.append(.shuffleServiceApplicationRemoved(appId)) }
    }

    // MARK: - State reports

    /// Spark: `syncExecutorStateWithMaster`: an ask, retried on failure.
    mutating func reportState(_ change: ExecutorStateChanged, into actions: inout [WorkerAction]) {
        guard let master else {
            actions.append(.log(.warning, "Dropping ExecutorStateChanged(\(change.appId)/\(change.execId), \(change.state)) "
                + "because the connection to master has not yet been established"))
            return
        }
        reportsInFlight += 1
        actions.append(.reportExecutorState(change, master: master, timeout: settings.askTimeout))
    }

    mutating func stateReportAcknowledged(_ change: ExecutorStateChanged, into actions: inout [WorkerAction]) {
        reportsInFlight = max(0, reportsInFlight - 1)
        stateSyncFailures.removeValue(forKey: "\(change.appId)/\(change.execId)")
        finishShutdownIfDone(into: &actions)
    }

    mutating func stateReportFailed(_ change: ExecutorStateChanged, timedOut: Bool, reason: String, into actions: inout [WorkerAction]) {
        reportsInFlight = max(0, reportsInFlight - 1)
        let fullId = "\(change.appId)/\(change.execId)"
        let description = "ExecutorStateChanged(\(fullId), \(change.state))"
        guard phase == .running else {
            actions.append(.log(.warning, "Failed to send \(description) to Master during shutdown: \(reason)"))
            finishShutdownIfDone(into: &actions)
            return
        }
        let failures = (stateSyncFailures[fullId] ?? 0) + 1
        let maxAttempts = settings.executorStateSyncMaxAttempts
        guard failures < maxAttempts else {
            actions.append(.log(.error, "Failed to send \(description) to Master \(master.map { "\($0)" } ?? "none") for "
                + "\(maxAttempts) times. Giving up."))
            phase = .stopped
            actions.append(.exit(code: 1))
            return
        }
        actions.append(.log(.error, "Failed to send \(description) to Master \(master.map { "\($0)" } ?? "none"), "
            + "will retry (\(failures)/\(maxAttempts)): \(reason)"))
        stateSyncFailures[fullId] = failures
        if timedOut {
            reportState(change, into: &actions)
        } else {
            // Spark sleeps the ask timeout before retrying when the failure was not a timeout.
            let id = nextRetryId
            nextRetryId += 1
            pendingRetries[id] = change
            actions.append(.scheduleTimer(.stateReportRetry(id), after: settings.askTimeout))
        }
    }

    static func trimmingSlash(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
