import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkRPC

/// A worker that registers, heart-beats, and answers executor launches and kills the way Spark's
/// `Worker` does on the wire, without starting anything.
final class SimulatedWorker: RpcEndpoint {
    let id: String
    let ref: RpcEndpointRef
    let shard: LoadShard
    let settings: LoadSettings
    let recorder: LoadRecorder
    private let state = NIOLockedValueBox(State())

    private struct State {
        var registrationSentAt: UInt64?
        var registered = false
        var everRegistered = false
        var heartbeats: RepeatedTask?
        var stopped = false
    }

    init(id: String, ref: RpcEndpointRef, shard: LoadShard, settings: LoadSettings, recorder: LoadRecorder) {
        self.id = id
        self.ref = ref
        self.shard = shard
        self.settings = settings
        self.recorder = recorder
    }

    var isRegistered: Bool { state.withLockedValue { $0.registered } }

    private var registration: RegisterWorker {
        let address = ref.rpcAddress!
        return RegisterWorker(
            id: id, host: address.host, port: address.port, worker: ref, cores: settings.workerCores,
            memory: settings.workerMemory, workerWebUiUrl: "http://\(address.host):8081", masterAddress: settings.master)
    }

    /// Spark: `Worker.tryRegisterAllMasters`: `CheckExistence("Master")`, then `RegisterWorker`.
    func register() {
        let check = shard.ask(.checkExistence(CheckExistence(name: "Master")), to: shard.verifier, timeout: .seconds(30))
        check.whenComplete { [self] result in
            guard case .success(.boolean(true)) = result else {
                recorder.error("registration: CheckExistence failed")
                return
            }
            let now = monotonicNanoseconds()
            state.withLockedValue { $0.registrationSentAt = now }
            recorder.registrationSent(at: now)
            if !shard.send(.registerWorker(registration)) { recorder.error("registration: connection closed") }
        }
    }

    func receive(_ call: RpcCall) {
        switch call.message {
        case .registeredWorker:
            registered()
        case .registerWorkerFailed:
            recorder.error("RegisterWorkerFailed")
        case .masterInStandby:
            recorder.error("MasterInStandby")
        case .reconnectWorker:
            // The master lost this worker (a late heartbeat): Spark's worker registers again.
            recorder.error("ReconnectWorker")
            stopHeartbeats()
            state.withLockedValue { state in
                state.registered = false
                state.registrationSentAt = monotonicNanoseconds()
            }
            if !shard.send(.registerWorker(registration)) { recorder.error("registration: connection closed") }
        case .launchExecutor(let launch):
            recorder.update { $0.launchExecutor += 1 }
            report(ExecutorStateChanged(appId: launch.appId, execId: launch.execId, state: .running))
        case .killExecutor(let kill):
            recorder.update { $0.killExecutor += 1 }
            report(ExecutorStateChanged(
                appId: kill.appId, execId: kill.execId, state: .killed,
                message: "Runner thread for executor \(kill.appId)/\(kill.execId) interrupted", exitStatus: 143))
        case .applicationFinished:
            recorder.update { $0.applicationFinished += 1 }
        case .masterChanged:
            recorder.error("MasterChanged")
        default:
            recorder.error("worker received \(call.message.name)")
        }
    }

    private func registered() {
        let now = monotonicNanoseconds()
        let outcome = state.withLockedValue { state -> (sentAt: UInt64, first: Bool)? in
            guard !state.registered, !state.stopped else { return nil }
            state.registered = true
            defer { state.everRegistered = true }
            return (state.registrationSentAt ?? now, !state.everRegistered)
        }
        guard let outcome else { return }
        if outcome.first {
            recorder.registered(latency: now &- outcome.sentAt, at: now)
        } else {
            recorder.error("re-registered after ReconnectWorker")
        }
        // Spark: after registering a worker reports what it runs, then heart-beats at a fixed rate.
        _ = shard.send(.workerLatestState(WorkerLatestState(id: id, executors: [], driverIds: [])))
        let heartbeat = SparkMessage.heartbeat(Heartbeat(workerId: id, worker: ref))
        let task = shard.connection.channel.eventLoop.scheduleRepeatedTask(
            initialDelay: .zero, delay: settings.heartbeatInterval.timeAmount
        ) { [shard, recorder] _ in
            recorder.heartbeat(sent: shard.send(heartbeat), at: monotonicNanoseconds())
        }
        let superseded = state.withLockedValue { state -> RepeatedTask? in
            if state.stopped { return task }
            defer { state.heartbeats = task }
            return state.heartbeats
        }
        superseded?.cancel()
    }

    /// Spark's worker asks `ExecutorStateChanged` and waits for `true`.
    private func report(_ change: ExecutorStateChanged) {
        shard.ask(.executorStateChanged(change), timeout: .seconds(30)).whenComplete { [recorder] result in
            switch result {
            case .success(.boolean(true)):
                recorder.update { $0.stateReportsAcknowledged += 1 }
            case .success(let other):
                recorder.error("ExecutorStateChanged answered \(other.name)")
            case .failure(let error):
                recorder.askFailed("ExecutorStateChanged: \((error as? RpcError)?.code.description ?? "\(error)")")
            }
        }
    }

    func stopHeartbeats() {
        state.withLockedValue { state -> RepeatedTask? in
            defer { state.heartbeats = nil }
            return state.heartbeats
        }?.cancel()
    }

    /// Stops heart-beating for good; later registrations are ignored.
    func stop() {
        state.withLockedValue { $0.stopped = true }
        stopHeartbeats()
    }
}
