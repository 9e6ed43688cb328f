import SparkConfig
import SparkModel

/// The worker's command line, parsed the way Spark's `WorkerArguments` does: environment
/// variables first, then options, then `spark.worker.ui.port` from the configuration.
///
/// `spark-worker [options] <master>` where `<master>` is `spark://host:port[,host2:port2...]`.
public struct WorkerArguments: Sendable, Equatable {
    /// `--host`/`-h` (or the deprecated `--ip`/`-i`); nil means the local host name.
    public var host: String?
    /// `--port`/`-p`, `SPARK_WORKER_PORT`; 0 picks a free port.
    public var port: Int = 0
    /// `--webui-port`, `SPARK_WORKER_WEBUI_PORT`; `spark.worker.ui.port` overrides both.
    public var webUiPort: Int = 8081
    /// `--cores`/`-c`, `SPARK_WORKER_CORES`; nil means every core of the machine.
    public var cores: Int?
    /// `--memory`/`-m` (`2g`, `512m`), `SPARK_WORKER_MEMORY`, MiB; nil means the machine's RAM less 1 GiB.
    public var memoryMiB: Int?
    /// `--work-dir`/`-d`, `SPARK_WORKER_DIR`; nil means `$SPARK_HOME/work`.
    public var workDirectory: String?
    /// `--properties-file`; nil means `$SPARK_CONF_DIR/spark-defaults.conf`.
    public var propertiesFile: String?
    /// The masters, in order.
    public var masters: [RpcAddress] = []

    public init() {}

    public static let usage = """
        Usage: spark-worker [options] <master>

        Master must be a URL of the form spark://hostname:port

        Options:
          -c CORES, --cores CORES  Number of cores to use
          -m MEM, --memory MEM     Amount of memory to use (e.g. 1000M, 2G)
          -d DIR, --work-dir DIR   Directory to run apps in (default: SPARK_HOME/work)
          -i HOST, --ip IP         Hostname to listen on (deprecated, please use --host or -h)
          -h HOST, --host HOST     Hostname to listen on
          -p PORT, --port PORT     Port to listen on (default: random)
          --webui-port PORT        Port for web UI (default: 8081)
          --properties-file FILE   Path to a custom Spark properties file.
                                   Default is conf/spark-defaults.conf.
        """

    /// Parses `arguments` (without the program name) over the defaults taken from `environment`.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(WorkerArgumentsError) -> WorkerArguments {
        var result = WorkerArguments()
        if let value = environment["SPARK_WORKER_PORT"] { result.port = try integer(value, "SPARK_WORKER_PORT") }
        if let value = environment["SPARK_WORKER_CORES"] { result.cores = try integer(value, "SPARK_WORKER_CORES") }
        if let value = environment["SPARK_WORKER_MEMORY"] { result.memoryMiB = try memory(value, "SPARK_WORKER_MEMORY") }
        if let value = environment["SPARK_WORKER_WEBUI_PORT"] { result.webUiPort = try integer(value, "SPARK_WORKER_WEBUI_PORT") }
        if let value = environment["SPARK_WORKER_DIR"] { result.workDirectory = value }

        var masterArgument: String?
        var rest = arguments[...]
        while let option = rest.popFirst() {
            func value() throws(WorkerArgumentsError) -> String {
                guard let value = rest.popFirst() else { throw WorkerArgumentsError(.usage, "\(option) needs a value") }
                return value
            }
            switch option {
            case "--ip", "-i", "--host", "-h":
                let host = try value()
                guard !host.isEmpty, !host.contains(":") || host.hasPrefix("[") else {
                    throw WorkerArgumentsError(.usage, "Expected hostname or IP but got \(host)")
                }
                result.host = host
            case "--port", "-p":
                result.port = try integer(try value(), option)
            case "--cores", "-c":
                result.cores = try integer(try value(), option)
            case "--memory", "-m":
                result.memoryMiB = try memory(try value(), option)
            case "--work-dir", "-d":
                result.workDirectory = try value()
            case "--webui-port":
                result.webUiPort = try integer(try value(), option)
            case "--properties-file":
                result.propertiesFile = try value()
            case "--help":
                throw WorkerArgumentsError(.help, usage)
            default:
                // Spark: the single positional argument is the master list; a second one is an error.
                guard masterArgument == nil else {
                    throw WorkerArgumentsError(.usage, "Unexpected argument \(option)")
                }
                masterArgument = option
            }
        }
        guard let masterArgument else { throw WorkerArgumentsError(.usage, "No master URL given") }
        result.masters = try parseMasterURLs(masterArgument)
        return result
    }

    /// Applies what Spark reads after the properties file: `spark.worker.ui.port` wins over the
    /// command line, and the memory must be positive.
    public mutating func apply(_ conf: SparkConf) throws(WorkerArgumentsError) {
        if let port = conf["spark.worker.ui.port"] {
            webUiPort = try Self.integer(port, "spark.worker.ui.port")
        }
        if let memoryMiB, memoryMiB <= 0 {
            throw WorkerArgumentsError(.usage, "Memory is below 1MB, or missing a M/G at the end of the memory specification?")
        }
    }

    /// Spark: `Utils.parseStandaloneMasterUrls` then `RpcAddress.fromSparkURL` for each.
    public static func parseMasterURLs(_ text: String) throws(WorkerArgumentsError) -> [RpcAddress] {
        guard text.hasPrefix("spark://") else {
            throw WorkerArgumentsError(.usage, "Invalid master URL: \(text)")
        }
        let list = text.dropFirst("spark://".count).split(separator: ",", omittingEmptySubsequences: false)
        var masters: [RpcAddress] = []
        for item in list {
            let url = "spark://" + item
            guard let colon = item.lastIndex(of: ":"), let port = Int32(item[item.index(after: colon)...]),
                  port > 0, port < 65536, colon != item.startIndex
            else {
                throw WorkerArgumentsError(.usage, "Invalid master URL: \(url)")
            }
            var host = String(item[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.contains("/") else { throw WorkerArgumentsError(.usage, "Invalid master URL: \(url)") }
            masters.append(RpcAddress(host: host, port: port))
        }
        return masters
    }

    static func integer(_ text: String, _ name: String) throws(WorkerArgumentsError) -> Int {
        guard let value = Int(text.trimmingSpaces) else {
            throw WorkerArgumentsError(.usage, "\(name) expects an integer, got \(text)")
        }
        return value
    }

    static func memory(_ text: String, _ name: String) throws(WorkerArgumentsError) -> Int {
        guard let value = SparkConf.memoryStringToMebibytes(text.trimmingSpaces) else {
            throw WorkerArgumentsError(.usage, "\(name) expects a memory size such as 512m or 2g, got \(text)")
        }
        return value
    }
}

/// The command line could not be used; `isHelp` means `--help` (usage on stdout, exit 0).
public struct WorkerArgumentsError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable {
        private enum Base: Hashable { case help, usage }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `--help` was given.
        public static let help = Code(.help)
        /// The arguments are invalid.
        public static let usage = Code(.usage)
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var isHelp: Bool { code == .help }
    /// The process exit status Spark uses: 0 for `--help`, 1 otherwise.
    public var exitCode: Int32 { isHelp ? 0 : 1 }
    public var description: String { message }
}

extension String {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
