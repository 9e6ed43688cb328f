import SparkConfig

/// `spark-defaults.conf` for drivers and shells in the space, rendered from config vars.
public struct SparkDefaults: Sendable {
    public let environment: SpaceEnvironment
    /// The Hadoop client release of the distribution (`jars/hadoop-client-api-<release>.jar`): the
    /// S3A connector must match it. nil: pyspark 4.3's, 3.5.0.
    public var hadoopVersion: String?

    public init(environment: SpaceEnvironment, hadoopVersion: String? = nil) {
        self.environment = environment
        self.hadoopVersion = hadoopVersion
    }

    /// The Hadoop client release in a `jars` folder's listing (pyspark 4.3: 3.5.0, 3.5: 3.3.4).
    public static func hadoopVersion(inJarNames names: some Sequence<String>) -> String? {
        let prefix = "hadoop-client-api-", suffix = ".jar"
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count < 100 {
            let version = name.dropFirst(prefix.count).dropLast(suffix.count)
            if let first = version.first, first.isASCII, first.isNumber,
               version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) {
                return String(version)
            }
        }
        return nil
    }

    /// Settings in output order.
    public func settings() throws(SpaceConfigError) -> [(String, String)] {
        var settings: [(String, String)] = [("spark.master", try environment.masterURL())]
        settings.append(("spark.executor.memory", try size("SPARK_EXECUTOR_MEMORY", default: "12g")))
        settings.append(("spark.driver.memory", try size("SPARK_DRIVER_MEMORY", default: "2g")))
        settings.append(("spark.deploy.defaultCores", try count("SPARK_DEFAULT_CORES", default: 4)))
        if let url = value("SPARK_REVERSE_PROXY_URL") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw SpaceConfigError("SPARK_REVERSE_PROXY_URL", "\"\(url)\" is not an http(s) URL")
            }
            settings.append(("spark.ui.reverseProxy", "true"))
            settings.append(("spark.ui.reverseProxyUrl", url))
        }
        if let level = value("LOG_LEVEL") {
            let levels = ["ALL", "DEBUG", "ERROR", "FATAL", "INFO", "OFF", "TRACE", "WARN"]
            let upper = level.uppercased()
            guard levels.contains(upper) else {
                throw SpaceConfigError("LOG_LEVEL", "\"\(level)\" is not one of \(levels.joined(separator: ", "))")
            }
            settings.append(("spark.log.level", upper))
        }
        settings += try s3Settings()
        settings += try environment.recoverySettings()
        if let secret = try environment.authenticationSecret() {
            settings.append(("spark.authenticate", "true"))
            settings.append(("spark.authenticate.secret", secret))
        }
        settings += try environment.networkCryptoSettings()
        return settings
    }

    /// The file's text.
    public func render() throws(SpaceConfigError) -> String {
        var text = "# Written by spark-space render-config from the app's config vars; do not edit.\n"
        for (key, value) in try settings() {
            text += "\(key) \(value)\n"
        }
        return text
    }

    /// S3 through the bucketeer add-on: `SPARK_S3_*` when attached as SPARK_S3, else `BUCKETEER_*`.
    func s3Settings() throws(SpaceConfigError) -> [(String, String)] {
        for prefix in ["SPARK_S3", "BUCKETEER"] {
            let bucket = value("\(prefix)_BUCKET_NAME")
            let key = value("\(prefix)_AWS_ACCESS_KEY_ID")
            let secret = value("\(prefix)_AWS_SECRET_ACCESS_KEY")
            guard bucket != nil || key != nil || secret != nil else { continue }
            guard key != nil, secret != nil else {
                throw SpaceConfigError("\(prefix)_AWS_ACCESS_KEY_ID", "S3 needs both \(prefix)_AWS_ACCESS_KEY_ID and \(prefix)_AWS_SECRET_ACCESS_KEY")
            }
            var settings: [(String, String)] = [
                ("spark.hadoop.fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem"),
                ("spark.hadoop.fs.s3a.access.key", key!),
                ("spark.hadoop.fs.s3a.secret.key", secret!),
            ]
            if let region = value("\(prefix)_AWS_REGION") {
                settings.append(("spark.hadoop.fs.s3a.endpoint.region", region))
            }
            // pyspark ships the Hadoop client without the S3A connector; drivers fetch the matching one.
            settings.append(("spark.jars.packages", value("SPARK_S3_PACKAGES") ?? "org.apache.hadoop:hadoop-aws:\(hadoopVersion ?? "3.5.0")"))
            return settings
        }
        return []
    }

    private func value(_ name: String) -> String? { environment.variables[name].flatMap { $0.isEmpty ? nil : $0 } }

    private func size(_ name: String, default defaultValue: String) throws(SpaceConfigError) -> String {
        guard let raw = value(name) else { return defaultValue }
        guard let mebibytes = SparkConf.memoryStringToMebibytes(raw), mebibytes >= 1,
              raw.last.map({ "kKmMgGtT".contains($0) }) == true
        else {
            throw SpaceConfigError(name, "\"\(raw)\" is not a memory size such as 512m or 12g")
        }
        return raw.lowercased()
    }

    private func count(_ name: String, default defaultValue: Int) throws(SpaceConfigError) -> String {
        guard let raw = value(name) else { return String(defaultValue) }
        guard let count = Int(raw), count > 0 else { throw SpaceConfigError(name, "\"\(raw)\" is not a positive number of cores") }
        return String(count)
    }
}
