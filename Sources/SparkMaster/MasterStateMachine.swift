import SparkConfig
import SparkModel

/// The standalone master's logic as a value: inputs in, actions out (Spark: `Master`).
///
/// Time comes in with every input, randomness from a seeded generator; nothing here touches a
/// socket, a clock or the file system.
public struct MasterStateMachine: Sendable {
    public let configuration: MasterConfiguration
    public internal(set) var state: RecoveryState = .standby

    /// Every worker still listed (DEAD ones until culled), by an internal serial number.
    public internal(set) var workers: [Int: WorkerInfo] = [:]
    var nextWorkerSerial = 0
    var idToWorker: [String: Int] = [:]
    var addressToWorker: [RpcAddress: Int] = [:]

    /// Registered, not yet removed applications.
    public internal(set) var apps: [String: ApplicationInfo] = [:]
    /// Registration order of `apps` (Spark's `waitingApps`: FIFO scheduling order).
    public internal(set) var waitingApps: [String] = []
    public internal(set) var completedApps: [ApplicationInfo] = []
    var addressToApp: [RpcAddress: String] = [:]
    var nextAppNumber = 0

    public internal(set) var drivers: [String: DriverInfo] = [:]
    var driverOrder: [String] = []
    public internal(set) var waitingDrivers: [String] = []
    public internal(set) var completedDrivers: [DriverInfo] = []
    var nextDriverNumber = 0

    var random: SplitMix64
    var recoveryStartTime: Int64 = 0

    public init(configuration: MasterConfiguration, seed: UInt64) {
        self.configuration = configuration
        self.random = SplitMix64(seed: seed)
    }

    var masterUrl: String { configuration.masterUrl }
    var selfRef: RpcEndpointRef { configuration.masterRef }

    /// Workers in listing order (registration order).
    public var workerList: [WorkerInfo] { workers.keys.sorted().compactMap { workers[$0] } }

    /// Active applications in registration order.
    public var activeApps: [ApplicationInfo] { waitingApps.compactMap { apps[$0] } }

    /// Running and waiting drivers in submission order.
    public var activeDrivers: [DriverInfo] { driverOrder.compactMap { drivers[$0] } }

    // MARK: - Start

    /// The first actions: the periodic worker timeout check.
    public mutating func start(now: Int64) -> [MasterAction] {
        [
            .log(.info, "Starting Spark master at \(masterUrl)"),
            .log(.info, "Running Spark version \(configuration.sparkVersion)"),
            .scheduleTimer(.checkForWorkerTimeOut, afterMs: configuration.workerTimeoutMs),
        ]
    }

    // MARK: - Inputs

    public mutating func handle(_ input: MasterInput, now: Int64) -> [MasterAction] {
        var actions: [MasterAction] = []
        switch input {
        case .electedLeader(let persisted):
            electedLeader(persisted, now: now, &actions)
        case .revokedLeadership:
            actions.append(.log(.error, "Leadership has been revoked -- master shutting down."))
            actions.append(.exit(code: 0))
        case .message(let message, let sender, let call):
            receive(message, sender: sender, call: call, now: now, &actions)
        case .disconnected(let address):
            disconnected(address, now: now, &actions)
        case .timerFired(.checkForWorkerTimeOut):
            timeOutDeadWorkers(now: now, &actions)
            actions.append(.scheduleTimer(.checkForWorkerTimeOut, afterMs: configuration.workerTimeoutMs))
        case .timerFired(.completeRecovery):
            completeRecovery(now: now, &actions)
        case .killApplication(let id):
            if let app = apps[id] {
                actions.append(.log(.info, "Received kill request for application \(id)"))
                removeApplication(app.id, .killed, now: now, &actions)
            }
        case .killDriver(let id):
            // The web UI asks as Spark's page does (`RequestKillDriver`): only while ALIVE, and logged.
            _ = requestKillDriver(id, now: now, &actions)
        case .decommissionWorkers(let ids):
            // Spark: each worker known is decommissioned here and told so.
            guard state != .standby else { break }
            for id in ids {
                guard let serial = idToWorker[id], let worker = workers[serial] else { continue }
                decommissionWorker(serial, &actions)
                actions.append(.send(.decommissionWorker, to: worker.endpoint))
            }
        case .stored(.worker(let worker, let masterAddress)):
            admitWorker(worker, masterAddress: masterAddress, now: now, &actions)
        case .stored(.application(let app)):
            admitApplication(app, now: now, &actions)
        case .stored(.driver(let driver, let call)):
            admitDriver(driver, call: call, now: now, &actions)
        case .notStored(let admission, let reason):
            refuseUnstored(admission, reason: reason, &actions)
        case .clearCompletedDriversAndApps:
            actions.append(.log(.info, "Asked to clear \(completedDrivers.count) completed drivers and \(completedApps.count) completed apps."))
            completedDrivers.removeAll()
            completedApps.removeAll()
        }
        return actions
    }

    mutating func receive(
        _ message: SparkMessage, sender: RpcAddress, call: CallID?, now: Int64, _ actions: inout [MasterAction]
    ) {
        switch message {
        case .registerWorker(let m):
            registerWorker(m, now: now, &actions)
        case .registerApplication(let m):
            registerApplication(m, now: now, &actions)
        case .heartbeat(let m):
            heartbeat(m, now: now, &actions)
        case .executorStateChanged(let m):
            executorStateChanged(m, now: now, &actions)
            if let call { actions.append(.reply(call, .boolean(true))) }
        case .workerLatestState(let m):
            workerLatestState(m, &actions)
        case .unregisterApplication(let m):
            actions.append(.log(.info, "Received unregister request from application \(m.appId)"))
            if apps[m.appId] != nil { removeApplication(m.appId, .finished, now: now, &actions) }
        case .masterChangeAcknowledged(let m):
            if apps[m.appId] != nil {
                actions.append(.log(.info, "Application has been re-registered: \(m.appId)"))
                apps[m.appId]?.state = .waiting
            } else {
                actions.append(.log(.warning, "Master change ack from unknown app: \(m.appId)"))
            }
            if canCompleteRecovery { completeRecovery(now: now, &actions) }
        case .workerSchedulerStateResponse(let m):
            workerSchedulerStateResponse(m, &actions)
            if canCompleteRecovery { completeRecovery(now: now, &actions) }
        case .workerDecommissioning(let m):
            if state == .standby {
                actions.append(.send(.masterInStandby, to: m.workerRef))
            } else if let serial = idToWorker[m.id] {
                decommissionWorker(serial, &actions)
            }
        case .driverStateChanged(let m):
            switch m.state {
            case .error, .finished, .killed, .failed:
                removeDriver(m.driverId, finalState: m.state, exception: m.exception, now: now, &actions)
            case .submitted, .running, .relaunching, .unknown:
                actions.append(.log(.error, "Received unexpected state update for driver \(m.driverId): \(m.state)"))
            }
        case .requestExecutors(let m):
            var accepted = apps[m.appId] != nil
            if !accepted {
                actions.append(.log(.warning, "Unknown application \(m.appId) requested executors."))
            } else if let problem = m.resourceProfileToTotalExecs.lazy.compactMap({ profile, total in
                total < 0 ? "\(total) executors of resource profile \(profile.id)" : RequestBounds.problem(with: profile)
            }).first {
                actions.append(.log(.warning, "Application \(m.appId) requested executors the master cannot count with (\(problem)); ignored."))
                accepted = false
            } else {
                actions.append(.log(.info, "Application \(m.appId) requested executors: \(m.resourceProfileToTotalExecs.map { "\($0.0.id)→\($0.1)" })."))
                apps[m.appId]?.requestExecutors(m.resourceProfileToTotalExecs)
                schedule(now: now, &actions)
            }
            reply(call, .boolean(accepted), &actions)
        case .killExecutors(let m):
            reply(call, .boolean(killExecutors(m, now: now, &actions)), &actions)
        case .requestSubmitDriver(let m):
            submitDriver(m.driverDescription, call: call, now: now, &actions)
        case .requestKillDriver(let m):
            reply(call, .killDriverResponse(requestKillDriver(m.driverId, now: now, &actions)), &actions)
        case .requestKillAllDrivers:
            reply(call, .killAllDriversResponse(killAllDrivers(now: now, &actions)), &actions)
        case .requestDriverStatus(let m):
            reply(call, .driverStatusResponse(driverStatus(m.driverId)), &actions)
        case .checkExistence, .registeredWorker, .registerWorkerFailed, .masterInStandby, .reconnectWorker,
             .launchExecutor, .killExecutor, .launchDriver, .killDriver, .applicationFinished, .masterChanged,
             .decommissionWorker, .registeredApplication, .executorAdded, .executorUpdated, .workerRemoved,
             .applicationRemoved, .submitDriverResponse, .killDriverResponse, .driverStatusResponse,
             .killAllDriversResponse, .boolean, .rpcFailure, .unknown:
            // Spark answers an ask it cannot handle with a SparkException; a send is only logged.
            if let call {
                actions.append(.reply(call, .rpcFailure(JavaExceptionInfo(
                    className: "org.apache.spark.SparkException",
                    message: "Unsupported message \(message.name) from \(sender)"))))
            } else {
                actions.append(.log(.warning, "Ignoring unexpected message \(message.name) from \(sender)"))
            }
        }
    }

    func reply(_ call: CallID?, _ message: SparkMessage, _ actions: inout [MasterAction]) {
        if let call { actions.append(.reply(call, message)) }
    }

    /// A registration whose record could not be stored is not taken on: a failover would lose it.
    /// Workers and drivers register again on their own; a submitter is told.
    mutating func refuseUnstored(_ admission: Admission, reason: String, _ actions: inout [MasterAction]) {
        switch admission {
        case .worker(let worker, _):
            actions.append(.log(.error, "Worker \(worker.id) not registered: its recovery record could not be stored (\(reason)). It will register again."))
        case .application(let app):
            actions.append(.log(.error, "App \(app.desc.name) not registered as \(app.id): its recovery record could not be stored (\(reason)). Its driver will register again."))
        case .driver(let driver, let call):
            let message = "Driver \(driver.id) not submitted: its recovery record could not be stored (\(reason))"
            actions.append(.log(.error, message))
            reply(call, .submitDriverResponse(SubmitDriverResponse(
                master: configuration.masterRef, success: false, driverId: nil, message: message)), &actions)
        }
    }

    // MARK: - Leadership and recovery

    mutating func electedLeader(_ persisted: PersistedState, now: Int64, _ actions: inout [MasterAction]) {
        state = persisted.isEmpty ? .alive : .recovering
        actions.append(.log(.info, "I have been elected leader! New state: \(state)"))
        guard state == .recovering else {
            schedule(now: now, &actions)
            return
        }
        if beginRecovery(persisted, now: now, &actions) {
            actions.append(.scheduleTimer(.completeRecovery, afterMs: configuration.effectiveRecoveryTimeoutMs))
        }
    }

    /// Spark: `beginRecovery`; returns whether recovery must wait for answers.
    mutating func beginRecovery(_ persisted: PersistedState, now: Int64, _ actions: inout [MasterAction]) -> Bool {
        recoveryStartTime = now
        let changed = MasterChanged(master: selfRef, masterWebUiUrl: configuration.masterWebUiUrl)
        for stored in persisted.applications {
            actions.append(.log(.info, "Trying to recover app: \(stored.id)"))
            let app = stored.recovered()
            if insertApplication(app) {
                actions.append(.send(.masterChanged(changed), to: app.driver))
            }
        }
        for driver in persisted.drivers where drivers[driver.id] == nil {
            drivers[driver.id] = driver
            driverOrder.append(driver.id)
        }
        for stored in persisted.workers {
            actions.append(.log(.info, "Trying to recover worker: \(stored.id)"))
            let worker = stored.recovered(now: now)
            if let serial = insertWorker(worker, now: now, &actions) {
                actions.append(.send(.masterChanged(changed), to: workers[serial]!.endpoint))
            }
        }
        if canCompleteRecovery {
            completeRecovery(now: now, &actions)
            return false
        }
        return true
    }

    var canCompleteRecovery: Bool {
        !workers.values.contains { $0.state == .unknown } && !apps.values.contains { $0.state == .unknown }
    }

    mutating func completeRecovery(now: Int64, _ actions: inout [MasterAction]) {
        guard state == .recovering else { return }
        state = .completingRecovery
        actions.append(.cancelTimer(.completeRecovery))
        for serial in workers.keys.sorted() where workers[serial]?.state == .unknown {
            removeWorker(serial, message: "Not responding for recovery", now: now, &actions)
        }
        for id in waitingApps where apps[id]?.state == .unknown {
            removeApplication(id, .finished, now: now, &actions)
        }
        for id in waitingApps where apps[id]?.state == .waiting {
            apps[id]?.state = .running
        }
        for id in driverOrder where drivers[id]?.workerId == nil {
            guard let driver = drivers[id] else { continue }
            actions.append(.log(.warning, "Driver \(id) was not found after master recovery"))
            if driver.desc.supervise {
                actions.append(.log(.warning, "Re-launching \(id)"))
                relaunchDriver(id, now: now, &actions)
            } else {
                removeDriver(id, finalState: .error, exception: nil, now: now, &actions)
                actions.append(.log(.warning, "Did not re-launch \(id) because it was not supervised"))
            }
        }
        state = .alive
        schedule(now: now, &actions)
        actions.append(.log(.info, "Recovery complete in \(now - recoveryStartTime) ms - resuming operations!"))
    }

    // MARK: - Workers

    mutating func registerWorker(_ m: RegisterWorker, now: Int64, _ actions: inout [MasterAction]) {
        actions.append(.log(.info, "Registering worker \(m.host):\(m.port) with \(m.cores) cores, \(Self.megabytesToString(m.memory)) RAM"))
        if let problem = RequestBounds.problem(worker: m.cores, memory: m.memory) {
            actions.append(.log(.warning, "Worker registration failed: \(problem)"))
            actions.append(.send(.registerWorkerFailed(RegisterWorkerFailed(message: "Invalid worker registration: \(problem)")), to: m.worker))
            return
        }
        if state == .standby {
            actions.append(.send(.masterInStandby, to: m.worker))
            return
        }
        if let serial = idToWorker[m.id] {
            if workers[serial]?.state == .unknown {
                actions.append(.log(.info, "Worker has been re-registered: \(m.id)"))
                workers[serial]?.state = .alive
            }
            actions.append(.send(.registeredWorker(RegisteredWorker(
                master: selfRef, masterWebUiUrl: configuration.masterWebUiUrl, masterAddress: m.masterAddress,
                duplicate: true)), to: m.worker))
            return
        }
        var resources: [String: WorkerResource] = [:]
        for (name, info) in m.resources { resources[name] = WorkerResource(name: name, addresses: info.addresses) }
        let worker = WorkerInfo(
            id: m.id, host: m.host, port: m.port, endpoint: m.worker, cores: m.cores, memory: m.memory,
            webUiAddress: m.workerWebUiUrl, resources: resources, now: now)
        guard !holdsAddress(of: worker) else {
            refuseWorker(worker, &actions)
            return
        }
        actions.append(.admit(.worker(worker, masterAddress: m.masterAddress)))
    }

    /// A worker whose record is stored joins and is acknowledged.
    mutating func admitWorker(_ worker: WorkerInfo, masterAddress: RpcAddress, now: Int64, _ actions: inout [MasterAction]) {
        // The shell hands an outcome back before any other input, so the two checks below do not fail
        // unless a registration slipped in meanwhile.
        guard idToWorker[worker.id] == nil else {
            actions.append(.send(.registeredWorker(RegisteredWorker(
                master: selfRef, masterWebUiUrl: configuration.masterWebUiUrl, masterAddress: masterAddress,
                duplicate: true)), to: worker.endpoint))
            return
        }
        guard let serial = insertWorker(worker, now: now, &actions) else {
            actions.append(.persist(.removeWorker(id: worker.id)))
            refuseWorker(worker, &actions)
            return
        }
        actions.append(.send(.registeredWorker(RegisteredWorker(
            master: selfRef, masterWebUiUrl: configuration.masterWebUiUrl, masterAddress: masterAddress,
            duplicate: false)), to: workers[serial]!.endpoint))
        schedule(now: now, &actions)
    }

    private func refuseWorker(_ worker: WorkerInfo, _ actions: inout [MasterAction]) {
        let address = worker.endpoint.description
        actions.append(.log(.warning, "Worker registration failed. Attempted to re-register worker at same address: \(address)"))
        actions.append(.send(.registerWorkerFailed(RegisterWorkerFailed(
            message: "Attempted to re-register worker at same address: \(address)")), to: worker.endpoint))
    }

    /// Whether a live worker holds `worker`'s address: `insertWorker` would refuse it.
    func holdsAddress(of worker: WorkerInfo) -> Bool {
        guard let serial = addressToWorker[worker.address], let old = workers[serial] else { return false }
        return old.state != .unknown && old.state != .dead
    }

    /// Spark: `registerWorker`; `nil` when a live worker already holds the address.
    mutating func insertWorker(_ worker: WorkerInfo, now: Int64, _ actions: inout [MasterAction]) -> Int? {
        // Dead workers on the same host:port are dropped.
        for (serial, existing) in workers where existing.host == worker.host && existing.port == worker.port && existing.state == .dead {
            workers.removeValue(forKey: serial)
        }
        let address = worker.address
        if let existing = addressToWorker[address], let old = workers[existing] {
            guard old.state == .unknown else {
                actions.append(.log(.info, "Attempted to re-register worker at same address: \(address)"))
                return nil
            }
            // A worker restarted during recovery replaces its old self.
            removeWorker(existing, message: "Worker replaced by a new worker with same address", now: now, &actions)
        }
        let serial = nextWorkerSerial
        nextWorkerSerial += 1
        workers[serial] = worker
        idToWorker[worker.id] = serial
        addressToWorker[address] = serial
        return serial
    }

    mutating func heartbeat(_ m: Heartbeat, now: Int64, _ actions: inout [MasterAction]) {
        if let serial = idToWorker[m.workerId] {
            workers[serial]?.lastHeartbeat = now
        } else if workers.values.contains(where: { $0.id == m.workerId }) {
            actions.append(.log(.warning, "Got heartbeat from unregistered worker \(m.workerId). Asking it to re-register."))
            actions.append(.send(.reconnectWorker(ReconnectWorker(masterUrl: masterUrl)), to: m.worker))
        } else {
            actions.append(.log(.warning, "Got heartbeat from unregistered worker \(m.workerId). This worker was never registered, so ignoring the heartbeat."))
        }
    }

    mutating func workerLatestState(_ m: WorkerLatestState, _ actions: inout [MasterAction]) {
        guard let serial = idToWorker[m.id], let worker = workers[serial] else {
            actions.append(.log(.warning, "Worker state from unknown worker: \(m.id)"))
            return
        }
        for executor in m.executors where worker.executors["\(executor.appId)/\(executor.execId)"] == nil {
            // Unknown to the master: the worker must kill it.
            actions.append(.send(.killExecutor(KillExecutor(masterUrl: masterUrl, appId: executor.appId, execId: executor.execId)), to: worker.endpoint))
        }
        for driverId in m.driverIds where !worker.drivers.contains(driverId) {
            actions.append(.send(.killDriver(KillDriver(driverId: driverId)), to: worker.endpoint))
        }
    }

    mutating func workerSchedulerStateResponse(_ m: WorkerSchedulerStateResponse, _ actions: inout [MasterAction]) {
        guard let serial = idToWorker[m.id] else {
            actions.append(.log(.warning, "Scheduler state from unknown worker: \(m.id)"))
            return
        }
        actions.append(.log(.info, "Worker has been re-registered: \(m.id)"))
        workers[serial]?.state = .alive
        for response in m.execResponses where apps[response.desc.appId] != nil {
            let desc = response.desc
            if let problem = RequestBounds.problem(with: desc)
                ?? RequestBounds.problem(holding: desc.cores, memory: desc.memoryMb, on: workers[serial]!, granted: apps[desc.appId]!.coresGranted) {
                actions.append(.log(.warning, "Worker \(m.id) reports an executor of \(desc.appId) the master cannot count with (\(problem)); ignored."))
                continue
            }
            var executor = apps[desc.appId]!.addExecutor(
                workerId: m.id, cores: desc.cores, memory: desc.memoryMb, resources: response.resources,
                rpId: desc.rpId, useId: desc.execId)
            executor.state = desc.state
            apps[desc.appId]!.setExecutorState(executor.id, desc.state)
            workers[serial]!.addExecutor(executor)
            workers[serial]!.recover(response.resources)
        }
        for response in m.driverResponses {
            guard let driver = drivers[response.driverId] else { continue }
            if workers[serial]!.drivers.contains(response.driverId) == false,
               let problem = RequestBounds.problem(holding: driver.desc.cores, memory: driver.desc.mem, on: workers[serial]!) {
                actions.append(.log(.warning, "Worker \(m.id) reports driver \(response.driverId), which the master cannot count with (\(problem)); ignored."))
                continue
            }
            drivers[response.driverId]!.workerId = m.id
            drivers[response.driverId]!.state = .running
            drivers[response.driverId]!.resources = response.resources
            workers[serial]!.recover(response.resources)
            // The driver holds its cores and memory on the worker again (Spark: WorkerInfo.addDriver).
            if workers[serial]!.drivers.insert(response.driverId).inserted {
                workers[serial]!.coresUsed += driver.desc.cores
                workers[serial]!.memoryUsed += driver.desc.mem
            }
        }
    }

    mutating func timeOutDeadWorkers(now: Int64, _ actions: inout [MasterAction]) {
        let timeout = configuration.workerTimeoutMs
        for serial in workers.keys.sorted() {
            guard let worker = workers[serial], worker.lastHeartbeat < now - timeout else { continue }
            if worker.state != .dead {
                actions.append(.log(.warning, "Removing \(worker.id) because we got no heartbeat in \(timeout) ms"))
                removeWorker(serial, message: "Not receiving heartbeat for \(timeout / 1000) seconds", now: now, &actions)
            } else if worker.lastHeartbeat < now - Int64(configuration.reaperIterations + 1) * timeout {
                // Listed as DEAD for long enough; cull it.
                workers.removeValue(forKey: serial)
            }
        }
    }

    mutating func removeWorker(_ serial: Int, message: String, now: Int64, _ actions: inout [MasterAction]) {
        guard var worker = workers[serial] else { return }
        actions.append(.log(.info, "Removing worker \(worker.id) on \(worker.host):\(worker.port)"))
        worker.state = .dead
        workers[serial] = worker
        if idToWorker[worker.id] == serial { idToWorker.removeValue(forKey: worker.id) }
        if addressToWorker[worker.address] == serial { addressToWorker.removeValue(forKey: worker.address) }
        for key in worker.executors.values.sorted(by: { ($0.appId, $0.execId) < ($1.appId, $1.execId) }) {
            guard let app = apps[key.appId] else { continue }
            actions.append(.log(.info, "Telling app of lost executor: \(key.execId)"))
            actions.append(.send(.executorUpdated(ExecutorUpdated(
                id: key.execId, state: .lost, message: "worker lost: \(message)", exitStatus: nil,
                workerHost: worker.host)), to: app.driver))
            apps[key.appId]?.setExecutorState(key.execId, .lost)
            apps[key.appId]?.removeExecutor(key.execId)
        }
        for driverId in worker.drivers.sorted() {
            guard let driver = drivers[driverId] else { continue }
            if driver.desc.supervise {
                actions.append(.log(.info, "Re-launching \(driverId)"))
                relaunchDriver(driverId, now: now, &actions)
            } else {
                actions.append(.log(.info, "Not re-launching \(driverId) because it was not supervised"))
                removeDriver(driverId, finalState: .error, exception: nil, now: now, &actions)
            }
        }
        actions.append(.log(.info, "Telling app of lost worker: \(worker.id)"))
        for id in waitingApps {
            guard let app = apps[id] else { continue }
            actions.append(.send(.workerRemoved(WorkerRemoved(id: worker.id, host: worker.host, message: message)), to: app.driver))
        }
        actions.append(.persist(.removeWorker(id: worker.id)))
        schedule(now: now, &actions)
    }

    /// The workers registered from any of `hosts` (compared without case), as Spark's master
    /// finds them by address for `DecommissionWorkersOnHosts`.
    public func workerIds(onHosts hosts: [String]) -> [String] {
        let wanted = Set(hosts.map { $0.lowercased() })
        return addressToWorker.compactMap { address, serial in wanted.contains(address.host.lowercased()) ? workers[serial]?.id : nil }.sorted()
    }

    mutating func decommissionWorker(_ serial: Int, _ actions: inout [MasterAction]) {
        guard let worker = workers[serial] else { return }
        guard worker.state != .decommissioned else {
            actions.append(.log(.warning, "Skipping decommissioning worker \(worker.id) on \(worker.host):\(worker.port) as worker is already decommissioned"))
            return
        }
        actions.append(.log(.info, "Decommissioning worker \(worker.id) on \(worker.host):\(worker.port)"))
        workers[serial]?.state = .decommissioned
        for key in worker.executors.values.sorted(by: { ($0.appId, $0.execId) < ($1.appId, $1.execId) }) {
            actions.append(.log(.info, "Telling app of decommission executors"))
            guard let app = apps[key.appId] else { continue }
            actions.append(.send(.executorUpdated(ExecutorUpdated(
                id: key.execId, state: .decommissioned, message: "worker decommissioned", exitStatus: nil,
                workerHost: worker.host)), to: app.driver))
            apps[key.appId]?.setExecutorState(key.execId, .decommissioned)
            apps[key.appId]?.removeExecutor(key.execId)
        }
        actions.append(.persist(.removeWorker(id: worker.id)))
    }

    mutating func disconnected(_ address: RpcAddress, now: Int64, _ actions: inout [MasterAction]) {
        let worker = addressToWorker[address]
        let app = addressToApp[address]
        // Spark logs every address that went, whoever it was.
        actions.append(.log(.info, "\(address) got disassociated, removing it."))
        guard worker != nil || app != nil else { return }
        if let worker { removeWorker(worker, message: "\(address) got disassociated", now: now, &actions) }
        if let app, apps[app] != nil { removeApplication(app, .finished, now: now, &actions) }
        if state == .recovering && canCompleteRecovery { completeRecovery(now: now, &actions) }
    }

    static func megabytesToString(_ megabytes: Int32) -> String { ByteSizes.megabytesToString(Int64(megabytes)) }
}

extension MasterStateMachine {
    /// Handles `input` with a store that answers at once: `store` returns nil once a record is stored,
    /// else the reason it was not. Each `.admit` is followed by the actions of its outcome, as the
    /// master's shell performs them (for tests, benchmarks and replays without a store of their own).
    public mutating func handle(_ input: MasterInput, now: Int64, store: (PersistenceChange) -> String?) -> [MasterAction] {
        var result: [MasterAction] = []
        for action in handle(input, now: now) {
            result.append(action)
            if case .admit(let admission) = action {
                let outcome = store(admission.record).map { MasterInput.notStored(admission, reason: $0) } ?? .stored(admission)
                result += handle(outcome, now: now, store: store)
            }
        }
        return result
    }
}
