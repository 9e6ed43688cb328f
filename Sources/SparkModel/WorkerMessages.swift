// Messages between workers and the master (Spark: `org.apache.spark.deploy.DeployMessages`).

/// Worker → master, send: register. The master answers with `RegisteredWorker`,
/// `RegisterWorkerFailed` or `MasterInStandby`.
public struct RegisterWorker: Sendable, Equatable {
    public var id: String
    public var host: String
    public var port: Int32
    public var worker: RpcEndpointRef
    public var cores: Int32
    /// MiB.
    public var memory: Int32
    public var workerWebUiUrl: String
    /// The master address the worker dialled.
    public var masterAddress: RpcAddress
    public var resources: [(String, ResourceInformation)]

    public init(
        id: String, host: String, port: Int32, worker: RpcEndpointRef, cores: Int32, memory: Int32,
        workerWebUiUrl: String, masterAddress: RpcAddress, resources: [(String, ResourceInformation)] = []
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.worker = worker
        self.cores = cores
        self.memory = memory
        self.workerWebUiUrl = workerWebUiUrl
        self.masterAddress = masterAddress
        self.resources = resources
    }

    public static func == (lhs: RegisterWorker, rhs: RegisterWorker) -> Bool {
        lhs.id == rhs.id && lhs.host == rhs.host && lhs.port == rhs.port && lhs.worker == rhs.worker
            && lhs.cores == rhs.cores && lhs.memory == rhs.memory && lhs.workerWebUiUrl == rhs.workerWebUiUrl
            && lhs.masterAddress == rhs.masterAddress
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Worker → master, send: what the worker runs, after (re-)registration.
public struct WorkerLatestState: Sendable, Equatable {
    public var id: String
    public var executors: [ExecutorDescription]
    public var driverIds: [String]

    public init(id: String, executors: [ExecutorDescription], driverIds: [String]) {
        self.id = id
        self.executors = executors
        self.driverIds = driverIds
    }
}

/// Worker → master, send, every `spark.worker.timeout / 4`.
public struct Heartbeat: Sendable, Equatable {
    public var workerId: String
    public var worker: RpcEndpointRef

    public init(workerId: String, worker: RpcEndpointRef) {
        self.workerId = workerId
        self.worker = worker
    }
}

/// Worker → master, ask (reply `Boolean(true)`): an executor changed state.
public struct ExecutorStateChanged: Sendable, Equatable {
    public var appId: String
    public var execId: Int32
    public var state: ExecutorState
    public var message: String?
    public var exitStatus: Int32?

    public init(appId: String, execId: Int32, state: ExecutorState, message: String? = nil, exitStatus: Int32? = nil) {
        self.appId = appId
        self.execId = execId
        self.state = state
        self.message = message
        self.exitStatus = exitStatus
    }
}

/// Worker → master, send: a cluster-mode driver changed state.
public struct DriverStateChanged: Sendable, Equatable {
    public var driverId: String
    public var state: DriverState
    public var exception: JavaExceptionInfo?

    public init(driverId: String, state: DriverState, exception: JavaExceptionInfo? = nil) {
        self.driverId = driverId
        self.state = state
        self.exception = exception
    }
}

/// Element of `WorkerSchedulerStateResponse.execResponses`.
public struct WorkerExecutorStateResponse: Sendable, Equatable {
    public var desc: ExecutorDescription
    public var resources: [(String, ResourceInformation)]

    public init(desc: ExecutorDescription, resources: [(String, ResourceInformation)] = []) {
        self.desc = desc
        self.resources = resources
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.desc == rhs.desc && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Element of `WorkerSchedulerStateResponse.driverResponses`.
public struct WorkerDriverStateResponse: Sendable, Equatable {
    public var driverId: String
    public var resources: [(String, ResourceInformation)]

    public init(driverId: String, resources: [(String, ResourceInformation)] = []) {
        self.driverId = driverId
        self.resources = resources
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.driverId == rhs.driverId && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Worker → master, send: the answer to `MasterChanged` during recovery.
public struct WorkerSchedulerStateResponse: Sendable, Equatable {
    public var id: String
    public var execResponses: [WorkerExecutorStateResponse]
    public var driverResponses: [WorkerDriverStateResponse]

    public init(id: String, execResponses: [WorkerExecutorStateResponse], driverResponses: [WorkerDriverStateResponse]) {
        self.id = id
        self.execResponses = execResponses
        self.driverResponses = driverResponses
    }
}

/// Worker → master, send: the worker is decommissioning itself.
public struct WorkerDecommissioning: Sendable, Equatable {
    public var id: String
    public var workerRef: RpcEndpointRef

    public init(id: String, workerRef: RpcEndpointRef) {
        self.id = id
        self.workerRef = workerRef
    }
}

/// Master → worker, send: registration accepted.
public struct RegisteredWorker: Sendable, Equatable {
    public var master: RpcEndpointRef
    public var masterWebUiUrl: String
    public var masterAddress: RpcAddress
    public var duplicate: Bool

    public init(master: RpcEndpointRef, masterWebUiUrl: String, masterAddress: RpcAddress, duplicate: Bool) {
        self.master = master
        self.masterWebUiUrl = masterWebUiUrl
        self.masterAddress = masterAddress
        self.duplicate = duplicate
    }
}

/// Master → worker, send: registration refused.
public struct RegisterWorkerFailed: Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// Master → worker, send: re-register with this master.
public struct ReconnectWorker: Sendable, Equatable {
    public var masterUrl: String
    public init(masterUrl: String) { self.masterUrl = masterUrl }
}

/// Master → worker, send: start an executor.
public struct LaunchExecutor: Sendable, Equatable {
    public var masterUrl: String
    public var appId: String
    public var execId: Int32
    public var rpId: Int32
    public var appDesc: ApplicationDescription
    public var cores: Int32
    /// MiB.
    public var memory: Int32
    public var resources: [(String, ResourceInformation)]

    public init(
        masterUrl: String, appId: String, execId: Int32, rpId: Int32, appDesc: ApplicationDescription,
        cores: Int32, memory: Int32, resources: [(String, ResourceInformation)] = []
    ) {
        self.masterUrl = masterUrl
        self.appId = appId
        self.execId = execId
        self.rpId = rpId
        self.appDesc = appDesc
        self.cores = cores
        self.memory = memory
        self.resources = resources
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.masterUrl == rhs.masterUrl && lhs.appId == rhs.appId && lhs.execId == rhs.execId && lhs.rpId == rhs.rpId
            && lhs.appDesc == rhs.appDesc && lhs.cores == rhs.cores && lhs.memory == rhs.memory
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Master → worker, send: stop an executor.
public struct KillExecutor: Sendable, Equatable {
    public var masterUrl: String
    public var appId: String
    public var execId: Int32

    public init(masterUrl: String, appId: String, execId: Int32) {
        self.masterUrl = masterUrl
        self.appId = appId
        self.execId = execId
    }
}

/// Master → worker, send: start a cluster-mode driver.
public struct LaunchDriver: Sendable, Equatable {
    public var driverId: String
    public var driverDesc: DriverDescription
    public var resources: [(String, ResourceInformation)]

    public init(driverId: String, driverDesc: DriverDescription, resources: [(String, ResourceInformation)] = []) {
        self.driverId = driverId
        self.driverDesc = driverDesc
        self.resources = resources
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.driverId == rhs.driverId && lhs.driverDesc == rhs.driverDesc
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Master → worker, send: stop a driver.
public struct KillDriver: Sendable, Equatable {
    public var driverId: String
    public init(driverId: String) { self.driverId = driverId }
}

/// Master → all workers, send: an application was removed.
public struct ApplicationFinished: Sendable, Equatable {
    public var id: String
    public init(id: String) { self.id = id }
}

/// Master → workers and drivers, send: a new master leads.
public struct MasterChanged: Sendable, Equatable {
    public var master: RpcEndpointRef
    public var masterWebUiUrl: String

    public init(master: RpcEndpointRef, masterWebUiUrl: String) {
        self.master = master
        self.masterWebUiUrl = masterWebUiUrl
    }
}
