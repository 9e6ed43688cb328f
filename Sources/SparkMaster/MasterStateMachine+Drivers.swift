import SparkModel

extension MasterStateMachine {
    /// Prefix of every refusal from a master that is not ALIVE (Spark: `BACKUP_STANDALONE_MASTER_PREFIX`).
    static let notAlivePrefix = "Current state is not alive"

    /// Answers `call` once the driver's record is stored (`admitDriver`), or at once with a refusal.
    mutating func submitDriver(_ description: DriverDescription, call: CallID?, now: Int64, _ actions: inout [MasterAction]) {
        guard state == .alive else {
            reply(call, .submitDriverResponse(SubmitDriverResponse(
                master: configuration.masterRef, success: false, driverId: nil,
                message: "\(Self.notAlivePrefix): \(state). Can only accept driver submissions in ALIVE state.")), &actions)
            return
        }
        if let problem = RequestBounds.problem(with: description) {
            actions.append(.log(.warning, "Refusing a driver submission: \(problem)"))
            reply(call, .submitDriverResponse(SubmitDriverResponse(
                master: configuration.masterRef, success: false, driverId: nil, message: "Invalid driver description: \(problem)")), &actions)
            return
        }
        actions.append(.log(.info, "Driver submitted \(description.command.mainClass)"))
        actions.append(.admit(.driver(createDriver(description, now: now), call: call)))
    }

    /// Spark adds a driver only once `PersistenceEngine.addDriver` has stored it.
    mutating func admitDriver(_ driver: DriverInfo, call: CallID?, now: Int64, _ actions: inout [MasterAction]) {
        drivers[driver.id] = driver
        driverOrder.append(driver.id)
        waitingDrivers.append(driver.id)
        schedule(now: now, &actions)
        reply(call, .submitDriverResponse(SubmitDriverResponse(
            master: configuration.masterRef, success: true, driverId: driver.id,
            message: "Driver successfully submitted as \(driver.id)")), &actions)
    }

    private mutating func createDriver(_ description: DriverDescription, now: Int64) -> DriverInfo {
        let timestamp = IdentifierFormat.timestamp(epochMillis: now, offsetSeconds: configuration.timeZoneOffsetSeconds)
        let id = IdentifierFormat.format(configuration.driverIdPattern, timestamp: timestamp, number: nextDriverNumber)
            ?? "driver-\(timestamp)-\(nextDriverNumber)"
        nextDriverNumber += 1
        let named = configuration.useDriverIdAsAppName ? Self.namedAfterDriver(description, id: id) : description
        return DriverInfo(id: id, desc: named, startTime: now)
    }

    /// Spark's `maybeUpdateAppName`: `-Dspark.app.name=<driver id>` in place of the submitter's,
    /// and for a driver run through `SparkSubmit` (the `DriverWrapper` arguments worker URL, jar,
    /// main class, …) its `-c spark.app.name=` argument, replaced or added after the main class.
    static func namedAfterDriver(_ description: DriverDescription, id: String) -> DriverDescription {
        let setting = "spark.app.name=\(id)"
        var named = description
        named.command.javaOpts = description.command.javaOpts.filter { !$0.hasPrefix("-Dspark.app.name=") } + ["-D" + setting]
        var arguments = description.command.arguments
        if arguments.count > 2, arguments[2] == "org.apache.spark.deploy.SparkSubmit" {
            if arguments.count > 4, arguments[4].hasPrefix("spark.app.name=") {
                arguments[4] = setting
            } else {
                arguments.insert(contentsOf: ["-c", setting], at: 3)
            }
        }
        named.command.arguments = arguments
        // Relayed as changed, not as the submitter's object.
        named.preserved = nil
        return named
    }

    mutating func requestKillDriver(_ id: String, now: Int64, _ actions: inout [MasterAction]) -> KillDriverResponse {
        guard state == .alive else {
            return KillDriverResponse(
                master: configuration.masterRef, driverId: id, success: false,
                message: "\(Self.notAlivePrefix): \(state). Can only kill drivers in ALIVE state.")
        }
        actions.append(.log(.info, "Asked to kill driver \(id)"))
        guard killDriver(id, now: now, &actions) else {
            let message = "Driver \(id) has already finished or does not exist"
            actions.append(.log(.warning, message))
            return KillDriverResponse(master: configuration.masterRef, driverId: id, success: false, message: message)
        }
        let message = "Kill request for \(id) submitted"
        actions.append(.log(.info, message))
        return KillDriverResponse(master: configuration.masterRef, driverId: id, success: true, message: message)
    }

    /// A waiting driver is dropped as KILLED; a running one is killed by its worker.
    mutating func killDriver(_ id: String, now: Int64, _ actions: inout [MasterAction]) -> Bool {
        guard let driver = drivers[id] else { return false }
        if waitingDrivers.contains(id) {
            waitingDrivers.removeAll { $0 == id }
            removeDriver(id, finalState: .killed, exception: nil, now: now, &actions)
        } else if let workerId = driver.workerId, let serial = idToWorker[workerId], let worker = workers[serial] {
            // The final bookkeeping happens when the worker reports the driver's end.
            actions.append(.send(.killDriver(KillDriver(driverId: id)), to: worker.endpoint))
        }
        return true
    }

    mutating func killAllDrivers(now: Int64, _ actions: inout [MasterAction]) -> KillAllDriversResponse {
        guard state == .alive else {
            return KillAllDriversResponse(
                master: configuration.masterRef, success: false,
                message: "\(Self.notAlivePrefix): \(state). Can only kill drivers in ALIVE state.")
        }
        actions.append(.log(.info, "Asked to kill all drivers"))
        for id in driverOrder {
            _ = killDriver(id, now: now, &actions)
            actions.append(.log(.info, "Kill request for \(id) submitted"))
        }
        return KillAllDriversResponse(master: configuration.masterRef, success: true, message: "Kill request for all drivers submitted")
    }

    func driverStatus(_ id: String) -> DriverStatusResponse {
        guard state == .alive else {
            return DriverStatusResponse(
                found: false, state: nil, workerId: nil, workerHostPort: nil,
                exception: JavaExceptionInfo(
                    className: "java.lang.Exception",
                    message: "\(Self.notAlivePrefix): \(state). Can only request driver status in ALIVE state."))
        }
        guard let driver = drivers[id] ?? completedDrivers.last(where: { $0.id == id }) else {
            return DriverStatusResponse(found: false, state: nil, workerId: nil, workerHostPort: nil, exception: nil)
        }
        let worker = driver.workerId.flatMap { workerId in workers.values.first { $0.id == workerId } }
        return DriverStatusResponse(
            found: true, state: driver.state, workerId: driver.workerId, workerHostPort: worker?.hostPort,
            exception: driver.exception)
    }

    mutating func launchDriver(_ id: String, on serial: Int, _ actions: inout [MasterAction]) {
        guard var driver = drivers[id], var worker = workers[serial] else { return }
        actions.append(.log(.info, "Launching driver \(id) on worker \(worker.id)"))
        driver.resources = worker.acquire(driver.desc.resourceReqs)
        worker.drivers.insert(id)
        worker.coresUsed += driver.desc.cores
        worker.memoryUsed += driver.desc.mem
        driver.workerId = worker.id
        driver.state = .running
        drivers[id] = driver
        workers[serial] = worker
        waitingDrivers.removeAll { $0 == id }
        actions.append(.send(.launchDriver(LaunchDriver(driverId: id, driverDesc: driver.desc, resources: driver.resources)), to: worker.endpoint))
    }

    mutating func relaunchDriver(_ id: String, now: Int64, _ actions: inout [MasterAction]) {
        guard let driver = drivers[id] else { return }
        // A new id, so a late report from the old process cannot end the new one.
        removeDriver(id, finalState: .relaunching, exception: nil, now: now, &actions)
        let replacement = createDriver(driver.desc, now: now)
        actions.append(.persist(.addDriver(replacement)))
        drivers[replacement.id] = replacement
        driverOrder.append(replacement.id)
        waitingDrivers.append(replacement.id)
        schedule(now: now, &actions)
    }

    mutating func removeDriver(
        _ id: String, finalState: DriverState, exception: JavaExceptionInfo?, now: Int64, _ actions: inout [MasterAction]
    ) {
        guard var driver = drivers.removeValue(forKey: id) else {
            actions.append(.log(.warning, "Asked to remove unknown driver: \(id)"))
            return
        }
        actions.append(.log(.info, "Removing driver: \(id) (\(finalState), Elapsed time: \(now - driver.startTime) ms)"))
        driverOrder.removeAll { $0 == id }
        waitingDrivers.removeAll { $0 == id }
        if completedDrivers.count >= configuration.retainedDrivers {
            completedDrivers.removeFirst(min(completedDrivers.count, max(configuration.retainedDrivers / 10, 1)))
        }
        driver.state = finalState
        driver.exception = exception
        if let workerId = driver.workerId, let serial = idToWorker[workerId], workers[serial]?.drivers.contains(id) == true {
            workers[serial]!.drivers.remove(id)
            workers[serial]!.coresUsed -= driver.desc.cores
            workers[serial]!.memoryUsed -= driver.desc.mem
            workers[serial]!.release(driver.resources)
        }
        completedDrivers.append(driver)
        actions.append(.persist(.removeDriver(id: id)))
        schedule(now: now, &actions)
    }
}
