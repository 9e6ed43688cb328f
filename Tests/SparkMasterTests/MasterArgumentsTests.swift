import SparkConfig
@testable import SparkMaster
@testable import SparkMasterServer
import SparkModel
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
            readFile: { _ in throw RecoveryError("no file") })
        #expect((arguments.host, arguments.port, arguments.webUiPort) == ("m1", 7001, 8001))
        let local = try MasterArguments(arguments: [], environment: ["SPARK_LOCAL_IP": "127.0.0.9"], readFile: { _ in "" })
        #expect(local.host == "127.0.0.9")
    }

    @Test func badArgumentsAreUsageErrors() {
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--bogus"], environment: [:]) }
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--port", "x"], environment: [:]) }
        #expect(throws: MasterArguments.UsageError.self) { try MasterArguments(arguments: ["--host"], environment: [:]) }
        // An explicit properties file must exist.
        #expect(throws: (any Error).self) {
            try MasterArguments(arguments: ["--properties-file", "/nonexistent/x.conf"], environment: [:])
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
}
