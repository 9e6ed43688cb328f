import SparkConfig
import SparkModel

/// Everything the worker core needs to know about its own process, fixed at start.
///
/// The shell fills it from the command line, the environment, the configuration and the
/// machine (bound ports, `SPARK_HOME`, the JDK, which paths are directories).
public struct WorkerConfiguration: Sendable, Equatable {
    /// Host the RPC environment advertises (`--host`); executors get it as `{{HOSTNAME}}`.
    public var host: String
    /// Bound RPC port.
    public var port: Int32
    /// Bound web UI port.
    public var webUiPort: Int32
    /// `http://` (TLS for the UI is not supported).
    public var webUiScheme: String = "http://"
    /// `SPARK_PUBLIC_DNS`, else the host: used in the web UI URL and the executors' log URLs.
    public var publicAddress: String
    /// Cores offered to the master.
    public var cores: Int32
    /// Memory offered to the master, MiB.
    public var memoryMiB: Int32
    /// Masters from the command line (`spark://h1:p1,h2:p2`), in order.
    public var masters: [RpcAddress]
    /// Absolute work directory (`--work-dir`, else `$SPARK_HOME/work`).
    public var workDirectory: String
    /// Parents of the per-worker scratch roots (`SPARK_LOCAL_DIRS`, `spark.local.dir`, else the temp dir).
    public var localRootParents: [String]
    /// Facts for building executor command lines.
    public var commandContext: ExecutorCommandContext
    public var settings: WorkerSettings
    /// The Spark release this worker runs executors of (`Running Spark version` at start).
    public var sparkVersion = "4.3.0"
    /// Custom resources offered to the master, in name order (see `WorkerResources`).
    public var resources: [ResourceInformation] = []

    public init(
        host: String, port: Int32, webUiPort: Int32, publicAddress: String? = nil, cores: Int32, memoryMiB: Int32,
        masters: [RpcAddress], workDirectory: String, localRootParents: [String],
        commandContext: ExecutorCommandContext, settings: WorkerSettings = WorkerSettings()
    ) {
        self.host = host
        self.port = port
        self.webUiPort = webUiPort
        self.publicAddress = publicAddress ?? host
        self.cores = cores
        self.memoryMiB = memoryMiB
        self.masters = masters
        self.workDirectory = workDirectory
        self.localRootParents = localRootParents
        self.commandContext = commandContext
        self.settings = settings
    }

    /// `spark://Worker@host:port`: this worker's endpoint.
    public var workerRef: RpcEndpointRef {
        RpcEndpointRef(name: "Worker", host: host, port: port)
    }

    /// `spark://Worker@host:port` as a string (`{{WORKER_URL}}`).
    public var workerURL: String { workerRef.description }

    /// The web UI URL announced to the master.
    public var webUiURL: String { "\(webUiScheme)\(publicAddress):\(webUiPort)" }

    public var sparkHome: String { commandContext.sparkHome }
}
