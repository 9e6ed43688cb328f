#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkConfig
import SparkDaemon

/// The master's command line and environment, parsed as Spark's `MasterArguments` does.
public struct MasterArguments: Sendable, Equatable {
    public var host: String
    public var port: Int = 7077
    public var webUiPort: Int = 8080
    public var propertiesFile: String?
    /// `spark.*` settings: `-D` options from the environment, then the properties file.
    public var conf = SparkConf()

    public struct UsageError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message + "\n\n" + MasterArguments.usage }
    }

    public static let usage = """
        Usage: spark-master [options]

        Options:
          -i HOST, --ip HOST     Hostname to listen on (deprecated, please use --host or -h)
          -h HOST, --host HOST   Hostname to listen on
          -p PORT, --port PORT   Port to listen on (default: 7077)
          --webui-port PORT      Port for web UI (default: 8080)
          --properties-file FILE Path to a custom Spark properties file.
                                 Default is conf/spark-defaults.conf.
        """

    /// Parses `arguments` (without the program name) against `environment`.
    /// - Parameter readFile: reads the properties file (injected for tests).
    public init(
        arguments: [String], environment: [String: String],
        readFile: (String) throws -> String = { try PropertiesFile.read($0) }
    ) throws {
        host = LocalHost.name(environment: environment)
        if let value = environment["SPARK_MASTER_HOST"], !value.isEmpty { host = value }
        if let value = environment["SPARK_MASTER_PORT"], !value.isEmpty {
            guard let port = Int(value) else { throw UsageError(message: "SPARK_MASTER_PORT is not a port: \(value)") }
            self.port = port
        }
        if let value = environment["SPARK_MASTER_WEBUI_PORT"], !value.isEmpty {
            guard let port = Int(value) else { throw UsageError(message: "SPARK_MASTER_WEBUI_PORT is not a port: \(value)") }
            webUiPort = port
        }
        var remaining = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = remaining.popFirst() else { throw UsageError(message: "\(flag) needs a value") }
            return next
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--ip", "-i", "--host", "-h":
                host = try value(argument)
            case "--port", "-p":
                let raw = try value(argument)
                guard let port = Int(raw), (0...65535).contains(port) else { throw UsageError(message: "\(argument) is not a port: \(raw)") }
                self.port = port
            case "--webui-port":
                let raw = try value(argument)
                guard let port = Int(raw), (0...65535).contains(port) else { throw UsageError(message: "--webui-port is not a port: \(raw)") }
                webUiPort = port
            case "--properties-file":
                propertiesFile = try value(argument)
            case "--help":
                throw UsageError(message: "")
            default:
                throw UsageError(message: "Unrecognized option: \(argument)")
            }
        }
        let file = propertiesFile ?? SparkConf.defaultPropertiesFile(environment: environment)
        var text: String?
        if let file {
            do {
                text = try readFile(file)
            } catch let error as PropertiesFileError where propertiesFile == nil && error.isAbsence {
                text = nil  // The default file is optional.
            }
        }
        conf = SparkConf.daemon(
            environment: environment, optionVariables: ["SPARK_DAEMON_JAVA_OPTS", "SPARK_MASTER_OPTS"], propertiesFileText: text)
        // Spark lets the configuration override the command line for the UI port.
        if let raw = conf["spark.master.ui.port"] {
            guard let port = Int(raw) else { throw SparkConfError(key: "spark.master.ui.port", value: raw, expected: "a port") }
            webUiPort = port
        }
    }
}

/// The host name a daemon uses by default (Spark: `Utils.localHostName`).
public enum LocalHost {
    public static func name(environment: [String: String]) -> String {
        if let name = environment["SPARK_LOCAL_HOSTNAME"], !name.isEmpty { return name }
        if let ip = environment["SPARK_LOCAL_IP"], !ip.isEmpty { return ip }
        return ProcessInfo.processInfo.hostName
    }
}
