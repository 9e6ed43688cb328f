import SparkModel

// Cluster-mode drivers (Spark: Worker.receive(LaunchDriver/KillDriver), handleDriverStateChanged;
// DriverRunner.start, runCommandWithRetry, kill).
extension WorkerStateMachine {
    /// Spark's `DriverRunner` restarts a supervised driver after a run shorter than this with a
    /// doubled back-off; a longer run starts the back-off over at 1 s.
    static var successfulDriverRunMilliseconds: Int64 { 5000 }

    mutating func launchDriver(_ message: LaunchDriver, classPathDirectories: Set<String>, into actions: inout [WorkerAction]) {
        let driverId = message.driverId
        actions.append(.log(.info, "Asked to launch driver \(driverId)"))
        guard phase == .running else {
            actions.append(.log(.warning, "Asked to launch driver \(driverId) while shutting down. Not launching it."))
            return
        }
        guard drivers[driverId] == nil else {
            actions.append(.log(.warning, "Driver \(driverId) is already running here"))
            return
        }
        guard DriverLaunch.isSafeDriverId(driverId) else {
            // Its directory would not be under the work directory.
            actions.append(.log(.error, "Refusing driver id \(driverId): not a directory name"))
            if let master {
                actions.append(.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: .error, exception: JavaExceptionInfo(
                    className: "java.io.IOException", message: "Invalid driver id \(driverId)"))), to: master))
            }
            return
        }
        let description = message.driverDesc
        guard canHold(cores: description.cores, memory: description.mem) else {
            actions.append(.log(.error, "Refusing driver \(driverId): \(description.cores) cores and \(description.mem) MiB do not fit this worker"))
            if let master {
                actions.append(.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: .error, exception: JavaExceptionInfo(
                    className: "java.lang.IllegalArgumentException",
                    message: "Invalid driver size: \(description.cores) cores, \(description.mem) MiB"))), to: master))
            }
            return
        }
        guard let launch = DriverLaunch.build(
            message, configuration: configuration, classPathDirectories: classPathDirectories,
            resourcesFileSuffix: String(random.next() % 1_000_000_000_000_000_000))
        else {
            // Spark: DriverRunner fails in downloadUserJar, reports ERROR and releases the resources.
            coresUsed += description.cores
            memoryUsed += description.mem
            drivers[driverId] = DriverRecord(
                driverId: driverId, description: description, resources: message.resources,
                launch: DriverLaunch(
                    driverId: driverId, jarUrl: description.jarUrl, localJarPath: "", argv: [], environment: [],
                    workingDirectory: "\(configuration.workDirectory)/\(driverId)", stdoutPath: "", stderrPath: "",
                    stderrHeader: "", resourcesFile: nil),
                state: .running)
            driverFinished(driverId, state: .error, exception: JavaExceptionInfo(
                className: "java.net.URISyntaxException", message: "No jar file name in \(description.jarUrl)"), into: &actions)
            return
        }
        drivers[driverId] = DriverRecord(
            driverId: driverId, description: description, resources: message.resources, launch: launch, state: .running)
        driverOrder.append(driverId)
        coresUsed += description.cores
        memoryUsed += description.mem
        actions.append(.log(.info, "Launch Command: \(launch.redactedCommandLine(pattern: settings.redactionPattern))"))
        actions.append(.launchDriver(launch))
    }

    mutating func killDriver(_ message: KillDriver, into actions: inout [WorkerAction]) {
        let driverId = message.driverId
        actions.append(.log(.info, "Asked to kill driver \(driverId)"))
        guard drivers[driverId] != nil else {
            actions.append(.log(.error, "Asked to kill unknown driver \(driverId)"))
            return
        }
        killDriverProcess(driverId, into: &actions)
    }

    /// Spark: `DriverRunner.kill`: no more attempts; the running one is terminated (again, on a
    /// second request, as Spark does).
    mutating func killDriverProcess(_ driverId: String, into actions: inout [WorkerAction]) {
        guard var driver = drivers[driverId] else { return }
        actions.append(.log(.info, "Killing driver process!"))
        driver.killed = true
        drivers[driverId] = driver
        if driver.waitingToRelaunch {
            // Between attempts: the last exit code stands, and it was not 0.
            actions.append(.cancelTimer(.driverRelaunch(driverId)))
            driverFinished(driverId, state: .killed, exception: nil, into: &actions)
        } else if let pid = driver.pid {
            actions.append(.killDriver(driverId, pid: pid, grace: settings.driverTerminateTimeout))
        } else {
            // Being prepared (its jar copied): not started at all if the shell is still in time,
            // else killed as soon as it reports the process.
            actions.append(.cancelDriverLaunch(driverId))
        }
    }

    mutating func driverStarted(_ driverId: String, pid: Int32, into actions: inout [WorkerAction]) {
        guard drivers[driverId] != nil else {
            actions.append(.log(.warning, "Unknown driver \(driverId) started with pid \(pid); killing it"))
            actions.append(.killDriver(driverId, pid: pid, grace: settings.driverTerminateTimeout))
            return
        }
        drivers[driverId]!.pid = pid
        if drivers[driverId]!.killed {
            actions.append(.killDriver(driverId, pid: pid, grace: settings.driverTerminateTimeout))
        }
    }

    mutating func driverLaunchFailed(_ driverId: String, reason: JavaExceptionInfo, into actions: inout [WorkerAction]) {
        guard drivers[driverId] != nil else {
            actions.append(.log(.warning, "Unknown driver \(driverId) failed to launch: \(reason)"))
            return
        }
        driverFinished(driverId, state: .error, exception: reason, into: &actions)
    }

    /// Spark: `runCommandWithRetry` after `waitFor`, then `DriverRunner.start`'s final state.
    mutating func driverExited(_ driverId: String, exitCode: Int32, ranForMilliseconds: Int64, into actions: inout [WorkerAction]) {
        guard var driver = drivers[driverId] else {
            actions.append(.log(.info, "Unknown driver \(driverId) exited with code \(exitCode)"))
            return
        }
        driver.pid = nil
        if driver.description.supervise && exitCode != 0 && !driver.killed && phase == .running {
            if ranForMilliseconds > Self.successfulDriverRunMilliseconds { driver.backoffSeconds = 1 }
            actions.append(.log(.info, "Command exited with status \(exitCode), re-launching after \(driver.backoffSeconds) s."))
            actions.append(.scheduleTimer(.driverRelaunch(driverId), after: .seconds(driver.backoffSeconds)))
            driver.waitingToRelaunch = true
            driver.backoffSeconds *= 2
            drivers[driverId] = driver
            return
        }
        drivers[driverId] = driver
        let state: DriverState = exitCode == 0 ? .finished : (driver.killed ? .killed : .failed)
        driverFinished(driverId, state: state, exception: nil, into: &actions)
    }

    mutating func relaunchDriver(_ driverId: String, into actions: inout [WorkerAction]) {
        guard var driver = drivers[driverId], driver.waitingToRelaunch else { return }
        driver.waitingToRelaunch = false
        drivers[driverId] = driver
        actions.append(.log(.info, "Launch Command: \(driver.launch.redactedCommandLine(pattern: settings.redactionPattern))"))
        actions.append(.launchDriver(driver.launch))
    }

    /// Spark: `Worker.handleDriverStateChanged`.
    private mutating func driverFinished(_ driverId: String, state: DriverState, exception: JavaExceptionInfo?, into actions: inout [WorkerAction]) {
        guard var driver = drivers.removeValue(forKey: driverId) else { return }
        driverOrder.removeAll { $0 == driverId }
        switch state {
        case .error:
            actions.append(.log(.warning, "Driver \(driverId) failed with unrecoverable exception: \(exception.map { "\($0)" } ?? "")"))
        case .failed:
            actions.append(.log(.warning, "Driver \(driverId) exited with failure"))
        case .finished where registrationRetryArmed:
            actions.append(.log(.warning, "Driver \(driverId) exited successfully while master is disconnected."))
        case .finished:
            actions.append(.log(.info, "Driver \(driverId) exited successfully"))
        case .killed:
            actions.append(.log(.info, "Driver \(driverId) was killed by user"))
        default:
            break
        }
        if let master {
            actions.append(.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: state, exception: exception)), to: master))
        } else {
            actions.append(.log(.warning, "Dropping DriverStateChanged(\(driverId), \(state)) "
                + "because the connection to master has not yet been established"))
        }
        driver.state = state
        driver.finalException = exception
        finishedDrivers.append(driver)
        // Spark: trimFinishedDriversIfNecessary drops the oldest tenth.
        if finishedDrivers.count > settings.retainedDrivers {
            finishedDrivers.removeFirst(max(finishedDrivers.count / 10, 1))
        }
        coresUsed -= driver.description.cores
        memoryUsed -= driver.description.mem
        finishShutdownIfDone(into: &actions)
    }

    /// Drivers in launch order.
    public var runningDrivers: [DriverRecord] { driverOrder.compactMap { drivers[$0] } }
}
