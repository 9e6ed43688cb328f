// Messages between drivers (`AppClient`) and the master, and the legacy submission client's.

/// Driver → master, send: register an application.
public struct RegisterApplication: Sendable, Equatable {
    public var appDescription: ApplicationDescription
    public var driver: RpcEndpointRef

    public init(appDescription: ApplicationDescription, driver: RpcEndpointRef) {
        self.appDescription = appDescription
        self.driver = driver
    }
}

/// Master → driver, send.
public struct RegisteredApplication: Sendable, Equatable {
    public var appId: String
    public var master: RpcEndpointRef

    public init(appId: String, master: RpcEndpointRef) {
        self.appId = appId
        self.master = master
    }
}

/// Master → driver, send: an executor was granted.
public struct ExecutorAdded: Sendable, Equatable {
    public var id: Int32
    public var workerId: String
    /// `host:port` of the worker.
    public var hostPort: String
    public var cores: Int32
    public var memory: Int32

    public init(id: Int32, workerId: String, hostPort: String, cores: Int32, memory: Int32) {
        self.id = id
        self.workerId = workerId
        self.hostPort = hostPort
        self.cores = cores
        self.memory = memory
    }
}

/// Master → driver, send: an executor changed state.
public struct ExecutorUpdated: Sendable, Equatable {
    public var id: Int32
    public var state: ExecutorState
    public var message: String?
    public var exitStatus: Int32?
    /// Set when the worker was lost or decommissioned.
    public var workerHost: String?

    public init(id: Int32, state: ExecutorState, message: String? = nil, exitStatus: Int32? = nil, workerHost: String? = nil) {
        self.id = id
        self.state = state
        self.message = message
        self.exitStatus = exitStatus
        self.workerHost = workerHost
    }
}

/// Master → driver, send.
public struct WorkerRemoved: Sendable, Equatable {
    public var id: String
    public var host: String
    public var message: String

    public init(id: String, host: String, message: String) {
        self.id = id
        self.host = host
        self.message = message
    }
}

/// Master → driver, send: the application ended (not sent for FINISHED).
public struct ApplicationRemoved: Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// Driver → master, send: answer to `MasterChanged`.
public struct MasterChangeAcknowledged: Sendable, Equatable {
    public var appId: String
    public init(appId: String) { self.appId = appId }
}

/// Driver → master, send (`sc.stop()`).
public struct UnregisterApplication: Sendable, Equatable {
    public var appId: String
    public init(appId: String) { self.appId = appId }
}

/// Driver → master, ask (reply `Boolean`): the executor total wanted per resource profile.
public struct RequestExecutors: Sendable, Equatable {
    public var appId: String
    public var resourceProfileToTotalExecs: [(ResourceProfile, Int32)]

    public init(appId: String, resourceProfileToTotalExecs: [(ResourceProfile, Int32)]) {
        self.appId = appId
        self.resourceProfileToTotalExecs = resourceProfileToTotalExecs
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.appId == rhs.appId
            && lhs.resourceProfileToTotalExecs.elementsEqual(rhs.resourceProfileToTotalExecs) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Driver → master, ask (reply `Boolean`).
public struct KillExecutors: Sendable, Equatable {
    public var appId: String
    public var executorIds: [String]

    public init(appId: String, executorIds: [String]) {
        self.appId = appId
        self.executorIds = executorIds
    }
}

/// Submission client → master, ask → `SubmitDriverResponse`.
public struct RequestSubmitDriver: Sendable, Equatable {
    public var driverDescription: DriverDescription
    public init(driverDescription: DriverDescription) { self.driverDescription = driverDescription }
}

public struct SubmitDriverResponse: Sendable, Equatable {
    public var master: RpcEndpointRef
    public var success: Bool
    public var driverId: String?
    public var message: String

    public init(master: RpcEndpointRef, success: Bool, driverId: String?, message: String) {
        self.master = master
        self.success = success
        self.driverId = driverId
        self.message = message
    }
}

/// Submission client → master, ask → `KillDriverResponse`.
public struct RequestKillDriver: Sendable, Equatable {
    public var driverId: String
    public init(driverId: String) { self.driverId = driverId }
}

public struct KillDriverResponse: Sendable, Equatable {
    public var master: RpcEndpointRef
    public var driverId: String
    public var success: Bool
    public var message: String

    public init(master: RpcEndpointRef, driverId: String, success: Bool, message: String) {
        self.master = master
        self.driverId = driverId
        self.success = success
        self.message = message
    }
}

/// Submission client → master, ask → `DriverStatusResponse`.
public struct RequestDriverStatus: Sendable, Equatable {
    public var driverId: String
    public init(driverId: String) { self.driverId = driverId }
}

public struct DriverStatusResponse: Sendable, Equatable {
    public var found: Bool
    public var state: DriverState?
    public var workerId: String?
    public var workerHostPort: String?
    public var exception: JavaExceptionInfo?

    public init(found: Bool, state: DriverState?, workerId: String?, workerHostPort: String?, exception: JavaExceptionInfo?) {
        self.found = found
        self.state = state
        self.workerId = workerId
        self.workerHostPort = workerHostPort
        self.exception = exception
    }
}

/// Reply to `RequestKillAllDrivers` (Spark 4.x).
public struct KillAllDriversResponse: Sendable, Equatable {
    public var master: RpcEndpointRef
    public var success: Bool
    public var message: String

    public init(master: RpcEndpointRef, success: Bool, message: String) {
        self.master = master
        self.success = success
        self.message = message
    }
}

/// `RpcEndpointVerifier$CheckExistence`: does endpoint `name` exist? Reply `Boolean`.
public struct CheckExistence: Sendable, Equatable {
    public var name: String
    public init(name: String) { self.name = name }
}
