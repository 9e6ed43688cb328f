import SparkModel

/// What was persisted for recovery (Spark: `readPersistedData`).
public struct PersistedState: Sendable, Equatable {
    public var applications: [ApplicationInfo]
    public var drivers: [DriverInfo]
    public var workers: [WorkerInfo]

    public init(applications: [ApplicationInfo] = [], drivers: [DriverInfo] = [], workers: [WorkerInfo] = []) {
        self.applications = applications
        self.drivers = drivers
        self.workers = workers
    }

    public var isEmpty: Bool { applications.isEmpty && drivers.isEmpty && workers.isEmpty }
}

/// An event the master reacts to.
public enum MasterInput: Sendable {
    /// Leadership gained, with what was persisted (empty without recovery).
    case electedLeader(PersistedState)
    case revokedLeadership
    /// A message from a peer; `call` is set for asks, which need exactly one `.reply`.
    case message(SparkMessage, sender: RpcAddress, call: CallID?)
    /// A connection to `address` closed (raised once per address the peer had).
    case disconnected(RpcAddress)
    case timerFired(MasterTimer)
    /// The web UI asks to kill an application (Spark: `/app/kill/`).
    case killApplication(id: String)
    /// The web UI asks to kill a driver.
    case killDriver(id: String)
    /// The web UI decommissions these workers (Spark: `DecommissionWorkers`, from `/workers/kill/`).
    case decommissionWorkers(ids: [String])
    /// The record of an `.admit` action was stored.
    case stored(Admission)
    /// The record of an `.admit` action could not be stored; `reason` is the store's error.
    case notStored(Admission, reason: String)
    /// The REST server's `clear`: forget the completed drivers and applications.
    case clearCompletedDriversAndApps
}
