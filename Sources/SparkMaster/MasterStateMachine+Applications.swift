import SparkModel

extension MasterStateMachine {
    // MARK: - Registration

    mutating func registerApplication(_ m: RegisterApplication, now: Int64, _ actions: inout [MasterAction]) {
        // Spark ignores registrations in STANDBY without answering; the driver tries other masters.
        guard state != .standby else { return }
        actions.append(.log(.info, "Registering app \(m.appDescription.name)"))
        if let problem = RequestBounds.problem(with: m.appDescription) {
            // Spark has no refusal to send an application; the driver's registration times out.
            actions.append(.log(.warning, "Refusing application \(m.appDescription.name) from \(Self.appAddress(m.driver)): \(problem)"))
            return
        }
        if let existing = addressToApp[Self.appAddress(m.driver)] {
            // A driver that asks again (its first answer was late or lost) is told the id it already has.
            actions.append(.log(.info, "Attempted to re-register application at same address: \(Self.appAddress(m.driver))"))
            actions.append(.send(.registeredApplication(RegisteredApplication(appId: existing, master: configuration.masterRef)), to: m.driver))
            return
        }
        let id = newApplicationId(name: m.appDescription.name, now: now)
        let app = ApplicationInfo(
            id: id, desc: m.appDescription, driver: m.driver, startTime: now, defaultCores: configuration.defaultCores)
        actions.append(.admit(.application(app)))
    }

    /// An application whose record is stored joins, is acknowledged and scheduled.
    mutating func admitApplication(_ app: ApplicationInfo, now: Int64, _ actions: inout [MasterAction]) {
        guard insertApplication(app) else {
            // Another application took the address meanwhile (the shell hands an outcome back before any
            // other input, so only if one slipped in); the record just stored is dropped unless in use.
            if apps[app.id] == nil { actions.append(.persist(.removeApplication(id: app.id))) }
            actions.append(.log(.warning, "Attempted to re-register application at same address: \(Self.appAddress(app.driver))"))
            return
        }
        actions.append(.log(.info, "Registered app \(app.desc.name) with ID \(app.id)"))
        actions.append(.send(.registeredApplication(RegisteredApplication(appId: app.id, master: configuration.masterRef)), to: app.driver))
        schedule(now: now, &actions)
    }

    /// The key of `addressToApp`: one application per driver address.
    static func appAddress(_ driver: RpcEndpointRef) -> RpcAddress {
        driver.rpcAddress ?? RpcAddress(host: "client", port: 0)
    }

    /// Spark: `registerApplication`; a second application from the same driver address is not added.
    mutating func insertApplication(_ app: ApplicationInfo) -> Bool {
        let address = Self.appAddress(app.driver)
        guard addressToApp[address] == nil else { return false }
        apps[app.id] = app
        addressToApp[address] = app.id
        waitingApps.append(app.id)
        return true
    }

    private mutating func newApplicationId(name: String, now: Int64) -> String {
        if configuration.useAppNameAsAppId {
            return String(name.lowercased().filter { !$0.isWhitespace })
        }
        let timestamp = IdentifierFormat.timestamp(epochMillis: now, offsetSeconds: configuration.timeZoneOffsetSeconds)
        let id = IdentifierFormat.format(configuration.appIdPattern, timestamp: timestamp, number: nextAppNumber)
            ?? "app-\(timestamp)-\(nextAppNumber)"
        nextAppNumber += 1
        if let modulo = configuration.appNumberModulo { nextAppNumber %= modulo }
        return id
    }

    // MARK: - Removal

    /// Spark: `removeApplication`.
    mutating func removeApplication(_ id: String, _ finalState: ApplicationState, now: Int64, _ actions: inout [MasterAction]) {
        guard var app = apps.removeValue(forKey: id) else { return }
        actions.append(.log(.info, "Removing app \(id)"))
        if let address = app.driver.rpcAddress, addressToApp[address] == id { addressToApp.removeValue(forKey: address) }
        waitingApps.removeAll { $0 == id }
        for executor in app.executors.values.sorted(by: { $0.id < $1.id }) {
            killExecutor(executor, &actions)
            app.setExecutorState(executor.id, .killed)
        }
        app.markFinished(finalState, now: now)
        if completedApps.count >= configuration.retainedApplications {
            completedApps.removeFirst(min(completedApps.count, max(configuration.retainedApplications / 10, 1)))
        }
        completedApps.append(app)
        if finalState != .finished {
            actions.append(.send(.applicationRemoved(ApplicationRemoved(message: finalState.description)), to: app.driver))
        }
        actions.append(.persist(.removeApplication(id: id)))
        schedule(now: now, &actions)
        // Every worker cleans up the application's state.
        for serial in workers.keys.sorted() {
            guard let worker = workers[serial] else { continue }
            actions.append(.send(.applicationFinished(ApplicationFinished(id: id)), to: worker.endpoint))
        }
    }

    /// Spark: `killExecutor` — the worker stops it; the master forgets it on that worker.
    mutating func killExecutor(_ executor: ExecutorDesc, _ actions: inout [MasterAction]) {
        guard let serial = idToWorker[executor.workerId] ?? workers.first(where: { $0.value.id == executor.workerId })?.key,
              let worker = workers[serial]
        else { return }
        workers[serial]?.removeExecutor(executor)
        actions.append(.send(.killExecutor(KillExecutor(masterUrl: configuration.masterUrl, appId: executor.appId, execId: executor.id)), to: worker.endpoint))
    }

    // MARK: - Executor updates

    mutating func executorStateChanged(_ m: ExecutorStateChanged, now: Int64, _ actions: inout [MasterAction]) {
        guard let app = apps[m.appId], let executor = app.executors[m.execId] else {
            actions.append(.log(.warning, "Got status update for unknown executor \(m.appId)/\(m.execId)"))
            return
        }
        let oldState = executor.state
        apps[m.appId]?.setExecutorState(m.execId, m.state)
        if m.state == .running {
            if oldState != .launching {
                actions.append(.log(.warning, "executor \(m.execId) state transfer from \(oldState) to RUNNING is illegal"))
            }
            apps[m.appId]?.resetRetryCount()
        }
        actions.append(.send(.executorUpdated(ExecutorUpdated(
            id: m.execId, state: m.state, message: m.message, exitStatus: m.exitStatus, workerHost: nil)), to: app.driver))
        if m.state.isFinished {
            actions.append(.log(.info, "Removing executor \(executor.fullId) because it is \(m.state)"))
            if !app.isFinished { apps[m.appId]?.removeExecutor(m.execId) }
            if let serial = idToWorker[executor.workerId] { workers[serial]?.removeExecutor(executor) }
            let normalExit = m.exitStatus == 0
            // Exits on decommissioned workers are expected and do not count.
            if !normalExit, oldState != .decommissioned {
                let retries = apps[m.appId]?.incrementRetryCount() ?? 0
                if configuration.maxExecutorRetries >= 0, retries >= configuration.maxExecutorRetries,
                   let current = apps[m.appId], !current.executors.values.contains(where: { $0.state == .running }) {
                    actions.append(.log(.error, "Application \(current.desc.name) with ID \(current.id) failed \(current.retryCount) times; removing it"))
                    removeApplication(m.appId, .failed, now: now, &actions)
                }
            }
        }
        schedule(now: now, &actions)
    }

    mutating func killExecutors(_ m: KillExecutors, now: Int64, _ actions: inout [MasterAction]) -> Bool {
        guard let app = apps[m.appId] else {
            actions.append(.log(.warning, "Unregistered application \(m.appId) requested us to kill executors!"))
            return false
        }
        var ids: [Int32] = []
        for raw in m.executorIds {
            if let id = Int32(raw) {
                ids.append(id)
            } else {
                actions.append(.log(.error, "Encountered executor with a non-integer ID: \(raw). Ignoring"))
            }
        }
        actions.append(.log(.info, "Application \(m.appId) requests to kill executors: \(ids.map(String.init).joined(separator: ", "))"))
        var unknown: [Int32] = []
        for id in ids {
            guard let executor = app.executors[id] else {
                unknown.append(id)
                continue
            }
            // Listed among the removed executors as KILLED, as Spark's `killExecutor` marks it.
            apps[m.appId]?.setExecutorState(id, .killed)
            apps[m.appId]?.removeExecutor(id)
            killExecutor(executor, &actions)
        }
        if !unknown.isEmpty {
            actions.append(.log(.warning, "Application \(m.appId) attempted to kill non-existent executors: \(unknown.map(String.init).joined(separator: ", "))"))
        }
        schedule(now: now, &actions)
        return true
    }
}
