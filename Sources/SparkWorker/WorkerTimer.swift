/// Timers the core schedules; the shell fires each one at most once per `scheduleTimer`.
public enum WorkerTimer: Sendable, Hashable, CustomStringConvertible {
    /// Spark: `ReregisterWithMaster`.
    case registrationRetry
    /// Spark: `SendHeartbeat`.
    case heartbeat
    /// Spark: `WorkDirCleanup`.
    case workDirCleanup
    /// Re-ask a state report that failed (numbered by the core).
    case stateReportRetry(Int)
    /// Give up waiting for executors and acknowledgements during a graceful shutdown.
    case shutdownDeadline
    /// Start a supervised driver again after its back-off.
    case driverRelaunch(String)

    public var description: String {
        switch self {
        case .registrationRetry: "registrationRetry"
        case .heartbeat: "heartbeat"
        case .workDirCleanup: "workDirCleanup"
        case .stateReportRetry(let id): "stateReportRetry(\(id))"
        case .shutdownDeadline: "shutdownDeadline"
        case .driverRelaunch(let id): "driverRelaunch(\(id))"
        }
    }
}
