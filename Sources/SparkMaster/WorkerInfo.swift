import SparkModel

/// A custom resource of a worker and which of its addresses are taken (Spark: `WorkerResourceInfo`).
public struct WorkerResource: Sendable, Equatable {
    public var name: String
    public var addresses: [String]
    public var assigned: Set<String> = []

    public init(name: String, addresses: [String]) {
        self.name = name
        self.addresses = addresses
    }

    public var available: [String] { addresses.filter { !assigned.contains($0) } }
}

/// What the master knows of a worker (Spark: `org.apache.spark.deploy.master.WorkerInfo`).
public struct WorkerInfo: Sendable, Equatable {
    public let id: String
    public let host: String
    public let port: Int32
    public var endpoint: RpcEndpointRef
    public let cores: Int32
    /// MiB.
    public let memory: Int32
    public let webUiAddress: String
    public var resources: [String: WorkerResource]
    public internal(set) var state: WorkerState = .alive
    public internal(set) var lastHeartbeat: Int64
    public internal(set) var coresUsed: Int32 = 0
    public internal(set) var memoryUsed: Int32 = 0
    /// Executors on this worker by full id (`appId/execId`).
    public internal(set) var executors: [String: ExecutorKey] = [:]
    /// Drivers on this worker.
    public internal(set) var drivers: Set<String> = []

    public init(
        id: String, host: String, port: Int32, endpoint: RpcEndpointRef, cores: Int32, memory: Int32,
        webUiAddress: String, resources: [String: WorkerResource], now: Int64
    ) {
        self.id = id
        self.host = host
        self.port = port
        self.endpoint = endpoint
        self.cores = cores
        self.memory = memory
        self.webUiAddress = webUiAddress
        self.resources = resources
        self.lastHeartbeat = now
    }

    /// The worker as recovery finds it: what it runs is unknown until it answers.
    public func recovered(now: Int64) -> WorkerInfo {
        var copy = WorkerInfo(
            id: id, host: host, port: port, endpoint: endpoint, cores: cores, memory: memory,
            webUiAddress: webUiAddress, resources: resources.mapValues { WorkerResource(name: $0.name, addresses: $0.addresses) },
            now: now)
        copy.state = .unknown
        return copy
    }

    public var coresFree: Int32 { cores - coresUsed }
    public var memoryFree: Int32 { memory - memoryUsed }
    public var hostPort: String { "\(host):\(port)" }
    public var isAlive: Bool { state == .alive }

    /// The address disconnects are matched against: the worker endpoint's address.
    public var address: RpcAddress { endpoint.rpcAddress ?? RpcAddress(host: host, port: port) }

    /// Free amount per custom resource.
    public var resourcesAmountFree: [String: Int] {
        resources.mapValues { $0.addresses.count - $0.assigned.count }
    }

    /// Used amount per custom resource.
    public var resourcesAmountUsed: [String: Int] {
        resources.mapValues { $0.assigned.count }
    }

    /// Whether the free custom resources satisfy `requirements`.
    func meets(_ requirements: [ResourceRequirement], alreadyAssigned: Int = 0) -> Bool {
        requirements.allSatisfy { requirement in
            let free = resourcesAmountFree[requirement.resourceName] ?? 0
            return free - Int(requirement.amount) * alreadyAssigned >= Int(requirement.amount)
        }
    }

    /// Takes addresses for `requirements` (Spark: `acquireResources`).
    mutating func acquire(_ requirements: [ResourceRequirement]) -> [(String, ResourceInformation)] {
        var allocated: [(String, ResourceInformation)] = []
        for requirement in requirements {
            guard var resource = resources[requirement.resourceName] else { continue }
            let taken = Array(resource.available.prefix(Int(requirement.amount)))
            resource.assigned.formUnion(taken)
            resources[requirement.resourceName] = resource
            allocated.append((requirement.resourceName, ResourceInformation(name: requirement.resourceName, addresses: taken)))
        }
        return allocated
    }

    /// Marks addresses as taken again, e.g. for executors reported during recovery.
    mutating func recover(_ used: [(String, ResourceInformation)]) {
        for (name, info) in used {
            resources[name]?.assigned.formUnion(info.addresses)
        }
    }

    mutating func release(_ used: [(String, ResourceInformation)]) {
        for (name, info) in used {
            resources[name]?.assigned.subtract(info.addresses)
        }
    }

    mutating func addExecutor(_ executor: ExecutorDesc) {
        executors[executor.fullId] = executor.key
        coresUsed += executor.cores
        memoryUsed += executor.memory
    }

    mutating func removeExecutor(_ executor: ExecutorDesc) {
        guard executors.removeValue(forKey: executor.fullId) != nil else { return }
        coresUsed -= executor.cores
        memoryUsed -= executor.memory
        release(executor.resources)
    }
}
