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

/// A registration the master takes on only once its record is stored: a worker, an application or a
/// driver that a failover would lose is refused rather than acknowledged (Spark stores a driver before
/// adding it, and acknowledges nothing whose record it could not write).
public enum Admission: Sendable, Equatable {
    /// `masterAddress` is the one the worker registered with, echoed in `RegisteredWorker`.
    case worker(WorkerInfo, masterAddress: RpcAddress)
    case application(ApplicationInfo)
    /// `call` is the submitter's ask, answered once the outcome is known.
    case driver(DriverInfo, call: CallID?)

    /// The record to store before the registration takes effect.
    public var record: PersistenceChange {
        switch self {
        case .worker(let worker, _): .addWorker(worker)
        case .application(let app): .addApplication(app)
        case .driver(let driver, _): .addDriver(driver)
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
    /// Stores a change; a failure is logged and changes nothing else (removals, relaunch records).
    case persist(PersistenceChange)
    /// Stores `admission.record`, then hands back `.stored(admission)` or `.notStored(admission, reason:)`
    /// before any other input.
    case admit(Admission)
    /// The process must end (Spark exits when leadership is revoked).
    case exit(code: Int32)
    case log(LogLevel, String)

    /// Whether this action answers `call`, now (a reply) or once a record is stored (a driver's admission).
    public func answers(_ call: CallID) -> Bool {
        switch self {
        case .reply(let id, _): id == call
        case .admit(.driver(_, let id)): id == call
        default: false
        }
    }
}
