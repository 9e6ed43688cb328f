import SparkConfig
import SparkModel

/// How `spark.deploy.workerSelectionPolicy` orders usable workers.
public enum WorkerSelectionPolicy: String, Sendable, CaseIterable {
    case coresFreeAscending = "CORES_FREE_ASC"
    case coresFreeDescending = "CORES_FREE_DESC"
    case memoryFreeAscending = "MEMORY_FREE_ASC"
    case memoryFreeDescending = "MEMORY_FREE_DESC"
    case workerId = "WORKER_ID"
}

/// The master's settings (Spark: `org.apache.spark.internal.config.Deploy` and `Worker`).
public struct MasterConfiguration: Sendable, Equatable {
    /// `spark://host:port` of this master, as workers and drivers must address it.
    public var masterAddress: RpcAddress
    /// The master's own endpoint reference, sent in replies.
    public var masterRef: RpcEndpointRef
    public var masterWebUiUrl: String
    public var restPort: Int32?

    public var workerTimeoutMs: Int64 = 60_000
    public var retainedApplications = 200
    public var retainedDrivers = 200
    public var reaperIterations = 15
    public var recoveryTimeoutMs: Int64?
    public var maxExecutorRetries = 10
    public var spreadOutApps = true
    public var spreadOutDrivers = true
    public var workerSelectionPolicy = WorkerSelectionPolicy.coresFreeDescending
    public var defaultCores = Int32.max
    public var maxDrivers = Int.max
    public var appIdPattern = "app-%s-%04d"
    public var driverIdPattern = "driver-%s-%04d"
    public var appNumberModulo: Int?
    public var useAppNameAsAppId = false
    /// `spark.master.useDriverIdAsAppName.enabled`: a submitted driver's application is named
    /// after the driver's id.
    public var useDriverIdAsAppName = false
    /// Offset of local time from UTC, for the timestamps in application and driver ids.
    public var timeZoneOffsetSeconds = 0
    /// The Spark release this master serves (`Running Spark version` at start).
    public var sparkVersion = "4.3.0"

    public init(masterAddress: RpcAddress, masterWebUiUrl: String, restPort: Int32? = nil) {
        self.masterAddress = masterAddress
        self.masterRef = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: masterAddress, name: "Master"))
        self.masterWebUiUrl = masterWebUiUrl
        self.restPort = restPort
    }

    /// `spark://host:port`.
    public var masterUrl: String { masterAddress.sparkURL }

    /// Time the master waits in RECOVERING before completing recovery.
    public var effectiveRecoveryTimeoutMs: Int64 { recoveryTimeoutMs ?? workerTimeoutMs }

    /// Reads the `spark.*` settings Spark's Master honours; bad values are errors naming the key.
    public mutating func apply(_ conf: SparkConf) throws(SparkConfError) {
        workerTimeoutMs = Int64(try conf.seconds("spark.worker.timeout", default: 60) * 1000)
        guard workerTimeoutMs > 0 else {
            throw SparkConfError(key: "spark.worker.timeout", value: conf["spark.worker.timeout"] ?? "", expected: "a positive duration")
        }
        retainedApplications = try conf.int("spark.deploy.retainedApplications", default: 200)
        retainedDrivers = try conf.int("spark.deploy.retainedDrivers", default: 200)
        reaperIterations = try conf.int("spark.dead.worker.persistence", default: 15)
        if conf.contains("spark.deploy.recoveryTimeout") {
            let seconds = try conf.seconds("spark.deploy.recoveryTimeout", default: 60)
            guard seconds > 0 else {
                throw SparkConfError(key: "spark.deploy.recoveryTimeout", value: conf["spark.deploy.recoveryTimeout"] ?? "", expected: "a positive duration")
            }
            recoveryTimeoutMs = Int64(seconds * 1000)
        }
        maxExecutorRetries = try conf.int("spark.deploy.maxExecutorRetries", default: 10)
        let spreadOutKey = conf.contains("spark.deploy.spreadOutApps") ? "spark.deploy.spreadOutApps" : "spark.deploy.spreadOut"
        spreadOutApps = try conf.bool(spreadOutKey, default: true)
        spreadOutDrivers = try conf.bool("spark.deploy.spreadOutDrivers", default: true)
        if let raw = conf["spark.deploy.workerSelectionPolicy"] {
            guard let policy = WorkerSelectionPolicy(rawValue: raw.uppercased()) else {
                throw SparkConfError(
                    key: "spark.deploy.workerSelectionPolicy", value: raw,
                    expected: "one of \(WorkerSelectionPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            workerSelectionPolicy = policy
        }
        let cores = try conf.int("spark.deploy.defaultCores", default: Int(Int32.max))
        guard cores > 0, cores <= Int(Int32.max) else {
            throw SparkConfError(key: "spark.deploy.defaultCores", value: "\(cores)", expected: "a positive integer")
        }
        defaultCores = Int32(cores)
        maxDrivers = try conf.int("spark.deploy.maxDrivers", default: Int.max)
        guard maxDrivers > 0 else {
            throw SparkConfError(key: "spark.deploy.maxDrivers", value: "\(maxDrivers)", expected: "a positive integer")
        }
        appIdPattern = conf.string("spark.deploy.appIdPattern", default: appIdPattern)
        driverIdPattern = conf.string("spark.deploy.driverIdPattern", default: driverIdPattern)
        for (key, pattern) in [("spark.deploy.appIdPattern", appIdPattern), ("spark.deploy.driverIdPattern", driverIdPattern)] {
            guard let sample = IdentifierFormat.format(pattern, timestamp: "20231101000000", number: 0),
                  !sample.contains(where: \.isWhitespace)
            else {
                throw SparkConfError(key: key, value: pattern, expected: "a pattern with %s and %d and no whitespace")
            }
        }
        if let modulo = try conf.optionalInt("spark.deploy.appNumberModulo") {
            guard modulo >= 1000 else {
                throw SparkConfError(key: "spark.deploy.appNumberModulo", value: "\(modulo)", expected: "an integer of at least 1000")
            }
            appNumberModulo = modulo
        }
        useAppNameAsAppId = try conf.bool("spark.master.useAppNameAsAppId.enabled", default: false)
        useDriverIdAsAppName = try conf.bool("spark.master.useDriverIdAsAppName.enabled", default: false)
    }
}
