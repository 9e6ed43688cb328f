#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SparkConfig
import SparkDaemon
@testable import SparkMaster
@testable import SparkMasterServer
import SparkModel
import SparkWebUI
import Testing

@Suite struct MasterArgumentsTests {
    @Test func commandLineWinsOverEnvironmentAndConfigurationWinsForTheUIPort() throws {
        let arguments = try MasterArguments(
            arguments: ["-h", "10.0.0.5", "--port", "7177", "--webui-port", "8181", "--properties-file", "/conf/spark.conf"],
            environment: [
                "SPARK_MASTER_HOST": "ignored", "SPARK_MASTER_PORT": "1", "SPARK_MASTER_OPTS": "-Dspark.worker.timeout=12",
            ],
            readFile: { path in
                #expect(path == "/conf/spark.conf")
                return "spark.master.ui.port 9090\nspark.deploy.spreadOut false\n"
            })
        #expect(arguments.host == "10.0.0.5")
        #expect(arguments.port == 7177)
        #expect(arguments.webUiPort == 9090)
        #expect(arguments.conf["spark.worker.timeout"] == "12")
        #expect(arguments.conf["spark.deploy.spreadOut"] == "false")
    }

    @Test func environmentDefaults() throws {
        let arguments = try MasterArguments(
            arguments: [], environment: ["SPARK_MASTER_HOST": "m1", "SPARK_MASTER_PORT": "7001", "SPARK_MASTER_WEBUI_PORT": "8001"],
            readFile: { throw PropertiesFileError(path: $0, problem: .missing) })
        #expect((arguments.host, arguments.port, arguments.webUiPort) == ("m1", 7001, 8001))
        let local = try MasterArguments(arguments: [], environment: ["SPARK_LOCAL_IP": "127.0.0.9"], readFile: { _ in "" })
        #expect(local.host == "127.0.0.9")
    }

    /// The web UI listens where Spark's `WebUI.bind` does: `SPARK_LOCAL_IP`, else every address,
    /// whatever `--host` says (RPC and REST listen at the host).
    @Test func theWebUIListensAtTheLocalIPOrEverywhere() throws {
        for (environment, expected) in [(["SPARK_LOCAL_IP": "127.0.0.9"], "127.0.0.9"), ([:], "0.0.0.0"), (["SPARK_LOCAL_IP": ""], "0.0.0.0")] {
            let arguments = try MasterArguments(arguments: ["--host", "m1"], environment: environment, readFile: { _ in "" })
            let settings = try MasterService.Settings(arguments: arguments, environment: environment)
            #expect(settings.host == "m1")
            #expect(settings.webUiBindHost == expected)
        }
        #expect(MasterService.Settings(host: "127.0.0.1", port: 1, webUiPort: 2).webUiBindHost == nil)
    }

    /// The UI's URL given to workers: the reverse proxy's with one trailing `/`, as Spark's
    /// `Master.onStart` makes it (`/` stays `/`); the bound address without the proxy.
    @Test func theAdvertisedWebUIURL() {
        let bound = "http://m1:8080"
        func advertised(_ proxy: Bool, _ url: String?) -> String {
            MasterWebUI.advertisedURL(options: MasterWebOptions(reverseProxy: proxy, reverseProxyURL: url), bound: bound)
        }
        #expect(advertised(false, "https://gw/spark") == bound)
        #expect(advertised(true, nil) == bound)
        #expect(advertised(true, "https://gw/spark") == "https://gw/spark/")
        #expect(advertised(true, "https://gw/spark/") == "https://gw/spark/")
        #expect(advertised(true, "/") == "/")
    }

    @Test func badArgumentsAreUsageErrors() {
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--bogus"], environment: [:]) }
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--port", "x"], environment: [:]) }
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--host"], environment: [:]) }
        // An explicit properties file must exist.
        #expect(throws: PropertiesFileError(path: "/nonexistent/x.conf", problem: .missing)) {
            try MasterArguments(arguments: ["--properties-file", "/nonexistent/x.conf"], environment: [:])
        }
    }

    @Test func propertiesFilesAreReadFromDisk() throws {
        let directory = "/tmp/master-arguments-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        #expect(mkdir(directory, 0o755) == 0)
        #expect(mkdir(directory + "/conf", 0o755) == 0)
        defer {
            unlink(directory + "/conf/spark-defaults.conf")
            rmdir(directory + "/conf")
            rmdir(directory)
        }
        // SPARK_HOME without a conf file: the defaults.
        let bare = try MasterArguments(arguments: [], environment: ["SPARK_HOME": directory])
        #expect(bare.conf["spark.deploy.spreadOut"] == nil)
        // A directory is not a properties file; as the default file it is no file at all.
        #expect(throws: PropertiesFileError(path: directory, problem: .notARegularFile)) {
            try MasterArguments(arguments: ["--properties-file", directory], environment: [:])
        }
        #expect(mkdir(directory + "/conf/spark-defaults.conf", 0o755) == 0)
        #expect(try MasterArguments(arguments: [], environment: ["SPARK_HOME": directory]).conf["spark.deploy.spreadOut"] == nil)
        #expect(rmdir(directory + "/conf/spark-defaults.conf") == 0)
        let file = directory + "/conf/spark-defaults.conf"
        let text = "# comment\nspark.deploy.spreadOut false\nspark.master.ui.port 8181\n"
        let output = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(output >= 0)
        #expect(text.utf8.withContiguousStorageIfAvailable { write(output, $0.baseAddress, $0.count) } == text.utf8.count)
        close(output)
        let fromHome = try MasterArguments(arguments: [], environment: ["SPARK_HOME": directory])
        #expect(fromHome.conf["spark.deploy.spreadOut"] == "false")
        #expect(fromHome.webUiPort == 8181)
        let explicit = try MasterArguments(arguments: ["--properties-file", file], environment: [:])
        #expect(explicit.conf["spark.deploy.spreadOut"] == "false")
        #expect(try PropertiesFile.read(file) == text)

        // A default file that is there but cannot be used stops the master rather than being skipped.
        let huge = String(repeating: "spark.x 1\n", count: PropertiesFile.limit / 10 + 1)
        let hugeOutput = open(file, O_WRONLY | O_TRUNC)
        #expect(huge.utf8.withContiguousStorageIfAvailable { write(hugeOutput, $0.baseAddress, $0.count) } == huge.utf8.count)
        close(hugeOutput)
        let tooLarge = PropertiesFileError(path: file, problem: .larger(than: PropertiesFile.limit))
        #expect(throws: tooLarge) { try MasterArguments(arguments: [], environment: ["SPARK_HOME": directory]) }
        #expect(tooLarge.description == "Properties file \(file) is larger than 1048576 bytes")
        #expect(throws: PropertiesFileError(path: "/dev/zero", problem: .notARegularFile)) {
            try MasterArguments(arguments: ["--properties-file", "/dev/zero"], environment: [:])
        }
    }

    @Test func configurationValuesAreCheckedWithTheirKey() throws {
        var configuration = MasterConfiguration(masterAddress: RpcAddress(host: "h", port: 1), masterWebUiUrl: "")
        try configuration.apply(SparkConf([
            "spark.worker.timeout": "30s", "spark.deploy.spreadOut": "false", "spark.deploy.defaultCores": "4",
            "spark.deploy.workerSelectionPolicy": "worker_id", "spark.deploy.maxExecutorRetries": "-1",
        ]))
        #expect(configuration.workerTimeoutMs == 30_000)
        #expect(configuration.spreadOutApps == false)
        #expect(configuration.defaultCores == 4)
        #expect(configuration.workerSelectionPolicy == .workerId)
        #expect(configuration.maxExecutorRetries == -1)
        for (key, value) in [
            ("spark.deploy.defaultCores", "0"), ("spark.deploy.workerSelectionPolicy", "RANDOM"),
            ("spark.worker.timeout", "never"), ("spark.deploy.appIdPattern", "app %s"), ("spark.deploy.appNumberModulo", "10"),
        ] {
            var bad = MasterConfiguration(masterAddress: RpcAddress(host: "h", port: 1), masterWebUiUrl: "")
            let error = #expect(throws: SparkConfError.self) { try bad.apply(SparkConf([key: value])) }
            #expect(error?.key == key)
        }
    }
    /// The master speaks the line of the distribution at SPARK_HOME unless spark.space.sparkVersion names one.
    @Test func theSparkLineComesFromTheDistributionOrTheSetting() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("master-line-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("jars"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data().write(to: home.appendingPathComponent("jars/spark-core_2.12-3.5.9.jar"))
        func settings(_ opts: String = "", home: String? = home.path) throws -> MasterService.Settings {
            var environment = ["SPARK_MASTER_OPTS": opts]
            environment["SPARK_HOME"] = home
            return try MasterService.Settings(arguments: try MasterArguments(arguments: [], environment: environment), environment: environment)
        }
        let detected = try settings()
        #expect(detected.version.version == "3.5.9")
        #expect(detected.release == "3.5.9")
        #expect(detected.versionWarning == nil)
        #expect(try settings("-Dspark.space.sparkVersion=4.3").version.version == "4.3.0")
        let none = try settings(home: nil)
        #expect(none.version.version == "4.3.0")
        #expect(none.release == "4.3.0")
        let error = #expect(throws: SparkConfError.self) { try settings("-Dspark.space.sparkVersion=1.6") }
        #expect(error?.description == "invalid value \"1.6\" for spark.space.sparkVersion: expected 4.3 or 3.5")
        // The servers' settings are checked here too, before anything binds.
        for opts in ["-Dspark.port.maxRetries=many", "-Dspark.master.rest.maxThreads=0"] {
            #expect(throws: SparkConfError.self, "\(opts)") { try settings(opts) }
        }
    }
}
