import SparkModel
@testable import SparkWorker
import Testing

@Suite struct WorkerRegistrationTests {
    let masterA = RpcAddress(host: "10.0.0.1", port: 7077)
    let masterB = RpcAddress(host: "10.0.0.2", port: 7077)

    @Test func workerIdAndStartLog() {
        var worker = WorkerHarness()
        let actions = worker.start()
        #expect(worker.machine.workerId == "worker-20261126013015-127.0.0.1-41867")
        #expect(actions.logLines.contains("Starting Spark worker 127.0.0.1:41867 with 2 cores, 2.0 GiB RAM"))
        #expect(actions.logLines.contains("Connecting to master 127.0.0.1:7077..."))
        let registration = try! #require(actions.registrations.first)
        #expect(registration.0 == RegisterWorker(
            id: "worker-20261126013015-127.0.0.1-41867", host: "127.0.0.1", port: 41867,
            worker: RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: 41867), cores: 2, memory: 2048,
            workerWebUiUrl: "http://127.0.0.1:8081", masterAddress: RpcAddress(host: "127.0.0.1", port: 7077)))
        #expect(registration.1 == RpcEndpointRef(name: "Master", host: "127.0.0.1", port: 7077))
    }

    /// Every master is tried in parallel: 6 retries at round(10 f) s, 10 at round(60 f) s, then exit(1).
    @Test(arguments: [UInt64(1), 7, 42, 1234])
    func registrationRetriesBackOffThenGiveUp(seed: UInt64) {
        var worker = WorkerHarness(configuration: .test(masters: [masterA, masterB]), seed: seed)
        let fuzz = worker.machine.registrationFuzz
        #expect(fuzz >= 0.5 && fuzz < 1.5)
        let initial = Int64((10 * fuzz).rounded(.toNearestOrAwayFromZero))
        let prolonged = Int64((60 * fuzz).rounded(.toNearestOrAwayFromZero))
        #expect(worker.machine.initialRegistrationRetryInterval == .seconds(initial))
        #expect(worker.machine.prolongedRegistrationRetryInterval == .seconds(prolonged))

        let first = worker.start()
        #expect(first.registrations.map(\.1.rpcAddress) == [masterA, masterB])
        #expect(first.contains(.scheduleTimer(.registrationRetry, after: .seconds(initial))))

        var attemptTimes: [Int64] = []
        for _ in 0..<40 {
            guard let deadline = worker.timers[.registrationRetry] else { break }
            let actions = worker.advance(by: .milliseconds(deadline - worker.now))
            if !actions.registrations.isEmpty {
                #expect(actions.registrations.map(\.1.rpcAddress) == [masterA, masterB])
                attemptTimes.append(worker.now)
            }
            if actions.exitCode != nil {
                #expect(actions.logLines.contains("All masters are unresponsive! Giving up."))
                #expect(actions.exitCode == 1)
                #expect(worker.now == (6 * initial + 11 * prolonged) * 1000)
            }
        }
        #expect(attemptTimes.count == 16)
        let expected = (1...16).map { attempt in
            attempt <= 6 ? Int64(attempt) * initial * 1000 : (6 * initial + Int64(attempt - 6) * prolonged) * 1000
        }
        #expect(attemptTimes == expected)
        #expect(worker.machine.isStopped)
        #expect(worker.history.filter { if case .exit = $0.action { true } else { false } }.count == 1)
    }

    @Test func registeredWorkerStartsHeartbeatsAndCleanup() {
        var worker = WorkerHarness()
        worker.start()
        let actions = worker.register()
        let master = RpcEndpointRef(name: "Master", host: "127.0.0.1", port: 7077)
        #expect(actions.logLines.contains("Successfully registered with master spark://127.0.0.1:7077"))
        #expect(actions.contains(.cancelTimer(.registrationRetry)))
        // WorkerLatestState first, then the first heartbeat right away.
        #expect(actions.sent.map(\.0.name) == ["WorkerLatestState", "Heartbeat"])
        #expect(actions.sent.allSatisfy { $0.1 == master })
        #expect(actions.contains(.scheduleTimer(.heartbeat, after: .seconds(15))))
        #expect(actions.contains(.scheduleTimer(.workDirCleanup, after: .seconds(1800))))
        #expect(worker.machine.activeMasterUrl == "spark://127.0.0.1:7077")
        #expect(worker.machine.activeMasterWebUiUrl == "http://127.0.0.1:8080")

        // Every 15 s (timeout 60 / 4) a heartbeat.
        var beats: [Int64] = []
        for _ in 0..<4 {
            let fired = worker.advance(by: .seconds(15))
            if fired.sent.contains(where: { $0.0 == .heartbeat(Heartbeat(workerId: worker.machine.workerId,
                                                                          worker: worker.machine.configuration.workerRef)) }) {
                beats.append(worker.now)
            }
        }
        #expect(beats == [15_000, 30_000, 45_000, 60_000])
        // The retry timer never fires once registered.
        #expect(worker.timers[.registrationRetry] == nil)

        // The cleanup tick asks for a cleanup of the work directory and re-arms.
        let cleanup = worker.advance(by: .seconds(1800))
        #expect(cleanup.contains(.cleanupWorkDirectory(WorkDirectoryCleanup(
            directory: "/work", keep: [], appDataTtlSeconds: 604_800))))
        #expect(worker.timers[.workDirCleanup] != nil)
    }

    /// `spark.shuffle.io.connectionTimeout` as Spark's transport takes it: whole seconds, falling
    /// back to `spark.network.timeout`; under a second, no idle close at all.
    @Test func shuffleConnectionTimeout() throws {
        for (settings, seconds) in [
            ([:], 120), (["spark.network.timeout": "30s"], 30), (["spark.shuffle.io.connectionTimeout": "1500ms"], 1),
            (["spark.shuffle.io.connectionTimeout": "0"], 0), (["spark.shuffle.io.connectionTimeout": "500us"], 0),
            (["spark.network.timeout": "0"], 0),
        ] as [([String: String], Int)] {
            #expect(try WorkerSettings(conf: .init(settings)).shuffleConnectionTimeoutSeconds == seconds, "\(settings)")
        }
    }

    @Test func heartbeatPeriodFollowsWorkerTimeout() throws {
        var settings = try WorkerSettings(conf: .init(["spark.worker.timeout": "4", "spark.worker.cleanup.enabled": "false"]))
        settings.workerTimeoutSeconds = 4
        var worker = WorkerHarness(configuration: .test(settings: settings))
        worker.start()
        let actions = worker.register()
        #expect(actions.contains(.scheduleTimer(.heartbeat, after: .seconds(1))))
        #expect(!actions.contains { if case .scheduleTimer(.workDirCleanup, _) = $0 { true } else { false } })
    }

    @Test func duplicateRegistrationIsAWarningOnly() {
        var worker = WorkerHarness()
        worker.start()
        let actions = worker.handle(.message(.registeredWorker(RegisteredWorker(
            master: RpcEndpointRef(name: "Master", host: "127.0.0.1", port: 7077), masterWebUiUrl: "http://m:8080",
            masterAddress: RpcAddress(host: "127.0.0.1", port: 7077), duplicate: true))))
        #expect(actions.logLines.contains("Duplicate registration at master spark://127.0.0.1:7077"))
        #expect(worker.machine.registered)
    }

    @Test func registerWorkerFailedExitsOnlyBeforeRegistration() {
        var worker = WorkerHarness()
        worker.start()
        let refused = worker.handle(.message(.registerWorkerFailed(RegisterWorkerFailed(
            message: "Attempted to re-register worker at same address: 127.0.0.1:41867"))))
        #expect(refused.exitCode == 1)
        #expect(refused.logLines.contains("Worker registration failed: Attempted to re-register worker at same address: 127.0.0.1:41867"))

        var registered = WorkerHarness()
        registered.start()
        registered.register()
        #expect(registered.handle(.message(.registerWorkerFailed(RegisterWorkerFailed(message: "late")))).isEmpty)
        #expect(!registered.machine.isStopped)
    }

    @Test func masterInStandbyIsIgnored() {
        var worker = WorkerHarness()
        worker.start()
        #expect(worker.handle(.message(.masterInStandby)).isEmpty)
        #expect(worker.timers[.registrationRetry] != nil)
    }

    /// After losing the master the worker registers with every configured master at once (Spark's
    /// `registerWithMaster` → `tryRegisterAllMasters`), so a leader elected meanwhile takes it even if
    /// that leader never tells it; the retries that follow go to the last master only (SPARK-4592).
    /// No heartbeats while disconnected.
    @Test func lostMasterConnectionRegistersWithEveryMasterThenRetriesTheLast() {
        var worker = WorkerHarness(configuration: .test(masters: [masterA, masterB]))
        worker.start()
        worker.register(master: masterB)
        // Unrelated connections (executors' watchers) do not matter.
        #expect(worker.handle(.connectionClosed([RpcAddress(host: "127.0.0.1", port: 50000)])).isEmpty)

        let lost = worker.handle(.connectionClosed([masterB]))
        #expect(lost.logLines.contains("Connection to master failed! Waiting for master to reconnect..."))
        #expect(lost.registrations.map(\.1.rpcAddress) == [masterA, masterB])
        #expect(!worker.machine.connected)
        #expect(!worker.machine.registered)
        // A second close of the same master does not start another attempt.
        let again = worker.handle(.connectionClosed([masterB]))
        #expect(again.registrations.isEmpty)

        // No heartbeats while disconnected; the retry goes to masterB only.
        let fired = worker.advance(by: worker.machine.initialRegistrationRetryInterval)
        #expect(fired.registrations.map(\.1.rpcAddress) == [masterB])
        #expect(!fired.sent.contains { $0.0.name == "Heartbeat" })
        let heartbeatsWhileDown = worker.advance(by: .seconds(15))
        #expect(!heartbeatsWhileDown.sent.contains { $0.0.name == "Heartbeat" })

        let back = worker.register(master: masterB)
        #expect(back.contains(.cancelTimer(.registrationRetry)))
        #expect(worker.machine.connected)
    }

    @Test func reconnectWorkerReregisters() {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        let actions = worker.handle(.message(.reconnectWorker(ReconnectWorker(masterUrl: "spark://127.0.0.1:7077"))))
        #expect(actions.logLines.contains("Master with url spark://127.0.0.1:7077 requested this worker to reconnect."))
        #expect(actions.registrations.map(\.1.rpcAddress) == WorkerConfiguration.test().masters)
        #expect(actions.contains(.scheduleTimer(.registrationRetry, after: worker.machine.initialRegistrationRetryInterval)))
        #expect(!worker.machine.registered)
    }

    /// A new leader takes over: the worker follows it, answers with its executors, and only obeys it.
    @Test func masterChangedSwitchesMasterAndReportsState() throws {
        var worker = WorkerHarness(configuration: .test(masters: [masterA, masterB]))
        worker.start()
        worker.register(master: masterA)
        worker.handle(.message(.launchExecutor(try Samples.launch(masterUrl: masterA.sparkURL))))
        worker.handle(.executorStarted(ExecutorKey(appId: "app-1", execId: 0), pid: 100))

        let newMaster = RpcEndpointRef(name: "Master", host: masterB.host, port: masterB.port)
        let actions = worker.handle(.message(.masterChanged(MasterChanged(master: newMaster, masterWebUiUrl: "http://b:8080"))))
        #expect(actions.logLines.contains("Master has changed, new master is at spark://10.0.0.2:7077"))
        let response = WorkerSchedulerStateResponse(
            id: worker.machine.workerId,
            execResponses: [WorkerExecutorStateResponse(desc: ExecutorDescription(
                appId: "app-1", execId: 0, rpId: 0, cores: 1, memoryMb: 512, state: .running))],
            driverResponses: [])
        #expect(actions.sent.first?.0 == .workerSchedulerStateResponse(response))
        #expect(actions.sent.first?.1 == newMaster)
        #expect(worker.machine.activeMasterUrl == "spark://10.0.0.2:7077")
        #expect(worker.machine.activeMasterWebUiUrl == "http://b:8080")

        // The old master is not obeyed any more, the new one is.
        let stale = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: masterA.sparkURL, appId: "app-1", execId: 0))))
        #expect(stale.logLines == ["Invalid Master (spark://10.0.0.1:7077) attempted to kill executor 0"])
        let heartbeat = worker.advance(by: .seconds(15))
        #expect(heartbeat.sent.first?.1 == newMaster)
        let kill = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: masterB.sparkURL, appId: "app-1", execId: 0))))
        #expect(kill.contains(.killExecutor(ExecutorKey(appId: "app-1", execId: 0), pid: 100, grace: .seconds(10))))
    }

    @Test func decommissionNeedsTheFeature() throws {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        let refused = worker.handle(.message(.decommissionWorker))
        #expect(refused.logLines == ["Receive decommission request, but decommission feature is disabled."])

        var settings = WorkerSettings()
        settings.decommissionEnabled = true
        var enabled = WorkerHarness(configuration: .test(settings: settings))
        enabled.start()
        enabled.register()
        enabled.handle(.message(.decommissionWorker))
        let launch = enabled.handle(.message(.launchExecutor(try Samples.launch())))
        #expect(launch.logLines == ["Asked to launch an executor while decommissioned. Not launching executor."])
    }

    /// The decommission signal: the worker decommissions itself and tells its master, which stops
    /// sending it work; before a master is known the message is dropped with a word.
    @Test func theDecommissionSignalTellsTheMaster() throws {
        var settings = WorkerSettings()
        settings.decommissionEnabled = true
        var worker = WorkerHarness(configuration: .test(settings: settings))
        worker.start()
        let early = worker.handle(.decommissionSignalReceived)
        #expect(early.sent.isEmpty)
        #expect(early.logLines.last?.hasPrefix("Dropping WorkerDecommissioning(") == true)

        var registered = WorkerHarness(configuration: .test(settings: settings))
        registered.start()
        registered.register()
        let signalled = registered.handle(.decommissionSignalReceived)
        #expect(signalled.logLines.first == "Decommission worker \(registered.machine.workerId).")
        let master = RpcEndpointRef(name: "Master", host: registered.machine.configuration.masters[0].host, port: registered.machine.configuration.masters[0].port)
        #expect(signalled.sent.map(\.0) == [.workerDecommissioning(WorkerDecommissioning(id: registered.machine.workerId, workerRef: registered.machine.configuration.workerRef))])
        #expect(signalled.sent.map(\.1) == [master])
        #expect(registered.handle(.message(.launchExecutor(try Samples.launch()))).launches.isEmpty)
        // A second signal: already decommissioning.
        #expect(registered.handle(.decommissionSignalReceived).logLines.first == "Worker \(registered.machine.workerId) already started decommissioning.")
    }

    @Test func utcTimestamps() {
        #expect(WorkerInstant(millisecondsSinceEpoch: 1_795_656_615_000).compactUTC == "20261126013015")
        #expect(WorkerInstant(millisecondsSinceEpoch: 1_709_251_199_000).compactUTC == "20240229235959")
        #expect(WorkerInstant(millisecondsSinceEpoch: -1000).compactUTC == "19691231235959")
        #expect(WorkerInstant(millisecondsSinceEpoch: 0).compactUTC == "19700101000000")
    }

    @Test func memoryStrings() {
        #expect(WorkerStateMachine<SeededRandom>.megabytesToString(2048) == "2.0 GiB")
        #expect(WorkerStateMachine<SeededRandom>.megabytesToString(1024) == "1024.0 MiB")
        #expect(WorkerStateMachine<SeededRandom>.megabytesToString(1536) == "1536.0 MiB")
        #expect(WorkerStateMachine<SeededRandom>.megabytesToString(24 * 1024) == "24.0 GiB")
    }

    @Test func workerIdPattern() {
        #expect(WorkerStateMachine<SeededRandom>.workerId(pattern: "worker-%s-%s-%d", time: "20261126013015", host: "h", port: 1)
            == "worker-20261126013015-h-1")
        #expect(WorkerStateMachine<SeededRandom>.workerId(pattern: "w_%s_%s_%d_100%%", time: "t", host: "h", port: 2) == "w_t_h_2_100%")
    }
}
