import SparkConfig
import Testing

@Suite struct SparkConfTests {
    @Test func propertiesFilesParseLikeJava() {
        let text = """
            # comment
            ! also a comment
            spark.master   spark://a:7077
            spark.executor.memory=2g
            spark.ui.port : 4041
            spark.long.value = one \\
                two
            spark.escaped=a\\tb\\u0041
            spark.empty=
            """
        let entries = Dictionary(JavaProperties.parse(text).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        #expect(entries["spark.master"] == "spark://a:7077")
        #expect(entries["spark.executor.memory"] == "2g")
        #expect(entries["spark.ui.port"] == "4041")
        #expect(entries["spark.long.value"] == "one two")
        #expect(entries["spark.escaped"] == "a\tbA")
        #expect(entries["spark.empty"] == "")
        #expect(entries.count == 6)
    }

    @Test func daemonOptionsWinOverTheFile() {
        let conf = SparkConf.daemon(
            environment: [
                "SPARK_DAEMON_JAVA_OPTS": "-Dspark.worker.timeout=30 -Xmx1g",
                "SPARK_MASTER_OPTS": "-Dspark.deploy.defaultCores=4 \"-Dspark.x=a b\" -Dother=1",
            ],
            optionVariables: ["SPARK_DAEMON_JAVA_OPTS", "SPARK_MASTER_OPTS"],
            propertiesFileText: "spark.worker.timeout 90\nspark.deploy.spreadOut false\nnot.spark 1\n")
        #expect(conf["spark.worker.timeout"] == "30")
        #expect(conf["spark.deploy.defaultCores"] == "4")
        #expect(conf["spark.x"] == "a b")
        #expect(conf["spark.deploy.spreadOut"] == "false")
        #expect(conf["other"] == nil && conf["not.spark"] == nil)
    }

    @Test func durationsAndSizesFollowSparksUnits() throws {
        #expect(SparkConf.parseDuration("60") == 60)
        #expect(SparkConf.parseDuration("500ms") == 0.5)
        #expect(SparkConf.parseDuration("2min") == 120)
        #expect(SparkConf.parseDuration("1h") == 3600)
        #expect(SparkConf.parseDuration("ten") == nil)
        #expect(SparkConf.memoryStringToMebibytes("2g") == 2048)
        #expect(SparkConf.memoryStringToMebibytes("512m") == 512)
        #expect(SparkConf.memoryStringToMebibytes("1048576") == 1)
        #expect(SparkConf.memoryStringToMebibytes("12x") == nil)
        let conf = SparkConf(["spark.worker.timeout": "soon", "spark.flag": "yes"])
        #expect(throws: SparkConfError.self) { try conf.seconds("spark.worker.timeout", default: 60) }
        #expect(throws: SparkConfError.self) { try conf.bool("spark.flag", default: false) }
    }
}

@Suite struct ContainerLimitsTests {
    @Test func cgroupV2Limits() {
        let files = ["/sys/fs/cgroup/cpu.max": "250000 100000\n", "/sys/fs/cgroup/memory.max": "2684354560\n"]
        let limits = ContainerLimits.detect { files[$0] }
        #expect(limits == ContainerLimits(cpus: 3, memoryBytes: 2_684_354_560))
    }

    @Test func cgroupV1Limits() {
        let files = [
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "400000", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712",
        ]
        #expect(ContainerLimits.detect { files[$0] } == ContainerLimits(cpus: 4, memoryBytes: nil))
    }

    @Test func noLimits() {
        let files = ["/sys/fs/cgroup/cpu.max": "max 100000", "/sys/fs/cgroup/memory.max": "max"]
        #expect(ContainerLimits.detect { files[$0] } == ContainerLimits(cpus: nil, memoryBytes: nil))
        #expect(ContainerLimits.detect { _ in nil } == ContainerLimits(cpus: nil, memoryBytes: nil))
        #expect(ContainerLimits.parseCPUMax("garbage") == nil)
    }
}

@Suite struct SparkAuthenticationSettingsTests {
    @Test func theSecretComesFromTheEnvironmentFirstAsInSpark() throws {
        #expect(try SparkConf().authentication(environment: ["_SPARK_AUTH_SECRET": "x"]) == nil)
        let on = SparkConf(["spark.authenticate": "true", "spark.authenticate.secret": "from-conf"])
        #expect(try on.authentication(environment: [:]) == SparkAuthenticationSettings(secret: "from-conf", handshakeTimeoutSeconds: 30))
        #expect(try on.authentication(environment: ["_SPARK_AUTH_SECRET": "from-env"])?.secret == "from-env")
        let timed = SparkConf(["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.auth.rpcTimeout": "5s"])
        #expect(try timed.authentication(environment: [:])?.handshakeTimeoutSeconds == 5)
        // spark.network.crypto: Spark's defaults, or as set.
        let crypto = SparkConf(["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.crypto.enabled": "true"])
        #expect(try crypto.authentication(environment: [:])?.crypto == NetworkCryptoSettings(authEngineVersion: 1, saslFallback: true))
        var strict = crypto
        strict["spark.network.crypto.authEngineVersion"] = "2"
        strict["spark.network.crypto.saslFallback"] = "false"
        strict["spark.network.crypto.cipher"] = "aes/ctr/nopadding"
        #expect(try strict.authentication(environment: [:])?.crypto == NetworkCryptoSettings(authEngineVersion: 2, saslFallback: false))
        strict["spark.network.crypto.cipher"] = "AES/GCM/NoPadding"
        #expect(try strict.authentication(environment: [:])?.crypto == NetworkCryptoSettings(gcm: true, authEngineVersion: 2, saslFallback: false))
        // Without spark.authenticate, nothing is authenticated or encrypted (as in Spark).
        var off = crypto
        off["spark.authenticate"] = "false"
        #expect(try off.authentication(environment: [:]) == nil)
    }

    @Test(arguments: [
        ["spark.authenticate": "true"],
        ["spark.authenticate": "true", "spark.authenticate.secret": ""],
        ["spark.authenticate": "yes", "spark.authenticate.secret": "s"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.crypto.enabled": "true", "spark.network.crypto.cipher": "AES/CBC/PKCS5Padding"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.crypto.enabled": "true", "spark.network.crypto.authEngineVersion": "3"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.crypto.enabled": "true", "spark.network.crypto.saslFallback": "no"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.authenticate.enableSaslEncryption": "true"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.sasl.serverAlwaysEncrypt": "true"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.auth.rpcTimeout": "0"],
        ["spark.ssl.rpc.enabled": "true"],
        ["spark.authenticate": "true", "spark.authenticate.secret": "s", "spark.network.crypto.enabled": "true", "spark.ssl.rpc.enabled": "true"],
    ])
    func whatCannotBeHonouredStopsTheDaemon(_ settings: [String: String]) {
        #expect(throws: SparkConfError.self) { try SparkConf(settings).authentication(environment: [:]) }
    }
}

/// Settings shown on a page are redacted as Spark's `Utils.redact(conf, kvs)` does.
@Suite struct SparkConfRedactionTests {
    static let pairs = [
        ("spark.authenticate.secret", "s3cr3t"), ("spark.executorEnv.AWS_ACCESS_KEY", "AKIA"),
        ("spark.hadoop.fs.s3a.access.key", "AKIA2"), ("spark.myapp.Password", "p"),
        ("spark.driver.extraJavaOptions", "-Dmy.token=abc"), ("spark.master.ui.port", "8080"),
        ("spark.hadoop.fs.gs.auth.service.account.json.keyfile", "/etc/gcp-credentials.json"),
    ]

    @Test func keysOrValuesMatchingTheDefaultPatternAreRedacted() {
        let redacted = SparkConf().redacted(Self.pairs)
        #expect(redacted.map(\.0) == Self.pairs.map(\.0))
        // `access[.]?key` does not take `ACCESS_KEY` (nor does Spark's).
        let hidden = SparkConf.redactionReplacement
        // Spark 4.3's default takes `credential` too (3.5's does not).
        #expect(redacted.map(\.1) == [hidden, "AKIA", hidden, hidden, hidden, "8080", hidden])
        #expect(SparkConf.redactionReplacement == "*********(redacted)")
    }

    @Test func theOperatorsPatternReplacesTheDefault() {
        let conf = SparkConf(["spark.redaction.regex": "port$"])
        #expect(conf.redacted(Self.pairs).map(\.1) == ["s3cr3t", "AKIA", "AKIA2", "p", "-Dmy.token=abc", SparkConf.redactionReplacement, "/etc/gcp-credentials.json"])
        // A pattern this runtime cannot read hides every value rather than none.
        let broken = SparkConf(["spark.redaction.regex": "(unclosed"])
        #expect(broken.redacted(Self.pairs).allSatisfy { $0.1 == SparkConf.redactionReplacement })
    }
}
