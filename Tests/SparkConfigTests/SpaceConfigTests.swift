import SpaceConfig
import Testing

@Suite struct SpaceConfigTests {
    @Test func masterURLComesFromDNSDiscovery() throws {
        #expect(try SpaceEnvironment(["HEROKU_DNS_APP_NAME": "your-app"]).masterURL() == "spark://1.master.your-app.app.localspace:7077")
        let three = SpaceEnvironment(["HEROKU_DNS_APP_NAME": "your-app", "SPARK_MASTERS": "3"])
        #expect(try three.masterURL() == "spark://1.master.your-app.app.localspace:7077,2.master.your-app.app.localspace:7077,3.master.your-app.app.localspace:7077")
    }

    @Test(arguments: [
        (["SPARK_MASTERS": "2"], "HEROKU_DNS_APP_NAME"),
        (["HEROKU_DNS_APP_NAME": "a", "SPARK_MASTERS": "zero"], "SPARK_MASTERS"),
        (["HEROKU_DNS_APP_NAME": "a", "SPARK_MASTERS": "0"], "SPARK_MASTERS"),
        (["HEROKU_DNS_APP_NAME": "a b"], "HEROKU_DNS_APP_NAME"),
        (["HEROKU_DNS_APP_NAME": "a", "SPARK_MASTER_PORT": "99999"], "SPARK_MASTER_PORT"),
    ])
    func badMasterSettingsNameTheirVariable(_ variables: [String: String], _ variable: String) {
        let error = #expect(throws: SpaceConfigError.self) { try SpaceEnvironment(variables).masterURL() }
        #expect(error?.variable == variable)
    }

    @Test func zooKeeperURLsTurnOnRecovery() throws {
        let kafka = SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "KAFKA_ZOOKEEPER_URL": "zookeeper://10.0.0.1:2181,zookeeper://10.0.0.2:2181/",
        ])
        #expect(try kafka.zooKeeperConnectString() == "10.0.0.1:2181,10.0.0.2:2181")
        let settings = try kafka.recoverySettings()
        #expect(settings.map(\.0) == ["spark.deploy.recoveryMode", "spark.deploy.zookeeper.url", "spark.deploy.zookeeper.dir"])
        #expect(settings.map(\.1) == ["ZOOKEEPER", "10.0.0.1:2181,10.0.0.2:2181", "/app"])
        // The Spark-specific variable wins over the Kafka add-on's.
        let both = SpaceEnvironment(["SPARK_ZK_ZOOKEEPER_URL": "zookeeper://z:2181", "KAFKA_ZOOKEEPER_URL": "zookeeper://k:2181"])
        #expect(try both.zooKeeperConnectString() == "z:2181")
        #expect(try SpaceEnvironment([:]).zooKeeperConnectString() == nil)
        let error = #expect(throws: SpaceConfigError.self) {
            try SpaceEnvironment(["KAFKA_ZOOKEEPER_URL": "zookeeper://nohost"]).zooKeeperConnectString()
        }
        #expect(error?.variable == "KAFKA_ZOOKEEPER_URL")
    }

    @Test func defaultsRenderWithTheirDefaults() throws {
        let text = try SparkDefaults(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app"])).render()
        #expect(text.contains("spark.master spark://1.master.app.app.localspace:7077\n"))
        #expect(text.contains("spark.executor.memory 12g\n"))
        #expect(text.contains("spark.driver.memory 2g\n"))
        #expect(text.contains("spark.deploy.defaultCores 4\n"))
        #expect(!text.contains("s3a"))
        #expect(!text.contains("reverseProxy"))
    }

    @Test func everyVariableIsRendered() throws {
        let settings = try SparkDefaults(environment: SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "SPARK_MASTERS": "2", "SPARK_EXECUTOR_MEMORY": "6G", "SPARK_DRIVER_MEMORY": "1g",
            "SPARK_DEFAULT_CORES": "8", "SPARK_REVERSE_PROXY_URL": "https://app.herokuapp.com", "LOG_LEVEL": "warn",
            "BUCKETEER_BUCKET_NAME": "b", "BUCKETEER_AWS_ACCESS_KEY_ID": "AK", "BUCKETEER_AWS_SECRET_ACCESS_KEY": "SK",
            "BUCKETEER_AWS_REGION": "us-east-1", "KAFKA_ZOOKEEPER_URL": "zookeeper://10.1.1.1:2181",
            "SPARK_AUTHENTICATE_SECRET": "9f2c1e7a5b3d4c6e8f0a",
        ])).settings()
        let map = Dictionary(settings, uniquingKeysWith: { $1 })
        #expect(map["spark.executor.memory"] == "6g")
        #expect(map["spark.driver.memory"] == "1g")
        #expect(map["spark.deploy.defaultCores"] == "8")
        #expect(map["spark.ui.reverseProxy"] == "true")
        #expect(map["spark.ui.reverseProxyUrl"] == "https://app.herokuapp.com")
        #expect(map["spark.log.level"] == "WARN")
        #expect(map["spark.hadoop.fs.s3a.access.key"] == "AK")
        #expect(map["spark.hadoop.fs.s3a.secret.key"] == "SK")
        #expect(map["spark.hadoop.fs.s3a.endpoint.region"] == "us-east-1")
        #expect(map["spark.deploy.recoveryMode"] == "ZOOKEEPER")
        #expect(map["spark.authenticate"] == "true")
        #expect(map["spark.authenticate.secret"] == "9f2c1e7a5b3d4c6e8f0a")
        #expect(map["spark.master"] == "spark://1.master.app.app.localspace:7077,2.master.app.app.localspace:7077")
        // Attached as SPARK_S3, the add-on's variables carry that prefix and win.
        let aliased = try SparkDefaults(environment: SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "SPARK_S3_AWS_ACCESS_KEY_ID": "A2", "SPARK_S3_AWS_SECRET_ACCESS_KEY": "S2",
            "BUCKETEER_AWS_ACCESS_KEY_ID": "A1", "BUCKETEER_AWS_SECRET_ACCESS_KEY": "S1",
        ])).settings()
        #expect(Dictionary(aliased, uniquingKeysWith: { $1 })["spark.hadoop.fs.s3a.access.key"] == "A2")
        #expect(map["spark.jars.packages"] == "org.apache.hadoop:hadoop-aws:3.5.0")
    }

    /// The S3A connector matches the distribution's Hadoop client (pyspark 3.5 has Hadoop 3.3.4).
    @Test func theS3AConnectorMatchesTheHadoopClient() throws {
        let jars = ["hadoop-client-runtime-3.3.4.jar", "hadoop-client-api-3.3.4.jar", "spark-core_2.12-3.5.9.jar"]
        #expect(SparkDefaults.hadoopVersion(inJarNames: jars) == "3.3.4")
        #expect(SparkDefaults.hadoopVersion(inJarNames: ["hadoop-client-api-.jar", "hadoop-client-api-x;y.jar"]) == nil)
        let space = SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "BUCKETEER_AWS_ACCESS_KEY_ID": "AK", "BUCKETEER_AWS_SECRET_ACCESS_KEY": "SK",
        ])
        let settings = try SparkDefaults(environment: space, hadoopVersion: "3.3.4").settings()
        #expect(Dictionary(settings, uniquingKeysWith: { $1 })["spark.jars.packages"] == "org.apache.hadoop:hadoop-aws:3.3.4")
    }

    @Test(arguments: [
        ("SPARK_EXECUTOR_MEMORY", "lots"), ("SPARK_EXECUTOR_MEMORY", "1024"), ("SPARK_DRIVER_MEMORY", "-1g"),
        ("SPARK_DEFAULT_CORES", "0"), ("SPARK_REVERSE_PROXY_URL", "ftp://x"), ("LOG_LEVEL", "LOUD"),
        ("BUCKETEER_AWS_ACCESS_KEY_ID", "only-the-key"), ("SPARK_AUTHENTICATE_SECRET", "too-short"),
        ("SPARK_AUTHENTICATE_SECRET", "with a space 0123456789"), ("SPARK_AUTHENTICATE_SECRET", #"back\slash-0123456789"#),
        ("SPARK_NETWORK_CRYPTO", "true"), ("SPARK_NETWORK_CRYPTO", "yes"),
    ])
    func badValuesAreClearErrors(_ variable: String, _ value: String) {
        let error = #expect(throws: SpaceConfigError.self) {
            try SparkDefaults(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app", variable: value])).render()
        }
        #expect(error?.variable == variable)
    }
}

@Suite struct DynoCommandTests {
    @Test func masterDynoBindsItsDiscoveryNameAndTurnsOnZooKeeperRecovery() throws {
        let commands = DynoCommands(environment: SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "HEROKU_DNS_DYNO_NAME": "2.master.app.app.localspace", "HEROKU_PRIVATE_IP": "10.1.2.3",
            "KAFKA_ZOOKEEPER_URL": "zookeeper://10.0.0.9:2181", "SPARK_MASTER_OPTS": "-Dspark.worker.timeout=30",
        ]))
        let master = try commands.master()
        #expect(master.arguments == ["--host", "2.master.app.app.localspace", "--port", "7077", "--webui-port", "8080"])
        #expect(master.environment["SPARK_MASTER_OPTS"] == "-Dspark.worker.timeout=30 -Dspark.deploy.recoveryMode=ZOOKEEPER -Dspark.deploy.zookeeper.url=10.0.0.9:2181 -Dspark.deploy.zookeeper.dir=/app")
    }

    @Test func aSecretTurnsOnAuthenticationAndTravelsByTheEnvironment() throws {
        let secret = "9f2c1e7a5b3d4c6e8f0a"
        let commands = DynoCommands(environment: SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "HEROKU_DNS_DYNO_NAME": "1.worker.app.app.localspace", "SPARK_AUTHENTICATE_SECRET": secret,
            "SPARK_WORKER_OPTS": "-Dspark.worker.cleanup.enabled=true",
        ]))
        let master = try commands.master()
        #expect(master.environment["SPARK_MASTER_OPTS"] == "-Dspark.authenticate=true")
        #expect(master.environment["_SPARK_AUTH_SECRET"] == secret)
        let worker = try commands.worker()
        #expect(worker.environment["SPARK_WORKER_OPTS"] == "-Dspark.worker.cleanup.enabled=true -Dspark.authenticate=true")
        #expect(worker.environment["_SPARK_AUTH_SECRET"] == secret)
        for invocation in [master, worker] {
            #expect(!(invocation.arguments + invocation.environment.filter { $0.key != "_SPARK_AUTH_SECRET" }.map(\.value)).joined().contains(secret))
        }
        #expect(try DynoCommands(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app"])).worker().environment.isEmpty)
    }

    /// `SPARK_NETWORK_CRYPTO=true`: the daemons and every driver and executor (through
    /// `spark-defaults.conf`) encrypt their connections and accept no other.
    @Test func networkCryptoReachesTheDaemonsAndTheDefaults() throws {
        let environment = SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "HEROKU_DNS_DYNO_NAME": "1.worker.app.app.localspace",
            "SPARK_AUTHENTICATE_SECRET": "9f2c1e7a5b3d4c6e8f0a", "SPARK_NETWORK_CRYPTO": "TRUE",
        ])
        let crypto = "-Dspark.network.crypto.enabled=true -Dspark.network.crypto.saslFallback=false"
        let commands = DynoCommands(environment: environment)
        #expect(try commands.master().environment["SPARK_MASTER_OPTS"] == "-Dspark.authenticate=true " + crypto)
        #expect(try commands.worker().environment["SPARK_WORKER_OPTS"] == "-Dspark.authenticate=true " + crypto)
        let defaults = Dictionary(try SparkDefaults(environment: environment).settings(), uniquingKeysWith: { $1 })
        #expect(defaults["spark.network.crypto.enabled"] == "true")
        #expect(defaults["spark.network.crypto.saslFallback"] == "false")
        // Off, it changes nothing.
        var off = environment.variables
        off["SPARK_NETWORK_CRYPTO"] = "false"
        #expect(try DynoCommands(environment: SpaceEnvironment(off)).master().environment["SPARK_MASTER_OPTS"] == "-Dspark.authenticate=true")
        #expect(try SparkDefaults(environment: SpaceEnvironment(off)).settings().allSatisfy { !$0.0.hasPrefix("spark.network.crypto") })
    }

    /// `SPARK_REST_JWS_SECRET`: the master's REST server behind Spark's JWS filter, the key in the
    /// master's environment only; a key that is not base64url or under 256 bits is a clear error.
    @Test func aJWSKeyGuardsTheRESTServer() throws {
        let key = String(repeating: "q7-_", count: 11)  // 44 characters, 33 bytes
        let commands = DynoCommands(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app", "SPARK_REST_JWS_SECRET": key]))
        let master = try commands.master()
        #expect(master.environment["SPARK_MASTER_OPTS"]
            == "-Dspark.master.rest.filters=org.apache.spark.ui.JWSFilter -Dspark.org.apache.spark.ui.JWSFilter.param.secretKey=\(key)")
        #expect(!master.arguments.joined().contains(key))
        #expect(try commands.worker().environment.isEmpty)
        #expect(try !SparkDefaults(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app", "SPARK_REST_JWS_SECRET": key])).render().contains(key))
        for bad in [String(repeating: "A", count: 42), String(repeating: "A+/A", count: 11), "==="] {
            let error = #expect(throws: SpaceConfigError.self, "\(bad)") {
                try DynoCommands(environment: SpaceEnvironment(["HEROKU_DNS_APP_NAME": "app", "SPARK_REST_JWS_SECRET": bad])).master()
            }
            #expect(error?.variable == "SPARK_REST_JWS_SECRET")
        }
    }

    @Test func workerDynoFollowsEveryMaster() throws {
        let commands = DynoCommands(environment: SpaceEnvironment([
            "HEROKU_DNS_APP_NAME": "app", "SPARK_MASTERS": "2", "HEROKU_DNS_DYNO_NAME": "1.worker.app.app.localspace",
        ]))
        let worker = try commands.worker()
        #expect(worker.arguments == [
            "--host", "1.worker.app.app.localspace", "--webui-port", "8081",
            "spark://1.master.app.app.localspace:7077,2.master.app.app.localspace:7077",
        ])
        #expect(try DynoCommands(environment: SpaceEnvironment(["HEROKU_PRIVATE_IP": "10.0.0.4"])).master().arguments.prefix(2) == ["--host", "10.0.0.4"])
    }
}

@Suite struct LocalSpaceTests {
    @Test func everyDynoGetsItsOwnLoopbackAddressAndName() throws {
        let space = LocalSpace(appName: "demo", masters: 2, workers: 3)
        #expect(space.dynos("master").map(\.address) == ["127.0.1.1", "127.0.1.2"])
        #expect(space.dynos("worker").map(\.dnsName) == ["1.worker.demo.app.localspace", "2.worker.demo.app.localspace", "3.worker.demo.app.localspace"])
        #expect(space.masterURL(useNames: true) == "spark://1.master.demo.app.localspace:7077,2.master.demo.app.localspace:7077")
        #expect(space.masterURL(useNames: false) == "spark://127.0.1.1:7077,127.0.1.2:7077")
        let env = space.environment(for: space.dynos("worker")[1], useNames: true, masterCount: 2)
        #expect(env["HEROKU_DNS_DYNO_NAME"] == "2.worker.demo.app.localspace")
        #expect(env["HEROKU_PRIVATE_IP"] == "127.0.2.2")
        // The same environment gives the worker dyno the space's master URL.
        #expect((try? SpaceEnvironment(env).masterURL()) == space.masterURL(useNames: true))
    }

    @Test func theHostsBlockIsAddedOnceAndRemovedCleanly() {
        let space = LocalSpace(appName: "demo", masters: 1, workers: 1)
        let original = "127.0.0.1 localhost\n::1 localhost\n"
        let added = space.hostsFile(updating: original)
        #expect(added.contains("127.0.1.1 1.master.demo.app.localspace"))
        #expect(space.hostsFile(updating: added) == added)
        #expect(space.hostsFile(removingFrom: added) == original)
    }

    @Test func anExplicitMasterURLWins() throws {
        #expect(try SpaceEnvironment(["SPARK_MASTER_URL": "spark://10.0.0.1:7077"]).masterURL() == "spark://10.0.0.1:7077")
        #expect(throws: SpaceConfigError.self) { try SpaceEnvironment(["SPARK_MASTER_URL": "http://x"]).masterURL() }
    }
}
