import SparkModel
import SparkProtocol

/// What one load run does, after the command line was checked.
struct LoadSettings: Sendable {
    /// What the round-trip probe asks, and whom.
    enum Probe: String, Sendable, CaseIterable {
        /// `RequestDriverStatus` for a driver that does not exist, to the `Master` endpoint: answered
        /// from the master's own inbox (behind every queued heartbeat), no state change, nothing logged.
        case driverStatus = "driver-status"
        /// `ExecutorStateChanged(RUNNING)` for an executor that does not exist, to the `Master`
        /// endpoint: also queued behind the heartbeats, but a Spark master logs a warning per probe.
        case executorState = "executor-state"
        /// `CheckExistence("Master")` to the `endpoint-verifier`: a different endpoint, so it measures
        /// the transport and decoding, not the master's backlog.
        case checkExistence = "check-existence"
    }

    var master: RpcAddress
    var workers: Int
    var apps: Int
    var connections: Int
    var heartbeatInterval: TimeSpan
    var duration: TimeSpan
    var grace: TimeSpan
    /// Registrations started per second; 0 sends them all at once.
    var registerRate: Double
    var workerCores: Int32
    /// MiB.
    var workerMemory: Int32
    var appMaxCores: Int32?
    /// MiB.
    var executorMemory: Int64
    var probe: Probe
    var probeInterval: TimeSpan
    /// `http://host:port` of the master's web UI, for `/json/`.
    var webUI: String?
    /// How far past one heartbeat interval a worker's `lastheartbeat` may be and still count as on time.
    var lateTolerance: TimeSpan
    /// The host simulated workers and drivers announce.
    var host: String
    var version: SparkVersion

    /// Whether every simulated endpoint can get a loopback address of its own (see `LoadAddressing`).
    var usesLoopbackAliases: Bool { LoadAddressing.isLoopback(host) && LoadAddressing.isLoopback(master.host) }
}
