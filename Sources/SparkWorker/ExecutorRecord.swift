import SparkModel

/// One executor the worker launched (Spark: the fields of `ExecutorRunner` the worker uses).
public struct ExecutorRecord: Sendable, Equatable {
    /// Why the worker is killing an executor; decides the state reported when it exits.
    public enum KillReason: Sendable, Hashable {
        /// `KillExecutor` from the master.
        case requested
        /// The worker is shutting down.
        case shutdown
    }

    public var key: ExecutorKey
    public var rpId: Int32
    public var cores: Int32
    public var memoryMiB: Int32
    public var resources: [(String, ResourceInformation)]
    public var appDesc: ApplicationDescription
    public var state: ExecutorState
    /// The process (and process group) id once started.
    public var pid: Int32?
    public var killReason: KillReason?

    public init(
        key: ExecutorKey, rpId: Int32, cores: Int32, memoryMiB: Int32, resources: [(String, ResourceInformation)],
        appDesc: ApplicationDescription, state: ExecutorState, pid: Int32? = nil, killReason: KillReason? = nil
    ) {
        self.key = key
        self.rpId = rpId
        self.cores = cores
        self.memoryMiB = memoryMiB
        self.resources = resources
        self.appDesc = appDesc
        self.state = state
        self.pid = pid
        self.killReason = killReason
    }

    /// Spark's `ExecutorDescription` of this executor.
    public var executorDescription: ExecutorDescription {
        ExecutorDescription(appId: key.appId, execId: key.execId, rpId: rpId, cores: cores, memoryMb: memoryMiB, state: state)
    }

    public static func == (lhs: ExecutorRecord, rhs: ExecutorRecord) -> Bool {
        lhs.key == rhs.key && lhs.rpId == rhs.rpId && lhs.cores == rhs.cores && lhs.memoryMiB == rhs.memoryMiB
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
            && lhs.appDesc == rhs.appDesc && lhs.state == rhs.state && lhs.pid == rhs.pid
            && lhs.killReason == rhs.killReason
    }
}
