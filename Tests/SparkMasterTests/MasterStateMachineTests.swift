@testable import SparkMaster
import SparkModel
import Testing

@Suite struct MasterRegistrationTests {
    @Test func workerRegistrationIsAnsweredAndPersisted() {
        var harness = MasterHarness()
        let actions = harness.addWorker(port: 7078)
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [.registeredWorker(RegisteredWorker(
            master: harness.master.configuration.masterRef, masterWebUiUrl: "http://127.0.0.1:8080",
            masterAddress: MasterHarness.masterAddress, duplicate: false))])
        #expect(harness.stored.map(\.kind) == ["addWorker worker-20261126010156-127.0.0.1-7078"])
        #expect(harness.master.workerList.map(\.state) == [.alive])
    }

    @Test func duplicateIdsAreAcknowledgedAsDuplicates() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let again = harness.addWorker(port: 7078)
        guard case .registeredWorker(let reply)? = again.sent(to: MasterHarness.workerRef(port: 7078)).first else {
            Issue.record("no RegisteredWorker")
            return
        }
        #expect(reply.duplicate)
        #expect(harness.master.workerList.count == 1)
    }

    @Test func aSecondWorkerAtTheSameAddressIsRefused() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let other = MasterHarness.registerWorker(port: 7078, id: "worker-other")
        let actions = harness.send(.registerWorker(other), from: RpcAddress(host: "127.0.0.1", port: 7078))
        guard case .registerWorkerFailed(let failure)? = actions.sent(to: other.worker).first else {
            Issue.record("expected RegisterWorkerFailed, got \(actions)")
            return
        }
        #expect(failure.message == "Attempted to re-register worker at same address: spark://Worker@127.0.0.1:7078")
    }

    @Test func aStandbyMasterAnswersWorkersAndIgnoresApplications() {
        var harness = MasterHarness(elect: false)
        let actions = harness.addWorker(port: 7078)
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [.masterInStandby])
        let (id, appActions) = harness.addApp(port: 40000)
        #expect(id.isEmpty)
        #expect(appActions.messages.isEmpty)
    }

    @Test func applicationIdsFollowSparksPattern() {
        var harness = MasterHarness()
        #expect(harness.addApp(port: 40000).id == "app-20261126010221-0000")
        #expect(harness.addApp(port: 40001).id == "app-20261126010221-0001")
        #expect(IdentifierFormat.javaDateString(epochMillis: 1_795_654_941_256) == "Thu Nov 26 01:02:21 UTC 2026")
        #expect(IdentifierFormat.format("app-%s-%04d", timestamp: "20231101000000", number: 12) == "app-20231101000000-0012")
        #expect(IdentifierFormat.format("bad %x", timestamp: "t", number: 1) == nil)
    }

    @Test func anUnsupportedAskGetsASparkException() {
        var harness = MasterHarness()
        let (reply, _) = harness.ask(.applicationFinished(ApplicationFinished(id: "x")), from: RpcAddress(host: "127.0.0.1", port: 1))
        guard case .rpcFailure(let failure)? = reply else {
            Issue.record("expected an RpcFailure reply, got \(String(describing: reply))")
            return
        }
        #expect(failure.className == "org.apache.spark.SparkException")
    }
}

@Suite struct MasterSchedulingTests {
    @Test func aSparkShellGetsOneExecutorPerWorkerWithAllItsCores() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        harness.addWorker(port: 7079)
        let (id, actions) = harness.addApp(port: 40000)
        let launches = actions.launches
        #expect(launches.count == 2)
        #expect(Set(launches.map(\.1)) == [MasterHarness.workerRef(port: 7078), MasterHarness.workerRef(port: 7079)])
        #expect(launches.map(\.0.cores) == [2, 2])
        #expect(launches.map(\.0.memory) == [1024, 1024])
        #expect(launches.map(\.0.execId).sorted() == [0, 1])
        #expect(launches.allSatisfy { $0.0.appId == id && $0.0.masterUrl == "spark://127.0.0.1:7077" })
        let added = actions.sent(to: MasterHarness.driverRef(port: 40000)).compactMap { if case .executorAdded(let m) = $0 { return m } else { return nil } }
        #expect(added.map(\.hostPort).sorted() == ["127.0.0.1:7078", "127.0.0.1:7079"])
        #expect(harness.master.apps[id]?.state == .running)
    }

    @Test func coresMaxAndExecutorCoresLimitWhatIsLaunched() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 8192)
        harness.addWorker(port: 7079, cores: 4, memory: 8192)
        let (_, actions) = harness.addApp(port: 40000, MasterHarness.application(maxCores: 3, executorCores: 1, memory: 512))
        #expect(actions.launches.count == 3)
        #expect(actions.launches.allSatisfy { $0.0.cores == 1 && $0.0.memory == 512 })
        // Spread out: both workers are used.
        #expect(Set(actions.launches.map(\.1)).count == 2)
    }

    @Test func withoutSpreadingOutOneWorkerIsFilledFirst() {
        var harness = MasterHarness { $0.spreadOutApps = false }
        harness.addWorker(port: 7078, cores: 4, memory: 8192)
        harness.addWorker(port: 7079, cores: 4, memory: 8192)
        let (_, actions) = harness.addApp(port: 40000, MasterHarness.application(maxCores: 4, executorCores: 2, memory: 512))
        #expect(actions.launches.count == 2)
        #expect(Set(actions.launches.map(\.1)).count == 1)
    }

    @Test func memoryBoundsExecutorsPerWorker() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 8, memory: 2048)
        let (_, actions) = harness.addApp(port: 40000, MasterHarness.application(executorCores: 1, memory: 1024))
        #expect(actions.launches.count == 2)
    }

    @Test func twoApplicationsShareTheClusterFirstInFirstOut() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 8192)
        let first = harness.addApp(port: 40000, MasterHarness.application(maxCores: 3, executorCores: 1, memory: 512))
        #expect(first.actions.launches.count == 3)
        let second = harness.addApp(port: 40001, MasterHarness.application(maxCores: 3, executorCores: 1, memory: 512))
        // Only one core was left for the second application.
        #expect(second.actions.launches.count == 1)
        // When the first one ends, the second gets its remaining cores.
        let ended = harness.send(.unregisterApplication(UnregisterApplication(appId: first.id)), from: RpcAddress(host: "127.0.0.1", port: 40000))
        #expect(ended.launches.filter { $0.0.appId == second.id }.count == 2)
    }

    @Test func dynamicAllocationTargetsAreHonoured() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 8, memory: 8192)
        let (id, actions) = harness.addApp(port: 40000, MasterHarness.application(executorCores: 1, memory: 512, initialExecutorLimit: 2))
        #expect(actions.launches.count == 2)
        let profile = MasterHarness.application().defaultProfile
        let (reply, more) = harness.ask(
            .requestExecutors(RequestExecutors(appId: id, resourceProfileToTotalExecs: [(profile, 5)])),
            from: RpcAddress(host: "127.0.0.1", port: 40000))
        #expect(reply == .boolean(true))
        #expect(more.launches.count == 3)
        let (killed, killActions) = harness.ask(
            .killExecutors(KillExecutors(appId: id, executorIds: ["0", "x", "99"])), from: RpcAddress(host: "127.0.0.1", port: 40000))
        #expect(killed == .boolean(true))
        #expect(killActions.messages.contains(.killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: id, execId: 0))))
        // Listed among the removed executors as KILLED, as Spark's `killExecutor` marks it.
        #expect(harness.master.apps[id]?.removedExecutors.map(\.state) == [.killed])
        let (unknown, _) = harness.ask(
            .killExecutors(KillExecutors(appId: "nope", executorIds: ["1"])), from: RpcAddress(host: "127.0.0.1", port: 40000))
        #expect(unknown == .boolean(false))
    }

    @Test func customResourcesAreRequiredAndAllocated() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 8192)
        harness.addWorker(port: 7079, cores: 4, memory: 8192, resources: [("gpu", ResourceInformation(name: "gpu", addresses: ["0", "1"]))])
        let (_, actions) = harness.addApp(port: 40000, MasterHarness.application(executorCores: 1, memory: 512, custom: [("gpu", 1)]))
        #expect(actions.launches.count == 2)
        #expect(actions.launches.allSatisfy { $0.1 == MasterHarness.workerRef(port: 7079) })
        #expect(actions.launches.map { $0.0.resources.first?.1.addresses ?? [] } == [["0"], ["1"]])
    }

    /// Spark's SPARK-8881 case: 4 workers × 16 cores, 48 cores wanted, 16 per executor → 3 executors of 16.
    @Test func coresAreAssignedAnExecutorAtATime() {
        let workers = Array(repeating: SchedulableWorker(coresFree: 16, memoryFree: 65536), count: 4)
        let cores = ExecutorScheduling.assignCores(
            coresLeft: 48, resource: ExecutorResourceDescription(coresPerExecutor: 16, memoryMbPerExecutor: 1024),
            workers: workers, existingExecutors: 0, executorLimit: .max, spreadOut: true)
        #expect(cores == [16, 16, 16, 0])
        let oneCoreAtATime = ExecutorScheduling.assignCores(
            coresLeft: 10, resource: ExecutorResourceDescription(coresPerExecutor: nil, memoryMbPerExecutor: 1024),
            workers: workers, existingExecutors: 0, executorLimit: .max, spreadOut: true)
        #expect(oneCoreAtATime == [3, 3, 2, 2])
        let consolidated = ExecutorScheduling.assignCores(
            coresLeft: 10, resource: ExecutorResourceDescription(coresPerExecutor: nil, memoryMbPerExecutor: 1024),
            workers: workers, existingExecutors: 0, executorLimit: .max, spreadOut: false)
        #expect(consolidated == [10, 0, 0, 0])
    }

    @Test(arguments: [
        (WorkerSelectionPolicy.coresFreeAscending, 7078), (.coresFreeDescending, 7079),
        (.memoryFreeAscending, 7079), (.memoryFreeDescending, 7078), (.workerId, 7078),
    ] as [(WorkerSelectionPolicy, Int32)])
    func workerSelectionPolicyPicksTheWorker(_ policy: WorkerSelectionPolicy, _ expectedPort: Int32) {
        var harness = MasterHarness { $0.workerSelectionPolicy = policy; $0.spreadOutApps = false }
        harness.addWorker(port: 7078, cores: 2, memory: 8192)
        harness.addWorker(port: 7079, cores: 4, memory: 4096)
        let (_, actions) = harness.addApp(port: 40000, MasterHarness.application(maxCores: 1, executorCores: 1, memory: 512))
        #expect(actions.launches.map(\.1) == [MasterHarness.workerRef(port: expectedPort)])
    }
}

@Suite struct MasterExecutorLifecycleTests {
    @Test func runningExecutorsAreReportedToTheDriver() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let (id, _) = harness.addApp(port: 40000)
        let (reply, actions) = harness.ask(
            .executorStateChanged(ExecutorStateChanged(appId: id, execId: 0, state: .running)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(reply == .boolean(true))
        #expect(actions.sent(to: MasterHarness.driverRef(port: 40000)) == [.executorUpdated(ExecutorUpdated(id: 0, state: .running))])
        // Unknown executors are acknowledged too.
        let (unknown, _) = harness.ask(
            .executorStateChanged(ExecutorStateChanged(appId: "nope", execId: 3, state: .running)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(unknown == .boolean(true))
    }

    @Test func aFailedExecutorIsReplacedWithANewId() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let (id, _) = harness.addApp(port: 40000)
        harness.ask(.executorStateChanged(ExecutorStateChanged(appId: id, execId: 0, state: .running)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        let (_, actions) = harness.ask(
            .executorStateChanged(ExecutorStateChanged(appId: id, execId: 0, state: .exited, message: "Command exited with code 137", exitStatus: 137)),
            from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(actions.launches.map(\.0.execId) == [1])
        #expect(harness.master.apps[id]?.retryCount == 1)
    }

    @Test func tooManyFailuresEndTheApplication() {
        var harness = MasterHarness { $0.maxExecutorRetries = 3 }
        harness.addWorker(port: 7078)
        let (id, _) = harness.addApp(port: 40000)
        var last: [MasterAction] = []
        for execId in Int32(0)..<3 {
            (_, last) = harness.ask(
                .executorStateChanged(ExecutorStateChanged(appId: id, execId: execId, state: .failed, message: "boom")),
                from: RpcAddress(host: "127.0.0.1", port: 7078))
        }
        #expect(last.sent(to: MasterHarness.driverRef(port: 40000)).contains(.applicationRemoved(ApplicationRemoved(message: "FAILED"))))
        #expect(harness.master.apps[id] == nil)
        #expect(harness.master.completedApps.last?.state == .failed)
    }

    @Test func aDriverDisconnectFinishesTheApplication() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        harness.addWorker(port: 7079)
        let (id, _) = harness.addApp(port: 40000)
        let actions = harness.master.handle(.disconnected(RpcAddress(host: "127.0.0.1", port: 40000)), now: harness.now)
        let kills = actions.messages.filter { if case .killExecutor = $0 { return true } else { return false } }
        #expect(kills.count == 2)
        let finished = actions.messages.filter { $0 == .applicationFinished(ApplicationFinished(id: id)) }
        #expect(finished.count == 2)
        #expect(!actions.sent(to: MasterHarness.driverRef(port: 40000)).contains { if case .applicationRemoved = $0 { return true } else { return false } })
        #expect(harness.master.completedApps.map(\.state) == [.finished])
        #expect(harness.master.workerList.allSatisfy { $0.coresUsed == 0 && $0.memoryUsed == 0 })
        #expect(actions.contains(.log(.info, "127.0.0.1:40000 got disassociated, removing it.")))
        // Any address that goes is logged, as Spark logs it (a client's socket address, say), and nothing else happens.
        let other = harness.master.handle(.disconnected(RpcAddress(host: "127.0.0.1", port: 51234)), now: harness.now)
        #expect(other == [.log(.info, "127.0.0.1:51234 got disassociated, removing it.")])
    }

    @Test func aSilentWorkerIsDeclaredDeadAndItsExecutorsMove() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        harness.addWorker(port: 7079)
        let (id, launched) = harness.addApp(port: 40000, MasterHarness.application(maxCores: 2, executorCores: 1, memory: 512))
        let lostId = launched.launches.first { $0.1 == MasterHarness.workerRef(port: 7078) }?.0.execId ?? -1
        // Only 7079 keeps heartbeating.
        harness.advance(ms: 45_000)
        harness.send(.heartbeat(Heartbeat(workerId: "worker-20261126010156-127.0.0.1-7079", worker: MasterHarness.workerRef(port: 7079))),
                     from: RpcAddress(host: "127.0.0.1", port: 7079))
        harness.advance(ms: 20_000)
        let actions = harness.master.handle(.timerFired(.checkForWorkerTimeOut), now: harness.now)
        let driverMessages = actions.sent(to: MasterHarness.driverRef(port: 40000))
        #expect(driverMessages.contains(.executorUpdated(ExecutorUpdated(
            id: lostId, state: .lost, message: "worker lost: Not receiving heartbeat for 60 seconds", workerHost: "127.0.0.1"))))
        #expect(driverMessages.contains(.workerRemoved(WorkerRemoved(
            id: "worker-20261126010156-127.0.0.1-7078", host: "127.0.0.1", message: "Not receiving heartbeat for 60 seconds"))))
        // The lost executor is replaced on the surviving worker.
        #expect(actions.launches.map(\.1) == [MasterHarness.workerRef(port: 7079)])
        #expect(actions.contains(.scheduleTimer(.checkForWorkerTimeOut, afterMs: 60_000)))
        #expect(harness.master.workerList.map(\.state) == [.dead, .alive])
        #expect(harness.master.apps[id]?.executors.count == 2)
        // A heartbeat from the dead worker makes it reconnect.
        let late = harness.send(.heartbeat(Heartbeat(workerId: "worker-20261126010156-127.0.0.1-7078", worker: MasterHarness.workerRef(port: 7078))),
                                from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(late.sent(to: MasterHarness.workerRef(port: 7078)) == [.reconnectWorker(ReconnectWorker(masterUrl: "spark://127.0.0.1:7077"))])
        // Long-dead workers are culled from the list.
        harness.advance(ms: 17 * 60_000)
        _ = harness.master.handle(.timerFired(.checkForWorkerTimeOut), now: harness.now)
        #expect(harness.master.workerList.map(\.port).contains(7078) == false)
    }

    @Test func workerLatestStateKillsUnknownExecutors() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let state = WorkerLatestState(
            id: "worker-20261126010156-127.0.0.1-7078",
            executors: [ExecutorDescription(appId: "app-old", execId: 4, rpId: 0, cores: 1, memoryMb: 512, state: .running)],
            driverIds: ["driver-old"])
        let actions = harness.send(.workerLatestState(state), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [
            .killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: "app-old", execId: 4)),
            .killDriver(KillDriver(driverId: "driver-old")),
        ])
    }

    @Test func killingFromTheUIRemovesTheApplicationAsKilled() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        let (id, _) = harness.addApp(port: 40000)
        let actions = harness.master.handle(.killApplication(id: id), now: harness.now)
        #expect(actions.sent(to: MasterHarness.driverRef(port: 40000)) == [.applicationRemoved(ApplicationRemoved(message: "KILLED"))])
    }
}

@Suite struct MasterRecoveryTests {
    @Test func recoveryWaitsForWorkersAndApplicationsToAnswer() {
        var source = MasterHarness()
        source.addWorker(port: 7078)
        let (id, _) = source.addApp(port: 40000)
        let persisted = PersistedState(applications: source.master.activeApps, workers: source.master.workerList)

        var harness = MasterHarness(elect: false)
        let actions = harness.master.handle(.electedLeader(persisted), now: harness.now)
        #expect(harness.master.state == .recovering)
        #expect(actions.messages.filter { if case .masterChanged = $0 { return true } else { return false } }.count == 2)
        #expect(actions.contains(.scheduleTimer(.completeRecovery, afterMs: 60_000)))

        harness.send(.masterChangeAcknowledged(MasterChangeAcknowledged(appId: id)), from: RpcAddress(host: "127.0.0.1", port: 40000))
        #expect(harness.master.state == .recovering)
        let response = WorkerSchedulerStateResponse(
            id: "worker-20261126010156-127.0.0.1-7078",
            execResponses: [WorkerExecutorStateResponse(desc: ExecutorDescription(appId: id, execId: 0, rpId: 0, cores: 2, memoryMb: 1024, state: .running))],
            driverResponses: [])
        let done = harness.send(.workerSchedulerStateResponse(response), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(harness.master.state == .alive)
        #expect(done.contains(.cancelTimer(.completeRecovery)))
        #expect(harness.master.apps[id]?.state == .running)
        #expect(harness.master.workerList.first?.coresUsed == 2)
        // Nothing new is launched: the recovered executor holds the worker.
        #expect(done.launches.isEmpty)
    }

    /// A driver the worker says it runs holds its cores and memory on that worker again, so the new
    /// leader neither places more there than fits nor counts below zero when the driver ends.
    @Test func recoveredDriversHoldTheirShareOfTheirWorker() {
        var source = MasterHarness()
        source.addWorker(port: 7078, cores: 4, memory: 4096)
        guard let driverId = source.submitDriver(MasterHarness.driver(cores: 3, memory: 1024)).response?.driverId else {
            Issue.record("no driver id")
            return
        }
        #expect(source.master.workerList.first?.coresUsed == 3)
        let persisted = PersistedState(drivers: source.master.activeDrivers, workers: source.master.workerList)

        var harness = MasterHarness(elect: false)
        _ = harness.master.handle(.electedLeader(persisted), now: harness.now)
        let response = WorkerSchedulerStateResponse(
            id: "worker-20261126010156-127.0.0.1-7078", execResponses: [],
            driverResponses: [WorkerDriverStateResponse(driverId: driverId, resources: [])])
        harness.send(.workerSchedulerStateResponse(response), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(harness.master.state == .alive)
        let worker = harness.master.workerList.first
        #expect(worker?.coresUsed == 3 && worker?.memoryUsed == 1024)
        // An application gets the one core left.
        let (_, registered) = harness.addApp(port: 40000)
        #expect(registered.launches.map(\.0.cores) == [1])
        // The driver's end frees its three cores, which the application then gets.
        let ended = harness.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: .finished)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(ended.launches.map(\.0.cores) == [3])
        #expect(harness.master.workerList.first?.coresUsed == 4 && harness.master.workerList.first?.memoryUsed == 2048)
    }

    @Test func silentPeersAreDroppedWhenRecoveryTimesOut() {
        var source = MasterHarness()
        source.addWorker(port: 7078)
        _ = source.addApp(port: 40000)
        var harness = MasterHarness(elect: false)
        _ = harness.master.handle(.electedLeader(PersistedState(applications: source.master.activeApps, workers: source.master.workerList)), now: harness.now)
        let actions = harness.master.handle(.timerFired(.completeRecovery), now: harness.now + 60_000)
        #expect(harness.master.state == .alive)
        #expect(harness.master.apps.isEmpty)
        #expect(harness.master.workerList.map(\.state) == [.dead])
        #expect(actions.contains(.persist(.removeWorker(id: "worker-20261126010156-127.0.0.1-7078"))))
    }

    /// The web UI's decommission (Spark: `DecommissionWorkersOnHosts`, then `DecommissionWorkers`):
    /// the workers on the hosts, found by address, are marked DECOMMISSIONED, their executors'
    /// drivers told, and each worker sent `DecommissionWorker`; a standby master does nothing.
    @Test func workersDecommissionedByHost() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 2, memory: 4096)
        let (appId, registered) = harness.addApp(port: 5001)
        #expect(registered.launches.count == 1)
        #expect(registered.contains(.log(.info, "Start scheduling for app \(appId) with rpId: 0")))
        let workerId = "worker-20261126010156-127.0.0.1-7078"
        #expect(harness.master.workerIds(onHosts: ["elsewhere", "127.0.0.1"]) == [workerId])
        #expect(harness.master.workerIds(onHosts: ["LOCALHOST", "10.0.0.1"]).isEmpty)

        let actions = harness.handle(.decommissionWorkers(ids: [workerId, "worker-unknown"]))
        #expect(harness.master.workerList.map(\.state) == [.decommissioned])
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [.decommissionWorker])
        #expect(actions.sent(to: MasterHarness.driverRef(port: 5001)).contains {
            if case .executorUpdated(let update) = $0 { update.state == .decommissioned && update.workerHost == "127.0.0.1" } else { false }
        })
        #expect(harness.master.apps[appId]?.executors.isEmpty == true)
        #expect(actions.contains(.log(.info, "Telling app of decommission executors")))
        #expect(actions.contains(.persist(.removeWorker(id: workerId))))

        var standby = MasterHarness(elect: false)
        #expect(standby.handle(.decommissionWorkers(ids: [workerId])).messages.isEmpty)
    }

    @Test func losingLeadershipExits() {
        var harness = MasterHarness()
        #expect(harness.master.handle(.revokedLeadership, now: harness.now).contains(.exit(code: 0)))
    }
}

@Suite struct MasterDriverTests {
    @Test func submittedDriversLaunchOnAWorker() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        let description = DriverDescription(
            jarUrl: "file:/tmp/app.jar", mem: 512, cores: 1, supervise: false,
            command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "Hello"]))
        let (reply, actions) = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), from: RpcAddress(host: "127.0.0.1", port: 5000))
        guard case .submitDriverResponse(let response)? = reply, let driverId = response.driverId else {
            Issue.record("no SubmitDriverResponse")
            return
        }
        #expect(response.success)
        #expect(driverId == "driver-20261126010221-0000")
        #expect(actions.messages.contains { if case .launchDriver(let m) = $0 { return m.driverId == driverId } else { return false } })
        let (status, _) = harness.ask(.requestDriverStatus(RequestDriverStatus(driverId: driverId)), from: RpcAddress(host: "127.0.0.1", port: 5000))
        #expect(status == .driverStatusResponse(DriverStatusResponse(
            found: true, state: .running, workerId: "worker-20261126010156-127.0.0.1-7078", workerHostPort: "127.0.0.1:7078", exception: nil)))
        harness.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: .finished)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(harness.master.completedDrivers.map(\.state) == [.finished])
        #expect(harness.master.workerList.first?.coresUsed == 0)
    }

    /// `spark.master.useDriverIdAsAppName.enabled`: the launched driver's application is named
    /// after the driver, as Spark's master rewrites the description.
    @Test func driversCanBeNamedAfterTheirId() {
        var harness = MasterHarness(configure: { $0.useDriverIdAsAppName = true })
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        let wrapper = "org.apache.spark.deploy.worker.DriverWrapper"
        let submit = "org.apache.spark.deploy.SparkSubmit"
        let cases: [([String], [String], [String])] = [
            // A user class: only the Java option changes.
            (["{{WORKER_URL}}", "{{USER_JAR}}", "Hello", "a"], ["-Xmx1g", "-Dspark.app.name=Hello"], ["{{WORKER_URL}}", "{{USER_JAR}}", "Hello", "a"]),
            // Through SparkSubmit: the -c argument added after the main class...
            (["{{WORKER_URL}}", "{{USER_JAR}}", submit, "app.py"], [], ["{{WORKER_URL}}", "{{USER_JAR}}", submit, "-c", "spark.app.name=ID", "app.py"]),
            // ... or replaced where it already is.
            (["{{WORKER_URL}}", "{{USER_JAR}}", submit, "-c", "spark.app.name=mine", "app.py"], [],
             ["{{WORKER_URL}}", "{{USER_JAR}}", submit, "-c", "spark.app.name=ID", "app.py"]),
        ]
        for (arguments, javaOpts, expected) in cases {
            let description = DriverDescription(
                jarUrl: "file:/tmp/app.jar", mem: 256, cores: 1, supervise: false,
                command: Command(mainClass: wrapper, arguments: arguments, javaOpts: javaOpts))
            let (reply, actions) = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), from: RpcAddress(host: "127.0.0.1", port: 5000))
            guard case .submitDriverResponse(let response)? = reply, let driverId = response.driverId else {
                Issue.record("no SubmitDriverResponse")
                return
            }
            let launched = actions.messages.compactMap { message -> DriverDescription? in
                if case .launchDriver(let launch) = message, launch.driverId == driverId { return launch.driverDesc }
                return nil
            }.first
            #expect(launched?.command.arguments == expected.map { $0 == "spark.app.name=ID" ? "spark.app.name=" + driverId : $0 })
            #expect(launched?.command.javaOpts == javaOpts.filter { !$0.hasPrefix("-Dspark.app.name=") } + ["-Dspark.app.name=\(driverId)"])
        }
        // Off by default: `submittedDriversLaunchOnAWorker` launches descriptions as submitted.
        #expect(!MasterHarness().master.configuration.useDriverIdAsAppName)
    }

    @Test func aStandbyMasterRefusesSubmissions() {
        var harness = MasterHarness(elect: false)
        let description = DriverDescription(jarUrl: "x", mem: 512, cores: 1, supervise: false, command: Command(mainClass: "M", arguments: []))
        let (reply, _) = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), from: RpcAddress(host: "127.0.0.1", port: 5000))
        guard case .submitDriverResponse(let response)? = reply else { return }
        #expect(!response.success)
        #expect(response.message == "Current state is not alive: STANDBY. Can only accept driver submissions in ALIVE state.")
    }
}

/// Amounts no Spark driver, submitter or worker sends (negative cores or memory, executors of no
/// cores, ids at the end of their range) are refused with a warning instead of wrapping the master's
/// counters or stalling its scheduling; everything else goes on as before.
@Suite struct MasterRequestBoundsTests {
    static let driverAddress = RpcAddress(host: "127.0.0.1", port: 40000)

    static func warnings(_ actions: [MasterAction]) -> [String] {
        actions.compactMap { if case .log(.warning, let text) = $0 { return text } else { return nil } }
    }

    @Test func applicationsAskingForImpossibleExecutorsAreRefused() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        for (description, problem) in [
            (MasterHarness.application(executorCores: Int64(Int32.min)), "asks for -2147483648 cores per executor"),
            (MasterHarness.application(executorCores: 0), "asks for 0 cores per executor"),
            (MasterHarness.application(memory: -1), "asks for -1 of memory per executor"),
            (MasterHarness.application(maxCores: -5), "asks for at most -5 cores"),
            (MasterHarness.application(initialExecutorLimit: -1), "initial executor limit is -1"),
        ] {
            let (id, actions) = harness.addApp(port: 40000, description)
            #expect(id.isEmpty && actions.launches.isEmpty)
            #expect(Self.warnings(actions).contains { $0.hasPrefix("Refusing application Spark shell") && $0.contains(problem) }, "\(Self.warnings(actions))")
        }
        #expect(harness.master.activeApps.isEmpty)
        let (id, actions) = harness.addApp(port: 40000, MasterHarness.application(executorCores: 1))
        #expect(!id.isEmpty && actions.launches.count == 4)
        // A later request for executors of an impossible profile is refused the same way.
        var profile = MasterHarness.application(executorCores: -1).defaultProfile
        profile.id = 1
        let (reply, more) = harness.ask(
            .requestExecutors(RequestExecutors(appId: id, resourceProfileToTotalExecs: [(profile, 2)])), from: Self.driverAddress)
        #expect(reply == .boolean(false) && more.launches.isEmpty)
        #expect(Self.warnings(more).contains { $0.contains("resource profile 1 asks for -1 cores per executor") })
    }

    @Test func driversAskingForImpossibleAmountsAreRefused() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        for (cores, memory, problem) in [(Int32.min, Int32(512), "asks for -2147483648 cores"), (0, 512, "asks for 0 cores"), (1, -1, "asks for -1 MiB")] {
            let (answer, actions) = harness.submitDriver(MasterHarness.driver(cores: cores, memory: memory))
            guard let response = answer else {
                Issue.record("no SubmitDriverResponse")
                continue
            }
            #expect(!response.success && response.driverId == nil && response.message.contains(problem), "\(response.message)")
            #expect(!actions.contains { if case .admit = $0 { return true } else { return false } })
        }
        #expect(harness.master.activeDrivers.isEmpty && harness.master.workerList.first?.coresUsed == 0)
    }

    @Test func workersOfferingNegativeAmountsAreRefused() {
        var harness = MasterHarness()
        let actions = harness.addWorker(port: 7078, cores: -1, memory: 4096)
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [
            .registerWorkerFailed(RegisterWorkerFailed(message: "Invalid worker registration: the worker offers -1 cores")),
        ])
        #expect(harness.master.workerList.isEmpty)
    }

    @Test func reportedExecutorsOutsideTheRangesAreIgnored() throws {
        var source = MasterHarness()
        source.addWorker(port: 7078, cores: 4, memory: 4096)
        let (id, _) = source.addApp(port: 40000, MasterHarness.application(executorCores: 1))
        // A driver larger than any worker: it waits, and no worker can hold it.
        let hugeDriver = try #require(source.submitDriver(MasterHarness.driver(cores: .max)).response?.driverId)
        var harness = MasterHarness(elect: false)
        _ = harness.master.handle(
            .electedLeader(PersistedState(
                applications: source.master.activeApps, drivers: source.master.activeDrivers, workers: source.master.workerList)),
            now: harness.now)
        func executor(_ execId: Int32, cores: Int32, memory: Int32) -> WorkerExecutorStateResponse {
            WorkerExecutorStateResponse(desc: ExecutorDescription(appId: id, execId: execId, rpId: 0, cores: cores, memoryMb: memory, state: .running))
        }
        let response = WorkerSchedulerStateResponse(
            id: "worker-20261126010156-127.0.0.1-7078",
            execResponses: [
                executor(Int32.max, cores: 1, memory: 1024), executor(1, cores: -1, memory: 1024), executor(2, cores: 1, memory: Int32.min),
                executor(3, cores: 1, memory: 1024), executor(4, cores: 1_200_000_000, memory: 1), executor(5, cores: 1_200_000_000, memory: 1),
            ],
            driverResponses: [WorkerDriverStateResponse(driverId: hugeDriver, resources: [])])
        let actions = harness.send(.workerSchedulerStateResponse(response), from: RpcAddress(host: "127.0.0.1", port: 7078))
        // Each is refused: out of range, or more than the worker offers.
        #expect(Self.warnings(actions).filter { $0.contains("the master cannot count with") }.count == 6, "\(Self.warnings(actions))")
        #expect(harness.master.apps[id]?.executors.keys.sorted() == [3])
        #expect(harness.master.workerList.first?.coresUsed == 1 && harness.master.workerList.first?.memoryUsed == 1024)
    }
}

/// Lines operators grep, as Spark 4.3's master writes them.
@Suite struct MasterLogLineTests {
    @Test func workerMemoryIsWrittenAsSparkWritesIt() {
        var harness = MasterHarness()
        for (port, memory, shown) in [(Int32(7078), Int32(1024), "1024.0 MiB"), (7079, 15872, "15.5 GiB"), (7080, 2048, "2.0 GiB"), (7081, 512, "512.0 MiB")] {
            let actions = harness.addWorker(port: port, cores: 4, memory: memory)
            #expect(actions.contains(.log(.info, "Registering worker 127.0.0.1:\(port) with 4 cores, \(shown) RAM")))
        }
    }

    /// The web UI's kill asks as Spark's page does: logged, and only while ALIVE.
    @Test func killingADriverFromTheUIIsLoggedAsARequest() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        guard let driverId = harness.submitDriver(MasterHarness.driver()).response?.driverId else {
            Issue.record("no driver id")
            return
        }
        let actions = harness.master.handle(.killDriver(id: driverId), now: harness.now)
        #expect(actions.contains(.log(.info, "Asked to kill driver \(driverId)")))
        #expect(actions.contains(.log(.info, "Kill request for \(driverId) submitted")))
        #expect(actions.sent(to: MasterHarness.workerRef(port: 7078)) == [.killDriver(KillDriver(driverId: driverId))])
        harness.advance(ms: 1500)
        let ended = harness.send(.driverStateChanged(DriverStateChanged(driverId: driverId, state: .killed)), from: RpcAddress(host: "127.0.0.1", port: 7078))
        #expect(ended.contains(.log(.info, "Removing driver: \(driverId) (KILLED, Elapsed time: 1500 ms)")))
    }
}
