/// A metrics sink that reports an instance's gauges every `period` (Spark's `ConsoleSink`,
/// `CsvSink`, `Slf4jSink`, `GraphiteSink`, `StatsdSink`), read from its options as Spark reads them.
public struct MetricsPushSink: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Dropwizard's `ConsoleReporter` on standard output.
        case console
        /// Dropwizard's `CsvReporter`: a `<metric>.csv` file each in `directory`.
        case csv(directory: String)
        /// Dropwizard's `Slf4jReporter`: a line each at INFO, logger `metrics`.
        case slf4j
        /// Dropwizard's `GraphiteReporter`: plaintext lines over TCP (a connection per report) or UDP.
        case graphite(host: String, port: Int, udp: Bool, prefix: String)
        /// Spark's `StatsdReporter`: a UDP datagram per numeric gauge.
        case statsd(host: String, port: Int, prefix: String)
    }

    /// The sink's name in the configuration (`*.sink.<name>.class`).
    public var name: String
    public var className: String
    public var kind: Kind
    /// `period` in `unit`, at least one second as Spark requires.
    public var periodNanoseconds: Int64
    /// `regex` (Graphite and StatsD): only metrics whose name it finds a match in are reported.
    public var filter: String?

    public init(name: String, className: String, kind: Kind, periodNanoseconds: Int64, filter: String?) {
        self.name = name
        self.className = className
        self.kind = kind
        self.periodNanoseconds = periodNanoseconds
        self.filter = filter
    }

    public static let consoleClass = "org.apache.spark.metrics.sink.ConsoleSink"
    public static let csvClass = "org.apache.spark.metrics.sink.CsvSink"
    public static let slf4jClass = "org.apache.spark.metrics.sink.Slf4jSink"
    public static let graphiteClass = "org.apache.spark.metrics.sink.GraphiteSink"
    public static let statsdClass = "org.apache.spark.metrics.sink.StatsdSink"

    /// Whether `className` is one of these sinks.
    static func provides(_ className: String) -> Bool {
        [consoleClass, csvClass, slf4jClass, graphiteClass, statsdClass].contains(className)
    }

    /// The sink `name` of class `className` with `options`; throws what Spark's sink constructor
    /// throws for options it cannot take.
    static func parse(name: String, className: String, options: [String: String]) throws(MetricsSinkError) -> MetricsPushSink {
        let kind: Kind
        switch className {
        case consoleClass:
            kind = .console
        case csvClass:
            kind = .csv(directory: options["directory"] ?? "/tmp/")
        case slf4jClass:
            kind = .slf4j
        case graphiteClass:
            guard let host = options["host"] else { throw MetricsSinkError(name: name, className: className, missing: "host") }
            guard let portText = options["port"] else { throw MetricsSinkError(name: name, className: className, missing: "port") }
            // Spark's Graphite sink takes a port out of range and fails every report; it is refused here.
            let port = try javaPort(portText, name: name, className: className)
            let udp: Bool
            switch (options["protocol"] ?? "tcp").lowercased() {
            case "tcp": udp = false
            case "udp": udp = true
            default:
                throw MetricsSinkError(
                    name: name, className: className,
                    reason: "[GRAPHITE_SINK_INVALID_PROTOCOL] Invalid Graphite protocol: \(options["protocol"] ?? ""). SQLSTATE: KD000")
            }
            kind = .graphite(host: host, port: port, udp: udp, prefix: options["prefix"] ?? "")
        case statsdClass:
            let port = try javaPort(options["port"] ?? "8125", name: name, className: className)
            kind = .statsd(host: options["host"] ?? "127.0.0.1", port: port, prefix: options["prefix"] ?? "")
        default:
            throw MetricsSinkError(name: name, className: className, reason: "not a sink that reports by period")
        }
        let period = try javaInt(options["period"] ?? "10", name: name, className: className)
        let unitName = (options["unit"] ?? "SECONDS").uppercased()
        guard let unit = Self.timeUnits[unitName] else {
            throw MetricsSinkError(
                name: name, className: className, reason: "No enum constant java.util.concurrent.TimeUnit.\(unitName)")
        }
        // Spark's MetricsSystem.checkMinimalPollingPeriod: the period truncated to whole seconds is at least 1.
        let (nanoseconds, overflow) = Int64(period).multipliedReportingOverflow(by: unit)
        let seconds = overflow ? (period < 0 ? Int64.min : Int64.max) / 1_000_000_000 : nanoseconds / 1_000_000_000
        guard seconds >= 1 else {
            throw MetricsSinkError(
                name: name, className: className,
                reason: "Polling period \(period) \(unitName) below than minimal polling period ")
        }
        // As Spark compiles `regex` only when it filters, a pattern that cannot be compiled fails each report, not the start.
        var filter: String?
        if case .graphite = kind { filter = options["regex"] }
        if case .statsd = kind { filter = options["regex"] }
        return MetricsPushSink(
            name: name, className: className, kind: kind, periodNanoseconds: overflow ? Int64.max : nanoseconds, filter: filter)
    }

    /// Java's `TimeUnit` names and their length in nanoseconds.
    static let timeUnits: [String: Int64] = [
        "NANOSECONDS": 1, "MICROSECONDS": 1_000, "MILLISECONDS": 1_000_000, "SECONDS": 1_000_000_000,
        "MINUTES": 60_000_000_000, "HOURS": 3_600_000_000_000, "DAYS": 86_400_000_000_000,
    ]

    /// `Integer.parseInt`, then `InetSocketAddress`'s range check.
    static func javaPort(_ text: String, name: String, className: String) throws(MetricsSinkError) -> Int {
        let port = try javaInt(text, name: name, className: className)
        guard (0...65535).contains(port) else {
            throw MetricsSinkError(name: name, className: className, reason: "java.lang.IllegalArgumentException: port out of range:\(port)")
        }
        return port
    }

    /// `Integer.parseInt`: an optional sign and ASCII digits, within 32 bits.
    static func javaInt(_ text: String, name: String, className: String) throws(MetricsSinkError) -> Int {
        var digits = Substring(text)
        let negative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let magnitude = Int64(digits), magnitude <= (negative ? 2_147_483_648 : 2_147_483_647)
        else {
            throw MetricsSinkError(name: name, className: className, reason: "java.lang.NumberFormatException: For input string: \"\(text)\"")
        }
        return Int(negative ? -magnitude : magnitude)
    }
}

/// A sink Spark would fail to create: the daemon does not start, as Spark's does not.
public struct MetricsSinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var className: String
    public var reason: String

    init(name: String, className: String, reason: String) {
        self.name = name
        self.className = className
        self.reason = reason
    }

    init(name: String, className: String, missing property: String) {
        self.init(
            name: name, className: className,
            reason: "[GRAPHITE_SINK_PROPERTY_MISSING] Graphite sink requires '\(property)' property. SQLSTATE: KD000")
    }

    public var description: String { "Sink class \(className) cannot be instantiated: \(reason)" }
}
