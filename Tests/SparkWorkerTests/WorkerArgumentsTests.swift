import Foundation
import SparkConfig
import SparkModel
@testable import SparkWorkerServer
import Testing

@Suite struct WorkerArgumentsTests {
    @Test func sparkCommandLine() throws {
        let arguments = try WorkerArguments.parse(
            ["--host", "127.0.0.1", "-p", "7078", "--webui-port", "18081", "-c", "4", "--memory", "2g", "-d", "/w",
             "--properties-file", "/conf/p.conf", "spark://h1:7077,h2:7078"],
            environment: [:])
        #expect(arguments.host == "127.0.0.1")
        #expect(arguments.port == 7078)
        #expect(arguments.webUiPort == 18081)
        #expect(arguments.cores == 4)
        #expect(arguments.memoryMiB == 2048)
        #expect(arguments.workDirectory == "/w")
        #expect(arguments.propertiesFile == "/conf/p.conf")
        #expect(arguments.masters == [RpcAddress(host: "h1", port: 7077), RpcAddress(host: "h2", port: 7078)])
    }

    @Test func environmentDefaultsAndOptionsWin() throws {
        let environment = [
            "SPARK_WORKER_PORT": "7100", "SPARK_WORKER_CORES": "3", "SPARK_WORKER_MEMORY": "512m",
            "SPARK_WORKER_WEBUI_PORT": "18100", "SPARK_WORKER_DIR": "/env/work",
        ]
        let fromEnvironment = try WorkerArguments.parse(["spark://m:7077"], environment: environment)
        #expect(fromEnvironment.port == 7100)
        #expect(fromEnvironment.cores == 3)
        #expect(fromEnvironment.memoryMiB == 512)
        #expect(fromEnvironment.webUiPort == 18100)
        #expect(fromEnvironment.workDirectory == "/env/work")
        #expect(fromEnvironment.host == nil)

        let overridden = try WorkerArguments.parse(["-c", "1", "-m", "1024m", "spark://m:7077"], environment: environment)
        #expect(overridden.cores == 1)
        #expect(overridden.memoryMiB == 1024)

        let defaults = try WorkerArguments.parse(["spark://m:7077"], environment: [:])
        #expect(defaults.port == 0)
        #expect(defaults.webUiPort == 8081)
        #expect(defaults.cores == nil)
    }

    @Test func uiPortFromConfigurationWins() throws {
        var arguments = try WorkerArguments.parse(["--webui-port", "1", "spark://m:7077"], environment: [:])
        try arguments.apply(SparkConf(["spark.worker.ui.port": "18555"]))
        #expect(arguments.webUiPort == 18555)
    }

    @Test func invalidCommandLines() {
        let cases: [[String]] = [
            [], ["spark://m:7077", "spark://n:7077"], ["--port", "x", "spark://m:7077"], ["http://m:7077"],
            ["spark://m"], ["--cores"], ["-m", "lots", "spark://m:7077"],
        ]
        for arguments in cases {
            #expect(throws: WorkerArgumentsError.self, "\(arguments)") {
                _ = try WorkerArguments.parse(arguments, environment: [:])
            }
        }
        let help = #expect(throws: WorkerArgumentsError.self) { _ = try WorkerArguments.parse(["--help"], environment: [:]) }
        #expect(help?.isHelp == true)
        #expect(help?.exitCode == 0)
        var zeroMemory = try! WorkerArguments.parse(["-m", "100k", "spark://m:7077"], environment: [:])
        #expect(throws: WorkerArgumentsError.self) { try zeroMemory.apply(SparkConf()) }
    }

    @Test func resolvedOptions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("worker-options-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("conf"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "spark.worker.timeout 8\nspark.worker.cleanup.enabled=false\n"
            .write(to: directory.appendingPathComponent("conf/spark-defaults.conf"), atomically: true, encoding: .utf8)
        let options = try WorkerOptions.resolve(
            arguments: ["--host", "10.1.1.1", "spark://m:7077"],
            environment: [
                "SPARK_HOME": directory.path, "SPARK_WORKER_OPTS": "-Dspark.worker.timeout=20 -Dspark.worker.ui.port=18999",
                "SPARK_DAEMON_JAVA_OPTS": "-Dspark.worker.timeout=30", "SPARK_PUBLIC_DNS": "worker.example.com",
                "SPARK_LOCAL_DIRS": "/scratch/a,/scratch/b",
            ])
        #expect(options.host == "10.1.1.1")
        #expect(options.publicAddress == "worker.example.com")
        #expect(options.webUiPort == 18999)
        // SPARK_WORKER_OPTS comes after SPARK_DAEMON_JAVA_OPTS; the properties file only fills gaps.
        #expect(options.settings.workerTimeoutSeconds == 20)
        #expect(options.settings.cleanupEnabled == false)
        #expect(options.workDirectory == directory.standardizedFileURL.path + "/work")
        #expect(options.localRootParents == ["/scratch/a", "/scratch/b"])
        #expect(options.webUiBindHost == "0.0.0.0")
        #expect(options.cores >= 1)
        #expect(options.memoryMiB >= 1024)
        let context = options.commandContext()
        #expect(context.directories.contains(directory.standardizedFileURL.path + "/conf"))

        let local = try WorkerOptions.resolve(
            arguments: ["spark://m:7077"], environment: ["SPARK_LOCAL_HOSTNAME": "node-7", "SPARK_LOCAL_IP": "10.9.9.9"])
        #expect(local.host == "node-7")
        #expect(local.webUiBindHost == "10.9.9.9")
        let ip = try WorkerOptions.resolve(arguments: ["spark://m:7077"], environment: ["SPARK_LOCAL_IP": "10.9.9.9"])
        #expect(ip.host == "10.9.9.9")
    }

    @Test func propertiesFilesAreCheckedAsSparkChecksThem() throws {
        func failure(_ arguments: [String], _ environment: [String: String] = [:]) -> WorkerOptionsError? {
            do {
                _ = try WorkerOptions.resolve(arguments: arguments + ["spark://m:7077"], environment: environment)
                return nil
            } catch {
                return error
            }
        }
        let missing = failure(["--properties-file", "/nonexistent/x.conf"])
        #expect(missing?.code == .configuration)
        #expect(missing?.message == "Properties file /nonexistent/x.conf does not exist")
        #expect(failure(["--properties-file", "/dev/null"])?.message == "Properties file /dev/null is not a normal file")

        let conf = FileManager.default.temporaryDirectory.appendingPathComponent("worker-conf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: conf, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: conf) }
        let file = conf.appendingPathComponent("spark-defaults.conf")
        // The default file as a directory is no file: the worker starts without it.
        try FileManager.default.createDirectory(at: file, withIntermediateDirectories: false)
        #expect(failure([], ["SPARK_CONF_DIR": conf.path]) == nil)
        try FileManager.default.removeItem(at: file)
        try Data("spark.worker.ui.port 18089\n".utf8).write(to: file)
        #expect(try WorkerOptions.resolve(arguments: ["spark://m:7077"], environment: ["SPARK_CONF_DIR": conf.path]).webUiPort == 18089)
        // Larger than a properties file can be: an error, not the first megabyte.
        try Data(String(repeating: "spark.x 1\n", count: 110_000).utf8).write(to: file)
        let huge = failure([], ["SPARK_CONF_DIR": conf.path])
        #expect(huge?.code == .configuration)
        #expect(huge?.message == "Properties file \(file.path) is larger than 1048576 bytes")
    }
    /// The Spark line follows the distribution at SPARK_HOME (or spark.space.sparkVersion), and
    /// with it what the executors' class path looks like.
    @Test func theSparkLineComesFromTheDistribution() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("worker-line-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("jars"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        func jars(_ names: [String]) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: home.path + "/jars") {
                try FileManager.default.removeItem(atPath: home.path + "/jars/" + name)
            }
            for name in names { try Data().write(to: home.appendingPathComponent("jars/" + name)) }
        }
        let path = home.standardizedFileURL.path
        func resolve(_ opts: String = "") throws -> WorkerOptions {
            try WorkerOptions.resolve(arguments: ["spark://m:7077"], environment: ["SPARK_HOME": home.path, "SPARK_WORKER_OPTS": opts])
        }

        try jars(["spark-core_2.12-3.5.9.jar", "slf4j-api-2.0.7.jar"])
        let spark35 = try resolve()
        #expect(spark35.sparkVersion.version == "3.5.9")
        #expect(spark35.sparkRelease == "3.5.9")
        #expect(spark35.sparkVersionWarning == nil)
        // Spark 3.5's launcher: the jars wildcard alone.
        #expect(spark35.commandContext().slf4jApiJars.isEmpty)

        try jars(["spark-core_2.13-4.3.0.jar", "slf4j-api-2.0.17.jar"])
        let spark43 = try resolve()
        #expect(spark43.sparkVersion.version == "4.3.0")
        #expect(spark43.commandContext().slf4jApiJars == [path + "/jars/slf4j-api-2.0.17.jar"])
        #expect(try resolve("-Dspark.space.sparkVersion=3.5").sparkVersion.version == "3.5.9")

        try jars(["spark-core_2.13-4.1.1.jar"])
        let guess = try resolve()
        #expect(guess.sparkVersion.version == "4.3.0")
        #expect(guess.sparkRelease == "4.1.1")
        #expect(guess.sparkVersionWarning != nil)

        let bad = #expect(throws: WorkerOptionsError.self) { try resolve("-Dspark.space.sparkVersion=2.4") }
        #expect(bad?.code == .configuration)
        #expect(bad?.message == "invalid value \"2.4\" for spark.space.sparkVersion: expected 4.3 or 3.5")
    }
}
