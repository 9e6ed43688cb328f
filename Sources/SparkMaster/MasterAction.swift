import SparkModel

/// Identifies an ask the shell is waiting to answer.
public struct CallID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "call#\(rawValue)" }
}

/// Timers the master schedules.
public enum MasterTimer: Sendable, Hashable {
    /// Spark: `CheckForWorkerTimeOut`, every `spark.worker.timeout`.
    case checkForWorkerTimeOut
    /// Spark: `CompleteRecovery`, after `spark.deploy.recoveryTimeout`.
    case completeRecovery
}

/// What the master persists for recovery (Spark: `PersistenceEngine` calls).
public enum PersistenceChange: Sendable, Equatable {
    case addWorker(WorkerInfo)
    case removeWorker(id: String)
    case addApplication(ApplicationInfo)
    case removeApplication(id: String)
    case addDriver(DriverInfo)
    case removeDriver(id: String)

    /// For logs: the change without its payload.
    public var kind: String {
        switch self {
        case .addWorker(let worker): "addWorker \(worker.id)"
        case .removeWorker(let id): "removeWorker \(id)"
        case .addApplication(let app): "addApplication \(app.id)"
        case .removeApplication(let id): "removeApplication \(id)"
        case .addDriver(let driver): "addDriver \(driver.id)"
        case .removeDriver(let id): "removeDriver \(id)"
        }
    }
}

public enum LogLevel: Sendable, Equatable {
    case info, warning, error
}

/// An effect the shell performs for the state machine.
public enum MasterAction: Sendable, Equatable {
    /// One-way message to an endpoint.
    case send(SparkMessage, to: RpcEndpointRef)
    /// Answer to an ask.
    case reply(CallID, SparkMessage)
    case scheduleTimer(MasterTimer, afterMs: Int64)
    case cancelTimer(MasterTimer)
    case persist(PersistenceChange)
    /// The process must end (Spark exits when leadership is revoked).
    case exit(code: Int32)
    case log(LogLevel, String)
}
