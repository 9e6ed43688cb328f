/// Executor states (Spark: `org.apache.spark.deploy.ExecutorState`); raw values are the wire ids.
public enum ExecutorState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case launching = 0, running, killed, failed, lost, exited, decommissioned

    /// Spark's `ExecutorState.isFinished`.
    public var isFinished: Bool {
        switch self {
        case .killed, .failed, .lost, .exited: true
        case .launching, .running, .decommissioned: false
        }
    }

    public var description: String {
        switch self {
        case .launching: "LAUNCHING"
        case .running: "RUNNING"
        case .killed: "KILLED"
        case .failed: "FAILED"
        case .lost: "LOST"
        case .exited: "EXITED"
        case .decommissioned: "DECOMMISSIONED"
        }
    }
}

/// Driver states (Spark: `org.apache.spark.deploy.master.DriverState`).
public enum DriverState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case submitted = 0, running, finished, relaunching, unknown, killed, failed, error

    public var description: String {
        switch self {
        case .submitted: "SUBMITTED"
        case .running: "RUNNING"
        case .finished: "FINISHED"
        case .relaunching: "RELAUNCHING"
        case .unknown: "UNKNOWN"
        case .killed: "KILLED"
        case .failed: "FAILED"
        case .error: "ERROR"
        }
    }
}

/// Application states (Spark: `org.apache.spark.deploy.master.ApplicationState`).
public enum ApplicationState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case waiting = 0, running, finished, failed, killed, unknown

    public var description: String {
        switch self {
        case .waiting: "WAITING"
        case .running: "RUNNING"
        case .finished: "FINISHED"
        case .failed: "FAILED"
        case .killed: "KILLED"
        case .unknown: "UNKNOWN"
        }
    }
}

/// Worker states (Spark: `org.apache.spark.deploy.master.WorkerState`).
public enum WorkerState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case alive = 0, dead, decommissioned, unknown

    public var description: String {
        switch self {
        case .alive: "ALIVE"
        case .dead: "DEAD"
        case .decommissioned: "DECOMMISSIONED"
        case .unknown: "UNKNOWN"
        }
    }
}

/// Master recovery states (Spark: `org.apache.spark.deploy.master.RecoveryState`).
public enum RecoveryState: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case standby = 0, alive, recovering, completingRecovery

    public var description: String {
        switch self {
        case .standby: "STANDBY"
        case .alive: "ALIVE"
        case .recovering: "RECOVERING"
        case .completingRecovery: "COMPLETING_RECOVERY"
        }
    }
}
