import Foundation

/// Starts the real JVM daemons of a Spark distribution (`bin/spark-class`) for interop tests.
public enum SparkDaemons {
    /// Environment shared by every JVM daemon a test starts: small heaps, logs to the child's output.
    public static func environment(sparkHome: URL, extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "SPARK_HOME": sparkHome.path,
            "SPARK_DAEMON_MEMORY": "256m",
            "SPARK_NO_DAEMONIZE": "1",
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOCAL_HOSTNAME": "127.0.0.1",
            "SPARK_CONF_DIR": sparkHome.appendingPathComponent("conf-absent").path,
        ]
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    /// `spark-class org.apache.spark.deploy.worker.Worker` against `masterURL`.
    public static func worker(
        sparkHome: URL, masterURL: String, port: Int, webUIPort: Int, cores: Int = 2, memory: String = "1g",
        workDirectory: URL, logDirectory: URL, name: String = "jvm-worker", options: [String] = [], environment extra: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            name: name, executable: sparkHome.appendingPathComponent("bin/spark-class"),
            arguments: [
                "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--port", "\(port)",
                "--webui-port", "\(webUIPort)", "--cores", "\(cores)", "--memory", memory,
                "--work-dir", workDirectory.path, masterURL,
            ],
            environment: environment(sparkHome: sparkHome, extra: extra.merging(["SPARK_WORKER_OPTS": options.joined(separator: " ")]) { $1 }),
            logDirectory: logDirectory)
    }

    /// `spark-class org.apache.spark.deploy.master.Master` on 127.0.0.1.
    public static func master(
        sparkHome: URL, port: Int, webUIPort: Int, logDirectory: URL, name: String = "jvm-master", options: [String] = [],
        environment extra: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            name: name, executable: sparkHome.appendingPathComponent("bin/spark-class"),
            arguments: [
                "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "\(port)",
                "--webui-port", "\(webUIPort)",
            ],
            environment: environment(
                sparkHome: sparkHome, extra: extra.merging(["SPARK_MASTER_OPTS": masterOptions(options).joined(separator: " ")]) { $1 }),
            logDirectory: logDirectory)
    }

    /// A master's `-D` options with its REST submission server on a free port (Spark 4 starts
    /// one on 6066 by default), unless they choose the port.
    public static func masterOptions(_ options: [String]) -> [String] {
        options.contains { $0.contains("spark.master.rest.port=") } ? options : options + ["-Dspark.master.rest.port=0"]
    }
}
