import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkRPC

/// A driver's `AppClient`: registers a spark-shell-like application, takes note of the executors the
/// master grants and of when they run, and unregisters at the end (Spark: `StandaloneAppClient`).
final class SimulatedDriver: RpcEndpoint {
    let ref: RpcEndpointRef
    let shard: LoadShard
    let description: ApplicationDescription
    let recorder: LoadRecorder
    private let state = NIOLockedValueBox(State())

    private struct State {
        var sentAt: UInt64?
        var appId: String?
        var sawExecutor = false
        var sawRunning = false
    }

    init(ref: RpcEndpointRef, shard: LoadShard, description: ApplicationDescription, recorder: LoadRecorder) {
        self.ref = ref
        self.shard = shard
        self.description = description
        self.recorder = recorder
    }

    var appId: String? { state.withLockedValue { $0.appId } }
    var hasRunningExecutor: Bool { state.withLockedValue { $0.sawRunning } }

    /// `CheckExistence("Master")`, then `RegisterApplication`.
    func register() {
        shard.ask(.checkExistence(CheckExistence(name: "Master")), to: shard.verifier, timeout: .seconds(30))
            .whenComplete { [self] result in
                guard case .success(.boolean(true)) = result else {
                    recorder.error("application: CheckExistence failed")
                    return
                }
                state.withLockedValue { $0.sentAt = monotonicNanoseconds() }
                if !shard.send(.registerApplication(RegisterApplication(appDescription: description, driver: ref))) {
                    recorder.error("application: connection closed")
                }
            }
    }

    func receive(_ call: RpcCall) {
        let now = monotonicNanoseconds()
        switch call.message {
        case .registeredApplication(let registered):
            let sentAt = state.withLockedValue { state -> UInt64? in
                guard state.appId == nil else { return nil }
                state.appId = registered.appId
                return state.sentAt
            }
            if let sentAt {
                recorder.update { state in
                    state.appsRegistered += 1
                    state.appRegistrationLatencies.append(now &- sentAt)
                }
            }
        case .executorAdded:
            let sentAt = state.withLockedValue { state -> UInt64? in
                defer { state.sawExecutor = true }
                return state.sawExecutor ? nil : state.sentAt
            }
            recorder.update { state in
                state.executorsAdded += 1
                if let sentAt { state.firstExecutorAddedLatencies.append(now &- sentAt) }
            }
        case .executorUpdated(let update):
            guard update.state == .running else { return }
            let sentAt = state.withLockedValue { state -> UInt64? in
                defer { state.sawRunning = true }
                return state.sawRunning ? nil : state.sentAt
            }
            recorder.update { state in
                state.executorsRunning += 1
                if let sentAt { state.firstExecutorRunningLatencies.append(now &- sentAt) }
            }
        case .workerRemoved:
            recorder.error("WorkerRemoved")
        case .applicationRemoved:
            recorder.error("ApplicationRemoved")
        case .masterChanged:
            recorder.error("MasterChanged")
        default:
            recorder.error("driver received \(call.message.name)")
        }
    }

    /// Spark: `sc.stop()` sends `UnregisterApplication`.
    func unregister() {
        guard let appId else { return }
        if shard.send(.unregisterApplication(UnregisterApplication(appId: appId))) {
            recorder.update { $0.appsUnregistered += 1 }
        }
    }
}
