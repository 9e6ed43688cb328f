/// How a daemon's configuration is assembled, as Spark's launch scripts and `Utils.loadDefaultSparkProperties` do.
extension SparkConf {
    /// The properties file a daemon reads when none is given: `$SPARK_CONF_DIR/spark-defaults.conf`,
    /// else `$SPARK_HOME/conf/spark-defaults.conf`.
    public static func defaultPropertiesFile(environment: [String: String]) -> String? {
        if let directory = environment["SPARK_CONF_DIR"], !directory.isEmpty {
            return directory + "/spark-defaults.conf"
        }
        if let home = environment["SPARK_HOME"], !home.isEmpty {
            return home + "/conf/spark-defaults.conf"
        }
        return nil
    }

    /// Builds a daemon's configuration: `-D` settings from the given option variables (e.g.
    /// `SPARK_DAEMON_JAVA_OPTS`, then `SPARK_MASTER_OPTS`, later ones winning), then the `spark.*`
    /// keys of the properties file for keys not already set.
    public static func daemon(
        environment: [String: String],
        optionVariables: [String],
        propertiesFileText: String?
    ) -> SparkConf {
        var conf = SparkConf()
        for variable in optionVariables {
            guard let text = environment[variable] else { continue }
            for (key, value) in JVMOptions.systemProperties(text) where key.hasPrefix("spark.") {
                conf[key] = value
            }
        }
        if let text = propertiesFileText {
            for (key, value) in JavaProperties.parse(text) where key.hasPrefix("spark.") {
                conf.setIfMissing(key, value.trimmed)
            }
        }
        return conf
    }
}
