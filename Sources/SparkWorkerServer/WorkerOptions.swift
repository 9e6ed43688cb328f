#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkConfig
import SparkDaemon
import SparkModel
import SparkProtocol
import SparkWebUI
import SparkWorker

/// Everything a `WorkerService` needs, resolved from the command line, the environment, the
/// properties file and the machine.
public struct WorkerOptions: Sendable {
    /// RPC host (bind and advertise).
    public var host: String
    /// RPC port; 0 picks a free one.
    public var port: Int
    /// Web UI port; 0 picks a free one.
    public var webUiPort: Int
    /// Where the web UI listens: `SPARK_LOCAL_IP`, else every interface.
    public var webUiBindHost: String
    public var cores: Int
    public var memoryMiB: Int
    public var masters: [RpcAddress]
    /// Absolute work directory.
    public var workDirectory: String
    /// Absolute `SPARK_HOME`.
    public var sparkHome: String
    /// `SPARK_PUBLIC_DNS`, else the host.
    public var publicAddress: String
    public var conf: SparkConf
    public var settings: WorkerSettings
    /// The worker's environment; executors inherit it.
    public var environment: [String: String]
    /// `spark.authenticate=true`: the secret its RPC connections prove, handed to executors and drivers.
    public var authentication: SparkAuthenticationSettings?
    /// Parents of the scratch roots: `SPARK_LOCAL_DIRS`, else `spark.local.dir`, else the temp dir.
    public var localRootParents: [String]
    /// `spark.port.maxRetries`: further ports tried when a configured port is taken.
    public var portMaxRetries: Int
    /// The Spark line spoken to masters and followed when launching (`spark.space.sparkVersion`,
    /// else the distribution at `SPARK_HOME`).
    public var sparkVersion: SparkVersion = .spark4_3
    /// The release shown (`Running Spark version`, the status page).
    public var sparkRelease: String = SparkVersion.spark4_3.version
    /// Said at start when the line is a guess.
    public var sparkVersionWarning: String?
    /// Spark's metrics configuration (`spark.metrics.conf.*`, `metrics.properties`).
    public var metrics = MetricsConfig()

    public init(
        host: String, port: Int, webUiPort: Int, webUiBindHost: String = "0.0.0.0", cores: Int, memoryMiB: Int,
        masters: [RpcAddress], workDirectory: String, sparkHome: String, publicAddress: String? = nil,
        conf: SparkConf = SparkConf(), settings: WorkerSettings = WorkerSettings(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        localRootParents: [String] = ["/tmp"], portMaxRetries: Int = 16
    ) {
        self.host = host
        self.port = port
        self.webUiPort = webUiPort
        self.webUiBindHost = webUiBindHost
        self.cores = cores
        self.memoryMiB = memoryMiB
        self.masters = masters
        self.workDirectory = workDirectory
        self.sparkHome = sparkHome
        self.publicAddress = publicAddress ?? host
        self.conf = conf
        self.settings = settings
        self.environment = environment
        self.localRootParents = localRootParents
        self.portMaxRetries = portMaxRetries
        metrics = MetricsConfig(conf: conf)
    }

    /// Resolves the options as Spark's `Worker.main` does.
    public static func resolve(
        arguments: [String], environment: [String: String]
    ) throws(WorkerOptionsError) -> WorkerOptions {
        var parsed: WorkerArguments
        do {
            parsed = try WorkerArguments.parse(arguments, environment: environment)
        } catch {
            throw WorkerOptionsError(arguments: error)
        }
        var propertiesText: String?
        if let file = parsed.propertiesFile ?? SparkConf.defaultPropertiesFile(environment: environment) {
            do {
                propertiesText = try PropertiesFile.read(file)
            } catch where parsed.propertiesFile == nil && error.isAbsence {
                propertiesText = nil  // The default file is optional.
            } catch {
                throw WorkerOptionsError(.configuration, error.description)
            }
        }
        let conf = SparkConf.daemon(
            environment: environment, optionVariables: ["SPARK_DAEMON_JAVA_OPTS", "SPARK_WORKER_OPTS"],
            propertiesFileText: propertiesText)
        do {
            try parsed.apply(conf)
        } catch {
            throw WorkerOptionsError(arguments: error)
        }
        let settings: WorkerSettings
        let portMaxRetries: Int
        let authentication: SparkAuthenticationSettings?
        do {
            settings = try WorkerSettings(conf: conf)
            portMaxRetries = try conf.int("spark.port.maxRetries", default: 16)
            authentication = try conf.authentication(environment: environment)
            // The web UI's settings, refused before anything starts (the service reads them from `conf`).
            _ = try WebUISecurity(conf: conf)
        } catch {
            throw WorkerOptionsError(.configuration, "\(error)")
        }

        let sparkHome = HostEnvironment.absolutePath(environment["SPARK_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".")
        let host = parsed.host ?? HostEnvironment.localHostName(environment: environment)
        let workDirectory = HostEnvironment.absolutePath(parsed.workDirectory ?? sparkHome + "/work")
        let localRootParents: [String]
        if let dirs = environment["SPARK_LOCAL_DIRS"], !dirs.isEmpty {
            localRootParents = dirs.split(separator: ",").map { HostEnvironment.absolutePath(String($0)) }
        } else if let dirs = conf["spark.local.dir"], !dirs.isEmpty {
            localRootParents = dirs.split(separator: ",").map { HostEnvironment.absolutePath(String($0)) }
        } else {
            localRootParents = [HostEnvironment.absolutePath(HostEnvironment.temporaryDirectory(environment: environment))]
        }
        let choice: SparkVersion.Choice
        do {
            choice = try SparkVersion.choose(
                setting: conf["spark.space.sparkVersion"], jarNames: Daemon.directoryEntries(sparkHome + "/jars") ?? [])
        } catch {
            let problem = SparkConfError(key: "spark.space.sparkVersion", value: error.name, expected: SparkVersion.UnknownLine.expected)
            throw WorkerOptionsError(.configuration, problem.description)
        }
        var options = WorkerOptions(
            host: host, port: parsed.port, webUiPort: parsed.webUiPort,
            webUiBindHost: environment["SPARK_LOCAL_IP"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0",
            cores: parsed.cores ?? HostEnvironment.availableCores(),
            memoryMiB: parsed.memoryMiB ?? HostEnvironment.defaultWorkerMemoryMiB(),
            masters: parsed.masters, workDirectory: workDirectory, sparkHome: sparkHome,
            publicAddress: environment["SPARK_PUBLIC_DNS"].flatMap { $0.isEmpty ? nil : $0 },
            conf: conf, settings: settings, environment: environment, localRootParents: localRootParents,
            portMaxRetries: portMaxRetries)
        (options.sparkVersion, options.sparkRelease, options.sparkVersionWarning) = (choice.version, choice.release, choice.warning)
        options.authentication = authentication
        options.metrics = MetricsConfig.load(conf: conf, environment: environment, read: PropertiesFile.readIfPresent)
        return options
    }

    /// Where executor class-data archives live (`ExecutorClassDataSharing`), nil when off:
    /// `spark.worker.executorClassDataSharing.enabled` (default true) and
    /// `spark.worker.executorClassDataSharing.dir` (default `$XDG_CACHE_HOME/spark-space/executor-cds`,
    /// else `~/.cache/spark-space/executor-cds`, shared by the workers of one machine, else under the
    /// work directory).
    public var executorArchiveDirectory: String? {
        let enabled = conf["spark.worker.executorClassDataSharing.enabled"].map { $0.lowercased() != "false" } ?? true
        guard enabled else { return nil }
        if let directory = conf["spark.worker.executorClassDataSharing.dir"], !directory.isEmpty {
            return HostEnvironment.absolutePath(directory)
        }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/spark-space/executor-cds" }
        if let home = environment["HOME"], home.hasPrefix("/"), home != "/" { return home + "/.cache/spark-space/executor-cds" }
        return workDirectory + "/executor-cds"
    }

    /// The facts the command builder needs, read from disk now.
    public func commandContext() -> ExecutorCommandContext {
        var context = ExecutorCommandContext(
            sparkHome: sparkHome, environment: environment,
            javaExecutable: HostEnvironment.javaOnPath(environment: environment) ?? "java")
        context.authenticationSecret = authentication?.secret
        #if os(macOS)
        context.libraryPathVariable = "DYLD_LIBRARY_PATH"
        #endif
        let confDirectory = context.confDirectory()
        if HostEnvironment.isDirectory(confDirectory) { context.directories.insert(confDirectory) }
        for variable in ["HADOOP_CONF_DIR", "YARN_CONF_DIR"] {
            if let path = environment[variable], HostEnvironment.isDirectory(path) { context.directories.insert(path) }
        }
        let jars = Daemon.directoryEntries(context.jarsDirectory) ?? []
        // Spark 4's launcher puts slf4j-api before the wildcard; Spark 3's does not (the release's
        // own major version: a guessed line keeps the distribution's launcher behaviour).
        if (Int(SparkRelease(version: sparkRelease, scalaVersion: "").major) ?? 4) >= 4 {
            context.slf4jApiJars = jars.filter { $0.hasPrefix("slf4j-api-") }.sorted().map { context.jarsDirectory + "/" + $0 }
        }
        if let text = HostEnvironment.readText(confDirectory + "/java-opts") {
            context.javaOptsFileLines = text.split(whereSeparator: \.isNewline).map(String.init)
        }
        return context
    }
}

/// The worker cannot start with these options.
public struct WorkerOptionsError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable {
        private enum Base: Hashable { case help, usage, configuration }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `--help`: print the usage and exit 0.
        public static let help = Code(.help)
        /// Bad command line: print the message and the usage, exit 1.
        public static let usage = Code(.usage)
        /// Bad configuration value or missing properties file.
        public static let configuration = Code(.configuration)
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    init(arguments error: WorkerArgumentsError) {
        self.init(error.isHelp ? .help : .usage, error.message)
    }

    public var exitCode: Int32 { code == .help ? 0 : 1 }
    public var description: String { message }
}
