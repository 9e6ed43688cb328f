/// Spark's metrics configuration (`MetricsConfig`, `MetricsSystem.registerSinks`) as the daemons
/// read it: which of an instance's sinks serve its metrics over HTTP, and at which paths.
///
/// Properties come, later ones winning, from Spark's defaults (the JSON servlet at `/metrics/json`,
/// `/metrics/master/json` for the master, `/metrics/applications/json` for its applications), the
/// file (`spark.metrics.conf`, else `metrics.properties` in the configuration directory, which is
/// on a JVM daemon's class path) and `spark.metrics.conf.<property>` settings. A property is
/// `<instance>.sink.<name>.<option>`; `*` stands for every instance without its own value.
public struct MetricsConfig: Sendable, Equatable {
    /// The merged properties.
    public private(set) var properties: [String: String]
    /// Why the metrics file could not be read, when it could not (Spark logs it and goes on).
    public var fileProblem: String?

    /// Spark's `MetricsServlet` and `PrometheusServlet`, the sinks served here.
    public static let servletClass = "org.apache.spark.metrics.sink.MetricsServlet"
    public static let prometheusServletClass = "org.apache.spark.metrics.sink.PrometheusServlet"

    static let defaults: [String: String] = [
        "*.sink.servlet.class": servletClass,
        "*.sink.servlet.path": "/metrics/json",
        "master.sink.servlet.path": "/metrics/master/json",
        "applications.sink.servlet.path": "/metrics/applications/json",
    ]

    public init(fileText: String? = nil, conf: SparkConf = SparkConf()) {
        var properties = Self.defaults
        if let fileText {
            for (key, value) in JavaProperties.parse(fileText) { properties[key] = value.trimmed }
        }
        let prefix = "spark.metrics.conf."
        for key in conf.sortedKeys where key.hasPrefix(prefix) && key.count > prefix.count {
            properties[String(key.dropFirst(prefix.count))] = conf[key]
        }
        self.properties = properties
    }

    /// The file a daemon reads: `spark.metrics.conf`, else `metrics.properties` in
    /// `SPARK_CONF_DIR` (else `$SPARK_HOME/conf`); `explicit` when named by the setting, so that
    /// its absence is worth a word.
    public static func file(conf: SparkConf, environment: [String: String]) -> (path: String, explicit: Bool)? {
        if let path = conf["spark.metrics.conf"], !path.isEmpty { return (path, true) }
        if let directory = environment["SPARK_CONF_DIR"], !directory.isEmpty { return (directory + "/metrics.properties", false) }
        if let home = environment["SPARK_HOME"], !home.isEmpty { return (home + "/conf/metrics.properties", false) }
        return nil
    }

    /// The configuration with the file (`file(conf:environment:)`) read by `read`, which returns
    /// nil for a file that is not there. A file that cannot be read is left out and said in
    /// `fileProblem`; so is a missing file `spark.metrics.conf` names.
    public static func load(conf: SparkConf, environment: [String: String], read: (String) throws -> String?) -> MetricsConfig {
        guard let (path, explicit) = file(conf: conf, environment: environment) else { return MetricsConfig(conf: conf) }
        do {
            guard let text = try read(path) else {
                var config = MetricsConfig(conf: conf)
                if explicit { config.fileProblem = "Metrics configuration file \(path) does not exist" }
                return config
            }
            return MetricsConfig(fileText: text, conf: conf)
        } catch {
            var config = MetricsConfig(conf: conf)
            config.fileProblem = "\(error)"
            return config
        }
    }

    /// What a daemon logs as an error when the metrics file could not be read (it goes on with
    /// the other sources of the configuration).
    public var fileError: String? { fileProblem.map { "Error loading configuration file: \($0)" } }

    /// The sinks of `instance` (`master`, `applications`, `worker`): served over HTTP, reporting by
    /// period, those that cannot be made (the daemon does not start), and those not provided.
    public func sinks(instance: String) -> MetricsSinks {
        // Spark: an instance with no property of its own takes all of `*`'s; one with some takes
        // `*`'s for the options it does not set.
        var own: [String: String] = [:]
        var shared: [String: String] = [:]
        for (key, value) in properties {
            guard let dot = key.firstIndex(of: "."), key.index(after: dot) < key.endIndex else { continue }
            let owner = key[..<dot]
            let rest = String(key[key.index(after: dot)...])
            guard owner == "*" || (!owner.isEmpty && owner.allSatisfy { $0.isASCII && $0.isLetter }) else { continue }
            if owner == instance { own[rest] = value } else if owner == "*" { shared[rest] = value }
        }
        let merged = shared.merging(own) { $1 }
        // `sink.<name>.<option>`, the name everything up to the last dot (Spark's `^sink\.(.+)\.(.+)`).
        var sinks: [String: [String: String]] = [:]
        for (key, value) in merged where key.hasPrefix("sink.") {
            let rest = key.dropFirst("sink.".count)
            guard let dot = rest.lastIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) < rest.endIndex else { continue }
            sinks[String(rest[..<dot]), default: [:]][String(rest[rest.index(after: dot)...])] = value
        }
        var result = MetricsSinks()
        for name in sinks.keys.sorted() {
            let options = sinks[name]!
            guard let className = options["class"] else { continue }
            switch (name, className) {
            case ("servlet", Self.servletClass):
                result.jsonPath = options["path"].flatMap(MetricsSinks.servablePath)
            case ("prometheusServlet", Self.prometheusServletClass):
                result.prometheusPath = options["path"].flatMap(MetricsSinks.servablePath)
            case (_, let className) where MetricsPushSink.provides(className):
                do {
                    result.push.append(try MetricsPushSink.parse(name: name, className: className, options: options))
                } catch {
                    result.errors.append(error)
                }
            default:
                result.unsupported.append("\(name) (\(className))")
            }
        }
        return result
    }
}

/// Where an instance's metrics are served.
public struct MetricsSinks: Sendable, Equatable {
    /// Dropwizard's JSON document (Spark's `MetricsServlet`).
    public var jsonPath: String?
    /// Prometheus' text format (Spark's `PrometheusServlet`).
    public var prometheusPath: String?
    /// Sinks that report every period, in name order.
    public var push: [MetricsPushSink] = []
    /// Sinks whose options Spark would refuse.
    public var errors: [MetricsSinkError] = []
    /// Sinks configured for the instance that are not provided: `<name> (<class>)`.
    public var unsupported: [String] = []

    public init(
        jsonPath: String? = nil, prometheusPath: String? = nil, push: [MetricsPushSink] = [], errors: [MetricsSinkError] = [],
        unsupported: [String] = []
    ) {
        self.jsonPath = jsonPath
        self.prometheusPath = prometheusPath
        self.push = push
        self.errors = errors
        self.unsupported = unsupported
    }

    /// What a daemon logs about the sinks of `instance` it does not serve, a line each.
    public func warnings(instance: String) -> [String] {
        unsupported.map { "Metrics sink \($0) of the \(instance) instance is not provided" }
    }

    /// A path served as given: absolute, of letters, digits and `/._-` only (no pattern syntax
    /// for a router), without its trailing `/` (both forms are served).
    static func servablePath(_ path: String) -> String? {
        var path = path.trimmed
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        guard path.count > 1, path.hasPrefix("/"),
              path.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSetASCII.isAlphanumeric($0) || "/._-".unicodeScalars.contains($0)) }),
              !path.contains("//"), !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." })
        else { return nil }
        return path
    }
}

private enum CharacterSetASCII {
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
