import SparkModel

extension MasterStateMachine {
    /// Spark: `schedule` — drivers first, then executors, whenever resources or demand change.
    mutating func schedule(now: Int64, _ actions: inout [MasterAction]) {
        guard state == .alive else { return }
        scheduleDrivers(&actions)
        startExecutorsOnWorkers(&actions)
    }

    private mutating func scheduleDrivers(_ actions: inout [MasterAction]) {
        guard !waitingDrivers.isEmpty else { return }
        let aliveSerials = workers.keys.sorted().filter { workers[$0]?.isAlive == true }
        if configuration.spreadOutDrivers {
            let shuffled = aliveSerials.shuffled(using: &random)
            var cursor = 0
            for driverId in waitingDrivers {
                guard let driver = drivers[driverId] else { continue }
                var launched = (drivers.count - waitingDrivers.count) >= configuration.maxDrivers
                var clusterIdle = !launched
                var visited = 0
                while visited < shuffled.count && !launched {
                    let serial = shuffled[cursor]
                    let worker = workers[serial]!
                    clusterIdle = worker.drivers.isEmpty && worker.executors.isEmpty
                    visited += 1
                    if canLaunch(worker, memory: driver.desc.mem, cores: driver.desc.cores, requirements: driver.desc.resourceReqs) {
                        launchDriver(driverId, on: serial, &actions)
                        launched = true
                    }
                    cursor = (cursor + 1) % shuffled.count
                }
                if !launched && clusterIdle {
                    actions.append(.log(.warning, "Driver \(driverId) requires more resource than any of Workers could have."))
                }
            }
        } else {
            for driverId in waitingDrivers {
                guard let driver = drivers[driverId], (drivers.count - waitingDrivers.count) < configuration.maxDrivers else { continue }
                let sortedById = aliveSerials.sorted { workers[$0]!.id < workers[$1]!.id }
                if let serial = sortedById.first(where: {
                    canLaunch(workers[$0]!, memory: driver.desc.mem, cores: driver.desc.cores, requirements: driver.desc.resourceReqs)
                }) {
                    launchDriver(driverId, on: serial, &actions)
                } else {
                    actions.append(.log(.warning, "Driver \(driverId) requires more resource than any of Workers could have."))
                }
            }
        }
    }

    private func canLaunch(_ worker: WorkerInfo, memory: Int32, cores: Int32, requirements: [ResourceRequirement]) -> Bool {
        worker.memoryFree >= memory && worker.coresFree >= cores && worker.meets(requirements)
    }

    /// Spark: `startExecutorsOnWorkers` — FIFO over applications, ascending profile ids within one.
    private mutating func startExecutorsOnWorkers(_ actions: inout [MasterAction]) {
        for appId in waitingApps {
            guard let profiles = apps[appId]?.requestedProfileIds else { continue }
            for rpId in profiles {
                actions.append(.log(.info, "Start scheduling for app \(appId) with rpId: \(rpId)"))
                guard let app = apps[appId], let resource = app.resourceDescription(profileId: rpId) else { continue }
                let minCores = resource.coresPerExecutor ?? 1
                guard app.coresLeft >= minCores else { continue }
                let usable = usableWorkers(for: resource)
                if waitingApps.count == 1, app.executors.isEmpty, usable.isEmpty {
                    actions.append(.log(.warning, "App \(appId) requires more resource than any of Workers could have."))
                }
                let assigned = ExecutorScheduling.assignCores(
                    coresLeft: app.coresLeft, resource: resource,
                    workers: usable.map {
                        let worker = workers[$0]!
                        return SchedulableWorker(coresFree: worker.coresFree, memoryFree: worker.memoryFree, resourcesFree: worker.resourcesAmountFree)
                    },
                    existingExecutors: app.executorCount(profileId: rpId),
                    executorLimit: app.targetExecutors(profileId: rpId),
                    spreadOut: configuration.spreadOutApps)
                for (position, cores) in assigned.enumerated() where cores > 0 {
                    allocateExecutors(appId: appId, cores: cores, resource: resource, on: usable[position], rpId: rpId, &actions)
                }
            }
        }
    }

    /// ALIVE workers able to host one executor, ordered by `spark.deploy.workerSelectionPolicy`.
    private func usableWorkers(for resource: ExecutorResourceDescription) -> [Int] {
        let candidates = workers.keys.filter { serial in
            guard let worker = workers[serial], worker.isAlive else { return false }
            return canLaunch(worker, memory: resource.memoryMbPerExecutor, cores: resource.coresPerExecutor ?? 1,
                             requirements: resource.customResourcesPerExecutor)
        }
        func byCores(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (workers[a]!, workers[b]!)
            return (x.coresFree, x.id) < (y.coresFree, y.id)
        }
        func byMemory(_ a: Int, _ b: Int) -> Bool {
            let (x, y) = (workers[a]!, workers[b]!)
            return (x.memoryFree, x.id) < (y.memoryFree, y.id)
        }
        switch configuration.workerSelectionPolicy {
        case .coresFreeAscending: return candidates.sorted(by: byCores)
        case .coresFreeDescending: return candidates.sorted(by: byCores).reversed()
        case .memoryFreeAscending: return candidates.sorted(by: byMemory)
        case .memoryFreeDescending: return candidates.sorted(by: byMemory).reversed()
        case .workerId: return candidates.sorted { workers[$0]!.id < workers[$1]!.id }
        }
    }

    /// Spark: `allocateWorkerResourceToExecutors` + `launchExecutor`.
    private mutating func allocateExecutors(
        appId: String, cores assignedCores: Int32, resource: ExecutorResourceDescription, on serial: Int, rpId: Int32,
        _ actions: inout [MasterAction]
    ) {
        let count = resource.coresPerExecutor.map { assignedCores / $0 } ?? 1
        let coresEach = resource.coresPerExecutor ?? assignedCores
        guard count > 0 else { return }
        for _ in 0..<count {
            guard var worker = workers[serial], var app = apps[appId] else { return }
            let allocated = worker.acquire(resource.customResourcesPerExecutor)
            let executor = app.addExecutor(
                workerId: worker.id, cores: coresEach, memory: resource.memoryMbPerExecutor, resources: allocated, rpId: rpId)
            actions.append(.log(.info, "Launching executor \(executor.fullId) on worker \(worker.id)"))
            worker.addExecutor(executor)
            app.state = .running
            workers[serial] = worker
            apps[appId] = app
            actions.append(.send(.launchExecutor(LaunchExecutor(
                masterUrl: configuration.masterUrl, appId: appId, execId: executor.id, rpId: rpId, appDesc: app.desc,
                cores: executor.cores, memory: executor.memory, resources: allocated)), to: worker.endpoint))
            actions.append(.send(.executorAdded(ExecutorAdded(
                id: executor.id, workerId: worker.id, hostPort: worker.hostPort, cores: executor.cores,
                memory: executor.memory)), to: app.driver))
        }
    }
}
