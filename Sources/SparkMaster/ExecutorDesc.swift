import SparkModel

/// Identifies an executor across the master's tables.
public struct ExecutorKey: Sendable, Hashable {
    public var appId: String
    public var execId: Int32
}

/// An executor the master granted (Spark: `org.apache.spark.deploy.master.ExecutorDesc`).
public struct ExecutorDesc: Sendable, Equatable {
    public let id: Int32
    public let appId: String
    /// The worker's id.
    public let workerId: String
    public let cores: Int32
    /// MiB.
    public let memory: Int32
    public let resources: [(String, ResourceInformation)]
    public let rpId: Int32
    public internal(set) var state: ExecutorState = .launching

    public var key: ExecutorKey { ExecutorKey(appId: appId, execId: id) }
    public var fullId: String { "\(appId)/\(id)" }

    public static func == (lhs: ExecutorDesc, rhs: ExecutorDesc) -> Bool {
        lhs.id == rhs.id && lhs.appId == rhs.appId && lhs.workerId == rhs.workerId && lhs.cores == rhs.cores
            && lhs.memory == rhs.memory && lhs.rpId == rhs.rpId && lhs.state == rhs.state
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// What one executor of a resource profile needs (Spark: `ExecutorResourceDescription`).
public struct ExecutorResourceDescription: Sendable, Equatable {
    public var coresPerExecutor: Int32?
    /// MiB.
    public var memoryMbPerExecutor: Int32
    public var customResourcesPerExecutor: [ResourceRequirement]

    public init(coresPerExecutor: Int32?, memoryMbPerExecutor: Int32, customResourcesPerExecutor: [ResourceRequirement] = []) {
        self.coresPerExecutor = coresPerExecutor
        self.memoryMbPerExecutor = memoryMbPerExecutor
        self.customResourcesPerExecutor = customResourcesPerExecutor
    }
}
