import SparkModel

/// An application registered with the master (Spark: `org.apache.spark.deploy.master.ApplicationInfo`).
public struct ApplicationInfo: Sendable, Equatable {
    public let id: String
    public let desc: ApplicationDescription
    public var driver: RpcEndpointRef
    public let startTime: Int64
    public internal(set) var state: ApplicationState = .waiting
    public internal(set) var executors: [Int32: ExecutorDesc] = [:]
    public internal(set) var removedExecutors: [ExecutorDesc] = []
    public internal(set) var coresGranted: Int32 = 0
    public internal(set) var endTime: Int64 = -1
    public internal(set) var retryCount = 0
    public let requestedCores: Int32
    private var nextExecutorId: Int32 = 0
    private var executorsPerProfile: [Int32: Set<Int32>] = [:]
    private var targetExecutorsPerProfile: [Int32: Int32] = [:]
    private var profileDescriptions: [Int32: ExecutorResourceDescription] = [:]

    /// Removed executors kept for the UI, at most this many.
    static let retainedRemovedExecutors = 1000

    public init(id: String, desc: ApplicationDescription, driver: RpcEndpointRef, startTime: Int64, defaultCores: Int32) {
        self.init(id: id, desc: desc, driver: driver, startTime: startTime, requestedCores: desc.maxCores ?? defaultCores)
    }

    /// The application as recovery finds it: executors unknown until the workers answer
    /// (Spark persists only the non-transient fields).
    public func recovered() -> ApplicationInfo {
        var copy = ApplicationInfo(id: id, desc: desc, driver: driver, startTime: startTime, requestedCores: requestedCores)
        copy.retryCount = retryCount
        copy.state = .unknown
        return copy
    }

    public init(id: String, desc: ApplicationDescription, driver: RpcEndpointRef, startTime: Int64, requestedCores: Int32) {
        self.id = id
        self.desc = desc
        self.driver = driver
        self.startTime = startTime
        self.requestedCores = requestedCores
        addProfile(desc.defaultProfile)
        targetExecutorsPerProfile[desc.defaultProfile.id] = desc.initialExecutorLimit ?? Int32.max
    }

    /// Cores still wanted: `requestedCores - coresGranted`.
    public var coresLeft: Int32 { requestedCores - coresGranted }

    public var isFinished: Bool { state != .waiting && state != .running }

    /// Resource profile ids with a description, ascending.
    var requestedProfileIds: [Int32] { profileDescriptions.keys.sorted() }

    func resourceDescription(profileId: Int32) -> ExecutorResourceDescription? { profileDescriptions[profileId] }

    func executorCount(profileId: Int32) -> Int { executorsPerProfile[profileId]?.count ?? 0 }

    func targetExecutors(profileId: Int32) -> Int32 { targetExecutorsPerProfile[profileId] ?? 0 }

    /// Memory per executor of the default profile, for the UI.
    public var memoryPerExecutorMB: Int32 { desc.memoryPerExecutorMB }

    /// Sum of the per-profile executor targets (Spark: `getExecutorLimit`).
    public var executorLimit: Int64 { targetExecutorsPerProfile.values.reduce(0) { $0 + Int64($1) } }

    private mutating func addProfile(_ profile: ResourceProfile) {
        guard profileDescriptions[profile.id] == nil else { return }
        let cores = profile.executorCores.map { Int32(clamping: $0) } ?? desc.coresPerExecutor
        let memory = profile.executorResource("memory").map { Int32(clamping: $0.amount) } ?? desc.memoryPerExecutorMB
        let custom = profile.customExecutorResources.sorted { $0.resourceName < $1.resourceName }
        profileDescriptions[profile.id] = ExecutorResourceDescription(
            coresPerExecutor: cores, memoryMbPerExecutor: memory, customResourcesPerExecutor: custom)
    }

    /// Spark: `requestExecutors` — new per-profile targets.
    mutating func requestExecutors(_ totals: [(ResourceProfile, Int32)]) {
        for (profile, total) in totals {
            addProfile(profile)
            targetExecutorsPerProfile[profile.id] = total
        }
    }

    mutating func addExecutor(
        workerId: String, cores: Int32, memory: Int32, resources: [(String, ResourceInformation)], rpId: Int32,
        useId: Int32? = nil
    ) -> ExecutorDesc {
        let id: Int32
        if let useId {
            id = useId
            nextExecutorId = max(nextExecutorId, useId + 1)
        } else {
            id = nextExecutorId
            nextExecutorId += 1
        }
        let executor = ExecutorDesc(id: id, appId: self.id, workerId: workerId, cores: cores, memory: memory, resources: resources, rpId: rpId)
        executors[id] = executor
        executorsPerProfile[rpId, default: []].insert(id)
        coresGranted += cores
        return executor
    }

    mutating func removeExecutor(_ id: Int32) {
        guard let executor = executors.removeValue(forKey: id) else { return }
        removedExecutors.append(executor)
        if removedExecutors.count > Self.retainedRemovedExecutors { removedExecutors.removeFirst() }
        executorsPerProfile[executor.rpId]?.remove(id)
        coresGranted -= executor.cores
    }

    mutating func setExecutorState(_ id: Int32, _ state: ExecutorState) {
        executors[id]?.state = state
    }

    mutating func incrementRetryCount() -> Int {
        retryCount += 1
        return retryCount
    }

    mutating func resetRetryCount() { retryCount = 0 }

    /// Restores a persisted retry count, one step at a time.
    public mutating func incrementRetryCountForRecovery() -> Int { incrementRetryCount() }

    mutating func markFinished(_ state: ApplicationState, now: Int64) {
        self.state = state
        endTime = now
    }

    /// Running time: until `endTime`, or until `now` while running.
    public func duration(now: Int64) -> Int64 { endTime != -1 ? endTime - startTime : now - startTime }
}

extension ApplicationInfo {
    public static func == (lhs: ApplicationInfo, rhs: ApplicationInfo) -> Bool {
        lhs.id == rhs.id && lhs.state == rhs.state && lhs.executors == rhs.executors && lhs.coresGranted == rhs.coresGranted
            && lhs.retryCount == rhs.retryCount && lhs.endTime == rhs.endTime
    }
}
