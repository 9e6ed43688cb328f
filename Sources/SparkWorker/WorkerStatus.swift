import SparkModel

/// What the worker shows on its web UI (`/json`): Spark's `WorkerStateResponse`.
public struct WorkerStatus: Sendable, Equatable {
    public var workerId: String
    public var host: String
    public var port: Int32
    public var masterUrl: String
    public var masterWebUiUrl: String
    public var cores: Int32
    public var coresUsed: Int32
    public var memoryMiB: Int32
    public var memoryUsedMiB: Int32
    public var executors: [ExecutorRecord]
    public var finishedExecutors: [ExecutorRecord]
    public var drivers: [DriverRecord]
    public var finishedDrivers: [DriverRecord]
    public var workDirectory: String
    /// Custom resources offered to the master (Spark: `WorkerStateResponse.resources`).
    public var resources: [ResourceInformation]

    public init(
        workerId: String, host: String, port: Int32, masterUrl: String, masterWebUiUrl: String, cores: Int32,
        coresUsed: Int32, memoryMiB: Int32, memoryUsedMiB: Int32, executors: [ExecutorRecord],
        finishedExecutors: [ExecutorRecord], drivers: [DriverRecord] = [], finishedDrivers: [DriverRecord] = [], workDirectory: String,
        resources: [ResourceInformation] = []
    ) {
        self.workerId = workerId
        self.host = host
        self.port = port
        self.masterUrl = masterUrl
        self.masterWebUiUrl = masterWebUiUrl
        self.cores = cores
        self.coresUsed = coresUsed
        self.memoryMiB = memoryMiB
        self.memoryUsedMiB = memoryUsedMiB
        self.executors = executors
        self.finishedExecutors = finishedExecutors
        self.drivers = drivers
        self.finishedDrivers = finishedDrivers
        self.workDirectory = workDirectory
        self.resources = resources
    }

    /// Addresses in use by running executors and drivers, per offered resource (Spark:
    /// `WorkerStateResponse.resourcesUsed`).
    public var resourcesUsed: [ResourceInformation] {
        WorkerResources.used(offered: resources, assigned: executors.map(\.resources) + drivers.map(\.resources))
    }
}
