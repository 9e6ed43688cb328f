/// Every message the standalone daemons exchange, and the replies they carry.
public enum SparkMessage: Sendable, Equatable {
    // Endpoint verifier.
    case checkExistence(CheckExistence)
    // Worker → master.
    case registerWorker(RegisterWorker)
    case workerLatestState(WorkerLatestState)
    case heartbeat(Heartbeat)
    case executorStateChanged(ExecutorStateChanged)
    case driverStateChanged(DriverStateChanged)
    case workerSchedulerStateResponse(WorkerSchedulerStateResponse)
    case workerDecommissioning(WorkerDecommissioning)
    // Master → worker.
    case registeredWorker(RegisteredWorker)
    case registerWorkerFailed(RegisterWorkerFailed)
    case masterInStandby
    case reconnectWorker(ReconnectWorker)
    case launchExecutor(LaunchExecutor)
    case killExecutor(KillExecutor)
    case launchDriver(LaunchDriver)
    case killDriver(KillDriver)
    case applicationFinished(ApplicationFinished)
    case masterChanged(MasterChanged)
    case decommissionWorker
    // Driver ↔ master.
    case registerApplication(RegisterApplication)
    case registeredApplication(RegisteredApplication)
    case executorAdded(ExecutorAdded)
    case executorUpdated(ExecutorUpdated)
    case workerRemoved(WorkerRemoved)
    case applicationRemoved(ApplicationRemoved)
    case masterChangeAcknowledged(MasterChangeAcknowledged)
    case unregisterApplication(UnregisterApplication)
    case requestExecutors(RequestExecutors)
    case killExecutors(KillExecutors)
    // Legacy submission client ↔ master.
    case requestSubmitDriver(RequestSubmitDriver)
    case submitDriverResponse(SubmitDriverResponse)
    case requestKillDriver(RequestKillDriver)
    case killDriverResponse(KillDriverResponse)
    case requestDriverStatus(RequestDriverStatus)
    case driverStatusResponse(DriverStatusResponse)
    case requestKillAllDrivers
    case killAllDriversResponse(KillAllDriversResponse)
    // Replies.
    case boolean(Bool)
    /// `org.apache.spark.rpc.netty.RpcFailure`: the asked endpoint failed.
    case rpcFailure(JavaExceptionInfo)
    /// A class this model does not know; kept for relaying and inspection.
    case unknown(className: String, object: PreservedObject)

    /// The Scala/Java class name Spark uses for this message's simple name, e.g. `RegisterWorker`.
    public var name: String {
        switch self {
        case .checkExistence: "CheckExistence"
        case .registerWorker: "RegisterWorker"
        case .workerLatestState: "WorkerLatestState"
        case .heartbeat: "Heartbeat"
        case .executorStateChanged: "ExecutorStateChanged"
        case .driverStateChanged: "DriverStateChanged"
        case .workerSchedulerStateResponse: "WorkerSchedulerStateResponse"
        case .workerDecommissioning: "WorkerDecommissioning"
        case .registeredWorker: "RegisteredWorker"
        case .registerWorkerFailed: "RegisterWorkerFailed"
        case .masterInStandby: "MasterInStandby"
        case .reconnectWorker: "ReconnectWorker"
        case .launchExecutor: "LaunchExecutor"
        case .killExecutor: "KillExecutor"
        case .launchDriver: "LaunchDriver"
        case .killDriver: "KillDriver"
        case .applicationFinished: "ApplicationFinished"
        case .masterChanged: "MasterChanged"
        case .decommissionWorker: "DecommissionWorker"
        case .registerApplication: "RegisterApplication"
        case .registeredApplication: "RegisteredApplication"
        case .executorAdded: "ExecutorAdded"
        case .executorUpdated: "ExecutorUpdated"
        case .workerRemoved: "WorkerRemoved"
        case .applicationRemoved: "ApplicationRemoved"
        case .masterChangeAcknowledged: "MasterChangeAcknowledged"
        case .unregisterApplication: "UnregisterApplication"
        case .requestExecutors: "RequestExecutors"
        case .killExecutors: "KillExecutors"
        case .requestSubmitDriver: "RequestSubmitDriver"
        case .submitDriverResponse: "SubmitDriverResponse"
        case .requestKillDriver: "RequestKillDriver"
        case .killDriverResponse: "KillDriverResponse"
        case .requestDriverStatus: "RequestDriverStatus"
        case .driverStatusResponse: "DriverStatusResponse"
        case .requestKillAllDrivers: "RequestKillAllDrivers"
        case .killAllDriversResponse: "KillAllDriversResponse"
        case .boolean: "Boolean"
        case .rpcFailure: "RpcFailure"
        case .unknown(let className, _): className
        }
    }
}

extension SparkMessage {
    /// The reference to one of the sender's own endpoints that the message carries, if any (a
    /// registering worker's `Worker`, a driver's `AppClient`, a master's `Master`). Spark binds such
    /// a reference, when it is deserialized, to the connection it arrived on, and sends to it over
    /// that connection rather than dialling its address.
    public var senderEndpointRef: RpcEndpointRef? {
        switch self {
        case .registerWorker(let message): message.worker
        case .heartbeat(let message): message.worker
        case .workerDecommissioning(let message): message.workerRef
        case .registeredWorker(let message): message.master
        case .masterChanged(let message): message.master
        case .registerApplication(let message): message.driver
        case .registeredApplication(let message): message.master
        case .submitDriverResponse(let message): message.master
        case .killDriverResponse(let message): message.master
        case .killAllDriversResponse(let message): message.master
        default: nil
        }
    }
}
