import SparkMaster
import SparkModel

/// A daemon's metrics as Spark's HTTP sinks write them: the gauges of its sources (the master's
/// `MasterSource`, each application's `ApplicationSource`, the worker's `WorkerSource`) in
/// Dropwizard's JSON (`MetricsServlet`) or Prometheus' text format (`PrometheusServlet`).
///
/// The JVM daemons' registries also hold Spark SQL's static sources (code generation histograms,
/// Hive catalog counters), which stay at zero in a master or worker; they are not written here.
public enum MetricsDocument {
    public enum Value: Sendable, Equatable {
        case number(Int64)
        case text(String)
    }

    /// A gauge's full name (`master.aliveWorkers`) and value.
    public typealias Gauge = (name: String, value: Value)

    /// The registry's order: Java's `String` order (UTF-16 code units), as its `TreeMap`.
    static func sorted(_ gauges: [Gauge]) -> [Gauge] {
        gauges.sorted { $0.name.utf16.lexicographicallyPrecedes($1.name.utf16) }
    }

    /// `{"version":"4.0.0","gauges":{"<name>":{"value":…},…},"counters":{},…}`, compact, as
    /// Dropwizard's `MetricsModule` writes a registry.
    public static func json(_ gauges: [Gauge]) -> String {
        var output = "{\"version\":\"4.0.0\",\"gauges\":{"
        for (index, gauge) in sorted(gauges).enumerated() {
            if index > 0 { output += "," }
            output += JSONValue.quoted(gauge.name) + ":{\"value\":"
            switch gauge.value {
            case .number(let number): output += String(number)
            case .text(let text): output += JSONValue.quoted(text)
            }
            output += "}"
        }
        output += "},\"counters\":{},\"histograms\":{},\"meters\":{},\"timers\":{}}"
        return output
    }

    /// Two lines a numeric gauge (`…_Number` and `…_Value`), none for a text gauge, the name
    /// `metrics_` and every character but ASCII letters and digits as `_`: Spark's
    /// `PrometheusServlet`.
    public static func prometheus(_ gauges: [Gauge]) -> String {
        var output = ""
        for gauge in sorted(gauges) {
            guard case .number(let number) = gauge.value else { continue }
            // Java's `replaceAll("[^a-zA-Z0-9]", "_")`: one `_` a code point.
            let key = "metrics_" + String(decoding: gauge.name.unicodeScalars.map { scalar -> UInt8 in
                switch scalar.value {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: UInt8(scalar.value)
                default: UInt8(ascii: "_")
                }
            }, as: UTF8.self) + "_"
            output += "\(key)Number{type=\"gauges\"} \(number)\n"
            output += "\(key)Value{type=\"gauges\"} \(number)\n"
        }
        return output
    }
}

/// Where one of a daemon's metric documents is served.
public struct MetricsRoute: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case json, prometheus }
    /// Whose metrics: the master's own or its applications' (Spark's `master` and `applications`
    /// instances); a worker serves its own.
    public enum Source: Sendable, Equatable { case master, applications, worker }

    public var path: String
    public var format: Format
    public var source: Source

    public init(path: String, format: Format, source: Source) {
        self.path = path
        self.format = format
        self.source = source
    }

    /// The document for `gauges`, with the content type Spark's servlets give it.
    public func response(_ gauges: [MetricsDocument.Gauge]) -> (body: String, contentType: String) {
        switch format {
        case .json: (MetricsDocument.json(gauges), "text/json;charset=utf-8")
        case .prometheus: (MetricsDocument.prometheus(gauges), "text/plain;charset=utf-8")
        }
    }
}

extension MetricsDocument {
    /// Spark's `MasterSource`: workers known (dead ones included until they are dropped), alive,
    /// applications registered and not finished, and those of them still waiting.
    public static func master(_ master: MasterStateMachine) -> [Gauge] {
        let workers = master.workerList
        let apps = master.activeApps
        return [
            ("master.workers", .number(Int64(workers.count))),
            ("master.aliveWorkers", .number(Int64(workers.filter(\.isAlive).count))),
            ("master.apps", .number(Int64(apps.count))),
            ("master.waitingApps", .number(Int64(apps.filter { $0.state == .waiting }.count))),
        ]
    }

    /// Spark's `ApplicationSource` of every application registered, finished ones included until the
    /// master forgets them (`spark.deploy.retainedApplications`), as Spark removes a source only then;
    /// named `application.<name>.<start time in ms>`: its state, run time and cores granted.
    public static func applications(_ master: MasterStateMachine, now: Int64) -> [Gauge] {
        (master.activeApps + master.completedApps).flatMap { app -> [Gauge] in
            let prefix = "application.\(app.desc.name).\(app.startTime)."
            return [
                (prefix + "status", .text(app.state.description)),
                (prefix + "runtime_ms", .number(app.duration(now: now))),
                (prefix + "cores", .number(Int64(app.coresGranted))),
            ]
        }
    }

    /// Spark's `WorkerSource`.
    public static func worker(executors: Int, cores: Int64, coresUsed: Int64, memoryMiB: Int64, memoryUsedMiB: Int64) -> [Gauge] {
        [
            ("worker.executors", .number(Int64(executors))),
            ("worker.coresUsed", .number(coresUsed)),
            ("worker.memUsed_MB", .number(memoryUsedMiB)),
            ("worker.coresFree", .number(cores - coresUsed)),
            ("worker.memFree_MB", .number(memoryMiB - memoryUsedMiB)),
        ]
    }
}
