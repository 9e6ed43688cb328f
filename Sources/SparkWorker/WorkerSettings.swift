import SparkConfig

/// The `spark.*` settings the worker core acts on, read once from the daemon's `SparkConf`.
///
/// Spark: `org.apache.spark.internal.config.Worker`, `Worker.scala` constants.
public struct WorkerSettings: Sendable, Equatable {
    /// `spark.worker.timeout` (s); heartbeats go every quarter of it.
    public var workerTimeoutSeconds: Double = 60
    /// `spark.worker.initialRegistrationRetries`.
    public var initialRegistrationRetries: Int = 6
    /// `spark.worker.maxRegistrationRetries`.
    public var maxRegistrationRetries: Int = 16
    /// `spark.worker.cleanup.enabled` (true since Spark 4.0).
    public var cleanupEnabled: Bool = true
    /// `spark.worker.cleanup.interval` (s).
    public var cleanupIntervalSeconds: Double = 1800
    /// `spark.worker.cleanup.appDataTtl` (s).
    public var appDataTtlSeconds: Double = 7 * 24 * 3600
    /// `spark.worker.executorStateSync.maxAttempts`.
    public var executorStateSyncMaxAttempts: Int = 5
    /// `spark.worker.preferConfiguredMasterAddress`.
    public var preferConfiguredMasterAddress: Bool = false
    /// `spark.worker.ui.retainedExecutors`.
    public var retainedExecutors: Int = 1000
    /// `spark.worker.idPattern`: `%s` time, `%s` host, `%d` port.
    public var workerIdPattern: String = "worker-%s-%s-%d"
    /// `spark.rpc.askTimeout`, else `spark.network.timeout` (s).
    public var askTimeoutSeconds: Double = 120
    /// How long a killed executor gets between SIGTERM and SIGKILL (Spark: `EXECUTOR_TERMINATE_TIMEOUT_MS`, fixed).
    public var executorTerminateTimeoutSeconds: Double = 10
    /// `spark.ui.reverseProxy`.
    public var reverseProxy: Bool = false
    /// `spark.ui.reverseProxyUrl`.
    public var reverseProxyUrl: String = ""
    /// `spark.decommission.enabled`.
    public var decommissionEnabled: Bool = false
    /// `spark.worker.decommission.signal`: the signal's name without `SIG`.
    public var decommissionSignal: String = "PWR"
    /// `spark.worker.driverTerminateTimeout` (s; bare numbers are milliseconds, as in Spark): a
    /// killed driver's time between SIGTERM and SIGKILL.
    public var driverTerminateTimeoutSeconds: Double = 10
    /// `spark.worker.ui.retainedDrivers`.
    public var retainedDrivers: Int = 1000
    /// `spark.files.fetchTimeout` (s): connecting to, and each read from, the server of a driver's
    /// `http:`/`https:` jar; 0 for none.
    public var fetchTimeoutSeconds: Double = 60
    /// `spark.shuffle.service.enabled`: the worker runs Spark's external shuffle service.
    public var shuffleServiceEnabled: Bool = false
    /// `spark.shuffle.service.port`.
    public var shuffleServicePort: Int = 7337
    /// `spark.storage.cleanupFilesAfterExecutorExit`: the shuffle service deletes an exited
    /// executor's files other than its shuffle outputs.
    public var cleanupFilesAfterExecutorExit: Bool = true
    /// `spark.shuffle.service.fetch.rdd.enabled`: cached RDD blocks are served after their executor
    /// exits, so that cleanup keeps them.
    public var shuffleServiceFetchRddEnabled: Bool = false
    /// `spark.shuffle.maxChunksBeingTransferred`: block replies of the shuffle service written and
    /// not yet sent beyond which a connection asking for more is closed (no limit by default).
    public var shuffleMaxChunksBeingTransferred: Int = .max
    /// `spark.shuffle.io.connectionTimeout` (`spark.network.timeout`, 120 s), in whole seconds as
    /// Spark takes it: a shuffle service connection idle in both directions this long is closed;
    /// 0 (or less than a second) closes none, as in Spark.
    public var shuffleConnectionTimeoutSeconds: Int = 120
    /// `spark.redaction.regex`: the `-D` options of launch commands whose key or value matches are
    /// shown redacted in the worker's log and the executors' and drivers' `stderr`.
    public var redactionPattern: String = SparkConf.defaultRedactionPattern
    /// Extra time, beyond the terminate timeout, a graceful shutdown waits for the master's acknowledgements.
    public var shutdownReportGraceSeconds: Double = 5

    public init() {}

    /// Reads the settings from a daemon configuration; malformed values are errors, as in Spark.
    public init(conf: SparkConf) throws(SparkConfError) {
        workerTimeoutSeconds = try conf.seconds("spark.worker.timeout", default: 60)
        initialRegistrationRetries = try conf.int("spark.worker.initialRegistrationRetries", default: 6)
        maxRegistrationRetries = try conf.int("spark.worker.maxRegistrationRetries", default: 16)
        cleanupEnabled = try conf.bool("spark.worker.cleanup.enabled", default: true)
        cleanupIntervalSeconds = try conf.seconds("spark.worker.cleanup.interval", default: 1800)
        appDataTtlSeconds = try conf.seconds("spark.worker.cleanup.appDataTtl", default: 7 * 24 * 3600)
        executorStateSyncMaxAttempts = try conf.int("spark.worker.executorStateSync.maxAttempts", default: 5)
        preferConfiguredMasterAddress = try conf.bool("spark.worker.preferConfiguredMasterAddress", default: false)
        retainedExecutors = try conf.int("spark.worker.ui.retainedExecutors", default: 1000)
        workerIdPattern = conf.string("spark.worker.idPattern", default: "worker-%s-%s-%d")
        let network = try conf.seconds("spark.network.timeout", default: 120)
        askTimeoutSeconds = try conf.seconds("spark.rpc.askTimeout", default: network)
        reverseProxy = try conf.bool("spark.ui.reverseProxy", default: false)
        reverseProxyUrl = conf.string("spark.ui.reverseProxyUrl", default: "")
        decommissionEnabled = try conf.bool("spark.decommission.enabled", default: false)
        decommissionSignal = conf.string("spark.worker.decommission.signal", default: decommissionSignal)
        driverTerminateTimeoutSeconds = try conf.seconds("spark.worker.driverTerminateTimeout", default: 10, defaultUnit: .milliseconds)
        retainedDrivers = try conf.int("spark.worker.ui.retainedDrivers", default: 1000)
        fetchTimeoutSeconds = try conf.seconds("spark.files.fetchTimeout", default: 60)
        redactionPattern = conf.redactionPattern
        shuffleServiceEnabled = try conf.bool("spark.shuffle.service.enabled", default: false)
        shuffleServicePort = try conf.int("spark.shuffle.service.port", default: 7337)
        guard (0...65535).contains(shuffleServicePort) else {
            throw SparkConfError(key: "spark.shuffle.service.port", value: String(shuffleServicePort), expected: "a port number (0 to 65535)")
        }
        cleanupFilesAfterExecutorExit = try conf.bool("spark.storage.cleanupFilesAfterExecutorExit", default: true)
        shuffleServiceFetchRddEnabled = try conf.bool("spark.shuffle.service.fetch.rdd.enabled", default: false)
        shuffleMaxChunksBeingTransferred = try conf.int("spark.shuffle.maxChunksBeingTransferred", default: .max)
        let shuffleTimeout = try conf.seconds("spark.shuffle.io.connectionTimeout", default: network)
        shuffleConnectionTimeoutSeconds = Int(min(max(shuffleTimeout, 0), 86_400 * 365).rounded(.down))
        // 0 is no timeout, as in Java; beyond a day is taken as a day.
        guard fetchTimeoutSeconds >= 0 else {
            throw SparkConfError(key: "spark.files.fetchTimeout", value: conf.string("spark.files.fetchTimeout", default: ""), expected: "a duration, 0 for none")
        }
        fetchTimeoutSeconds = min(fetchTimeoutSeconds, 86_400)
    }

    /// Heartbeat period: `timeout * 1000 / 4` ms, integer division as in Spark.
    public var heartbeatInterval: Duration {
        .milliseconds(Int64(workerTimeoutSeconds * 1000) / 4)
    }

    public var askTimeout: Duration { .milliseconds(Int64(askTimeoutSeconds * 1000)) }
    public var executorTerminateTimeout: Duration { .milliseconds(Int64(executorTerminateTimeoutSeconds * 1000)) }
    public var cleanupInterval: Duration { .milliseconds(Int64(cleanupIntervalSeconds * 1000)) }
    public var driverTerminateTimeout: Duration { .milliseconds(Int64(driverTerminateTimeoutSeconds * 1000)) }
}
