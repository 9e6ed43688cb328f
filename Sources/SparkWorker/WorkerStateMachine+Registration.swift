import SparkModel

// Registration, heartbeats and master changes (Spark: Worker.registerWithMaster,
// reregisterWithMaster, handleRegisterResponse, changeMaster, onDisconnected).
extension WorkerStateMachine {
    /// Spark: `registerWithMaster`. Does nothing while a retry timer is pending.
    mutating func registerWithMaster(into actions: inout [WorkerAction]) {
        guard !registrationRetryArmed else {
            actions.append(.log(.info, "Not spawning another attempt to register with the master, since there is an attempt scheduled already."))
            return
        }
        registered = false
        sendRegistrations(to: configuration.masters, into: &actions)
        connectionAttemptCount = 0
        registrationRetryArmed = true
        actions.append(.scheduleTimer(.registrationRetry, after: initialRegistrationRetryInterval))
    }

    /// Spark: `reregisterWithMaster`, on each retry tick.
    mutating func reregisterWithMaster(into actions: inout [WorkerAction]) {
        guard phase == .running else { return }
        connectionAttemptCount += 1
        if registered {
            // Registered meanwhile: the timer stops.
            return
        }
        guard connectionAttemptCount <= settings.maxRegistrationRetries else {
            actions.append(.log(.error, "All masters are unresponsive! Giving up."))
            phase = .stopped
            actions.append(.exit(code: 1))
            return
        }
        actions.append(.log(.info, "Retrying connection to master (attempt # \(connectionAttemptCount))"))
        // Once a master answered, the retries go to it alone, so a recovering standby cannot see the
        // worker twice (SPARK-4592); until then, to every configured master.
        if master != nil, let address = masterAddressToConnect ?? master?.rpcAddress {
            sendRegistrations(to: [address], into: &actions)
        } else {
            sendRegistrations(to: configuration.masters, into: &actions)
        }
        // After the initial retries every further one uses the prolonged interval.
        let interval = connectionAttemptCount >= settings.initialRegistrationRetries
            ? prolongedRegistrationRetryInterval : initialRegistrationRetryInterval
        registrationRetryArmed = true
        actions.append(.scheduleTimer(.registrationRetry, after: interval))
    }

    /// `RegisterWorker` to each of `targets`. A registration (the start, a lost master, a master's
    /// `ReconnectWorker`) goes to every configured master, as Spark's `tryRegisterAllMasters`, so a
    /// leader elected meanwhile is found at once.
    private func sendRegistrations(to targets: [RpcAddress], into actions: inout [WorkerAction]) {
        for address in targets {
            actions.append(.log(.info, "Connecting to master \(address.hostPort)..."))
            let ref = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: address, name: "Master"))
            actions.append(.register(RegisterWorker(
                id: workerId, host: configuration.host, port: configuration.port, worker: configuration.workerRef,
                cores: configuration.cores, memory: configuration.memoryMiB, workerWebUiUrl: configuration.webUiURL,
                masterAddress: address, resources: configuration.resources.map { ($0.name, $0) }), master: ref))
        }
    }

    mutating func registeredWorker(_ message: RegisteredWorker, into actions: inout [WorkerAction]) {
        guard phase == .running else { return }
        guard let masterAddress = message.master.rpcAddress else {
            actions.append(.log(.error, "RegisteredWorker carries a master reference without an address: \(message.master)"))
            return
        }
        let preferred = settings.preferConfiguredMasterAddress ? message.masterAddress : masterAddress
        if message.duplicate {
            actions.append(.log(.warning, "Duplicate registration at master \(preferred.sparkURL)"))
        }
        actions.append(.log(.info, "Successfully registered with master \(preferred.sparkURL)"))
        registered = true
        changeMaster(message.master, webUiUrl: message.masterWebUiUrl, addressToConnect: preferred, into: &actions)
        // Spark sends WorkerLatestState right away; the first heartbeat follows on the timer thread.
        actions.append(.send(.workerLatestState(WorkerLatestState(
            id: workerId, executors: executors.map(\.executorDescription), driverIds: driverOrder)), to: message.master))
        actions.append(.send(.heartbeat(Heartbeat(workerId: workerId, worker: configuration.workerRef)), to: message.master))
        if heartbeatArmed { actions.append(.cancelTimer(.heartbeat)) }
        heartbeatArmed = true
        actions.append(.scheduleTimer(.heartbeat, after: settings.heartbeatInterval))
        if settings.cleanupEnabled && !cleanupArmed {
            actions.append(.log(.info, "Worker cleanup enabled; old application directories will be deleted in: \(configuration.workDirectory)"))
            cleanupArmed = true
            actions.append(.scheduleTimer(.workDirCleanup, after: settings.cleanupInterval))
        }
    }

    mutating func masterChanged(_ message: MasterChanged, into actions: inout [WorkerAction]) {
        guard phase == .running else { return }
        guard let address = message.master.rpcAddress else {
            actions.append(.log(.error, "MasterChanged carries a master reference without an address: \(message.master)"))
            return
        }
        actions.append(.log(.info, "Master has changed, new master is at \(address.sparkURL)"))
        changeMaster(message.master, webUiUrl: message.masterWebUiUrl, addressToConnect: address, into: &actions)
        let executorResponses = executors.map {
            WorkerExecutorStateResponse(desc: $0.executorDescription, resources: $0.resources)
        }
        actions.append(.send(.workerSchedulerStateResponse(WorkerSchedulerStateResponse(
            id: workerId, execResponses: executorResponses,
            driverResponses: runningDrivers.map { WorkerDriverStateResponse(driverId: $0.driverId, resources: $0.resources) })),
            to: message.master))
    }

    /// Spark: `changeMaster`.
    private mutating func changeMaster(
        _ ref: RpcEndpointRef, webUiUrl: String, addressToConnect: RpcAddress, into actions: inout [WorkerAction]
    ) {
        activeMasterUrl = ref.rpcAddress.map(\.sparkURL) ?? ""
        activeMasterWebUiUrl = webUiUrl
        masterAddressToConnect = addressToConnect
        master = ref
        connected = true
        if settings.reverseProxy {
            // The master's URL for its UI is its reverse proxy's when it has one (Spark: `changeMaster`).
            let base = webUiUrl.hasSuffix("/") ? String(webUiUrl.dropLast()) : webUiUrl
            actions.append(.log(.info, "WorkerWebUI is available at \(base)/proxy/\(workerId)"))
        }
        if registrationRetryArmed {
            registrationRetryArmed = false
            actions.append(.cancelTimer(.registrationRetry))
        }
    }

    /// Spark: `onDisconnected` → `masterDisconnected` when the address is the master's.
    mutating func connectionClosed(_ addresses: [RpcAddress], into actions: inout [WorkerAction]) {
        guard phase == .running else { return }
        let masterAddresses = [master?.rpcAddress, masterAddressToConnect].compactMap { $0 }
        guard let lost = addresses.first(where: { masterAddresses.contains($0) }) else { return }
        actions.append(.log(.info, "\(lost.hostPort) Disassociated !"))
        actions.append(.log(.error, "Connection to master failed! Waiting for master to reconnect..."))
        connected = false
        registerWithMaster(into: &actions)
    }

    /// Spark: `decommissionSelf`.
    mutating func decommissionSelf(into actions: inout [WorkerAction]) {
        if settings.decommissionEnabled && !decommissioned {
            decommissioned = true
            actions.append(.log(.info, "Decommission worker \(workerId)."))
        } else if decommissioned {
            actions.append(.log(.warning, "Worker \(workerId) already started decommissioning."))
        } else {
            actions.append(.log(.warning, "Receive decommission request, but decommission feature is disabled."))
        }
    }
}
