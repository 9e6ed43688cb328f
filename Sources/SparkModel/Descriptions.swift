/// An object graph kept exactly as a JVM peer sent it, so relaying it re-sends the same bytes.
///
/// The model never looks inside; the protocol mapping stores and re-emits it.
public struct PreservedObject: @unchecked Sendable, Equatable {
    // The stored graph is immutable once decoded.
    public let storage: AnyObject

    public init(_ storage: AnyObject) { self.storage = storage }

    public static func == (lhs: PreservedObject, rhs: PreservedObject) -> Bool { lhs.storage === rhs.storage }
}

/// Spark: `org.apache.spark.resource.ResourceInformation`.
public struct ResourceInformation: Sendable, Equatable {
    public var name: String
    public var addresses: [String]

    public init(name: String, addresses: [String]) {
        self.name = name
        self.addresses = addresses
    }
}

/// Spark: `org.apache.spark.resource.ResourceRequirement`.
public struct ResourceRequirement: Sendable, Equatable {
    public var resourceName: String
    public var amount: Int32
    public var numParts: Int32

    public init(resourceName: String, amount: Int32, numParts: Int32 = 1) {
        self.resourceName = resourceName
        self.amount = amount
        self.numParts = numParts
    }
}

/// Spark: `org.apache.spark.resource.ExecutorResourceRequest`.
public struct ExecutorResourceRequest: Sendable, Equatable {
    public var resourceName: String
    public var amount: Int64
    public var discoveryScript: String
    public var vendor: String

    public init(resourceName: String, amount: Int64, discoveryScript: String = "", vendor: String = "") {
        self.resourceName = resourceName
        self.amount = amount
        self.discoveryScript = discoveryScript
        self.vendor = vendor
    }
}

/// Spark: `org.apache.spark.resource.TaskResourceRequest`.
public struct TaskResourceRequest: Sendable, Equatable {
    public var resourceName: String
    public var amount: Double

    public init(resourceName: String, amount: Double) {
        self.resourceName = resourceName
        self.amount = amount
    }
}

/// Spark: `org.apache.spark.resource.ResourceProfile` (its serialized fields).
public struct ResourceProfile: Sendable, Equatable {
    public var id: Int32
    /// Ordered as the peer sent them.
    public var executorResources: [(String, ExecutorResourceRequest)]
    public var taskResources: [(String, TaskResourceRequest)]
    // Caches the driver computed and serialized along with the profile.
    public var coresLimitKnown: Bool
    public var executorResourceSlotsPerAddr: [(String, Int32)]?
    public var limitingResource: String?
    public var maxTasksPerExecutor: Int32?

    public init(
        id: Int32 = 0,
        executorResources: [(String, ExecutorResourceRequest)],
        taskResources: [(String, TaskResourceRequest)],
        coresLimitKnown: Bool = false,
        executorResourceSlotsPerAddr: [(String, Int32)]? = nil,
        limitingResource: String? = nil,
        maxTasksPerExecutor: Int32? = nil
    ) {
        self.executorResourceSlotsPerAddr = executorResourceSlotsPerAddr
        self.id = id
        self.executorResources = executorResources
        self.taskResources = taskResources
        self.coresLimitKnown = coresLimitKnown
        self.limitingResource = limitingResource
        self.maxTasksPerExecutor = maxTasksPerExecutor
    }

    public func executorResource(_ name: String) -> ExecutorResourceRequest? {
        executorResources.first { $0.0 == name }?.1
    }

    /// Executor memory in MiB (`executorResources("memory")`); Spark's default is 1024.
    public var executorMemoryMiB: Int64 { executorResource("memory")?.amount ?? 1024 }
    /// Cores per executor when `spark.executor.cores` was set.
    public var executorCores: Int64? { executorResource("cores")?.amount }

    /// Custom resources the master must find on workers (everything but memory and cores).
    public var customExecutorResources: [ResourceRequirement] {
        let builtIn: Set<String> = ["cores", "memory", "offHeap", "memoryOverhead", "pyspark.memory"]
        return executorResources.filter { !builtIn.contains($0.0) }.map {
            ResourceRequirement(resourceName: $0.0, amount: Int32(clamping: $0.1.amount), numParts: 1)
        }
    }

    public static func == (lhs: ResourceProfile, rhs: ResourceProfile) -> Bool {
        lhs.id == rhs.id && lhs.coresLimitKnown == rhs.coresLimitKnown
            && lhs.limitingResource == rhs.limitingResource && lhs.maxTasksPerExecutor == rhs.maxTasksPerExecutor
            && lhs.executorResourceSlotsPerAddr?.map(\.0) == rhs.executorResourceSlotsPerAddr?.map(\.0)
            && lhs.executorResourceSlotsPerAddr?.map(\.1) == rhs.executorResourceSlotsPerAddr?.map(\.1)
            && lhs.executorResources.elementsEqual(rhs.executorResources) { $0.0 == $1.0 && $0.1 == $1.1 }
            && lhs.taskResources.elementsEqual(rhs.taskResources) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Spark: `org.apache.spark.deploy.Command`.
public struct Command: Sendable, Equatable {
    public var mainClass: String
    public var arguments: [String]
    /// Ordered as the peer sent them.
    public var environment: [(String, String)]
    public var classPathEntries: [String]
    public var libraryPathEntries: [String]
    public var javaOpts: [String]

    public init(
        mainClass: String,
        arguments: [String],
        environment: [(String, String)] = [],
        classPathEntries: [String] = [],
        libraryPathEntries: [String] = [],
        javaOpts: [String] = []
    ) {
        self.mainClass = mainClass
        self.arguments = arguments
        self.environment = environment
        self.classPathEntries = classPathEntries
        self.libraryPathEntries = libraryPathEntries
        self.javaOpts = javaOpts
    }

    public static func == (lhs: Command, rhs: Command) -> Bool {
        lhs.mainClass == rhs.mainClass && lhs.arguments == rhs.arguments
            && lhs.environment.elementsEqual(rhs.environment) { $0 == $1 }
            && lhs.classPathEntries == rhs.classPathEntries && lhs.libraryPathEntries == rhs.libraryPathEntries
            && lhs.javaOpts == rhs.javaOpts
    }
}

/// Spark: `org.apache.spark.deploy.ApplicationDescription`.
public struct ApplicationDescription: Sendable, Equatable {
    public var name: String
    public var maxCores: Int32?
    public var command: Command
    public var appUiUrl: String
    public var defaultProfile: ResourceProfile
    public var eventLogDir: String?
    public var eventLogCodec: String?
    public var initialExecutorLimit: Int32?
    public var user: String
    /// The object as the driver sent it; relayed unchanged in `LaunchExecutor`.
    public var preserved: PreservedObject?

    public init(
        name: String,
        maxCores: Int32? = nil,
        command: Command,
        appUiUrl: String,
        defaultProfile: ResourceProfile,
        eventLogDir: String? = nil,
        eventLogCodec: String? = nil,
        initialExecutorLimit: Int32? = nil,
        user: String,
        preserved: PreservedObject? = nil
    ) {
        self.name = name
        self.maxCores = maxCores
        self.command = command
        self.appUiUrl = appUiUrl
        self.defaultProfile = defaultProfile
        self.eventLogDir = eventLogDir
        self.eventLogCodec = eventLogCodec
        self.initialExecutorLimit = initialExecutorLimit
        self.user = user
        self.preserved = preserved
    }

    /// Executor memory in MiB from the default profile.
    public var memoryPerExecutorMB: Int32 { Int32(clamping: defaultProfile.executorMemoryMiB) }
    /// Cores per executor when set.
    public var coresPerExecutor: Int32? { defaultProfile.executorCores.map { Int32(clamping: $0) } }

    public static func == (lhs: ApplicationDescription, rhs: ApplicationDescription) -> Bool {
        lhs.name == rhs.name && lhs.maxCores == rhs.maxCores && lhs.command == rhs.command
            && lhs.appUiUrl == rhs.appUiUrl && lhs.defaultProfile == rhs.defaultProfile
            && lhs.eventLogDir == rhs.eventLogDir && lhs.eventLogCodec == rhs.eventLogCodec
            && lhs.initialExecutorLimit == rhs.initialExecutorLimit && lhs.user == rhs.user
    }
}

/// Spark: `org.apache.spark.deploy.DriverDescription`.
public struct DriverDescription: Sendable, Equatable {
    public var jarUrl: String
    public var mem: Int32
    public var cores: Int32
    public var supervise: Bool
    public var command: Command
    public var resourceReqs: [ResourceRequirement]
    /// The object as the submitter sent it; relayed unchanged in `LaunchDriver`.
    public var preserved: PreservedObject?

    public init(
        jarUrl: String, mem: Int32, cores: Int32, supervise: Bool, command: Command,
        resourceReqs: [ResourceRequirement] = [], preserved: PreservedObject? = nil
    ) {
        self.jarUrl = jarUrl
        self.mem = mem
        self.cores = cores
        self.supervise = supervise
        self.command = command
        self.resourceReqs = resourceReqs
        self.preserved = preserved
    }

    /// The user's main class: the third argument of the `DriverWrapper` command (worker URL, user jar,
    /// main class, …), as Spark's pages and JSON show it; the command's own class otherwise.
    public var userMainClass: String {
        command.arguments.count > 2 ? command.arguments[2] : command.mainClass
    }

    public static func == (lhs: DriverDescription, rhs: DriverDescription) -> Bool {
        lhs.jarUrl == rhs.jarUrl && lhs.mem == rhs.mem && lhs.cores == rhs.cores
            && lhs.supervise == rhs.supervise && lhs.command == rhs.command && lhs.resourceReqs == rhs.resourceReqs
    }
}

/// Spark: `org.apache.spark.deploy.ExecutorDescription`.
public struct ExecutorDescription: Sendable, Equatable {
    public var appId: String
    public var execId: Int32
    public var rpId: Int32
    public var cores: Int32
    public var memoryMb: Int32
    public var state: ExecutorState

    public init(appId: String, execId: Int32, rpId: Int32, cores: Int32, memoryMb: Int32, state: ExecutorState) {
        self.appId = appId
        self.execId = execId
        self.rpId = rpId
        self.cores = cores
        self.memoryMb = memoryMb
        self.state = state
    }
}

/// A Java exception carried in a message (`Option[Exception]` fields, `RpcFailure`).
public struct JavaExceptionInfo: Sendable, Equatable, CustomStringConvertible {
    public var className: String
    public var message: String?

    public init(className: String, message: String?) {
        self.className = className
        self.message = message
    }

    public var description: String { message.map { "\(className): \($0)" } ?? className }
}
