import SparkConfig
import Testing

/// Spark's metrics configuration as `MetricsConfig` merges it: defaults, the file, then
/// `spark.metrics.conf.*` settings; `*` for instances without their own value.
@Suite struct MetricsConfigTests {
    @Test func defaultsServeJSONAtSparksPaths() {
        let config = MetricsConfig()
        #expect(config.sinks(instance: "master") == MetricsSinks(jsonPath: "/metrics/master/json"))
        #expect(config.sinks(instance: "applications") == MetricsSinks(jsonPath: "/metrics/applications/json"))
        #expect(config.sinks(instance: "worker") == MetricsSinks(jsonPath: "/metrics/json"))
    }

    @Test func theFileAndSettingsAddSinksAndSettingsWin() {
        let file = """
            # Prometheus for everyone, the master's elsewhere
            *.sink.prometheusServlet.class=org.apache.spark.metrics.sink.PrometheusServlet
            *.sink.prometheusServlet.path=/metrics/prometheus
            master.sink.prometheusServlet.path=/file/master
            worker.sink.graphite.class=org.apache.spark.metrics.sink.GraphiteSink
            worker.sink.graphite.host=graphite.example
            worker.sink.graphite.port=2003
            worker.sink.jmx.class=org.apache.spark.metrics.sink.JmxSink
            """
        let config = MetricsConfig(fileText: file, conf: SparkConf([
            "spark.metrics.conf.master.sink.prometheusServlet.path": "/metrics/master/prometheus/",
            "spark.metrics.conf.worker.sink.servlet.path": "/w/json",
            "spark.other": "x",
        ]))
        #expect(config.sinks(instance: "master") == MetricsSinks(jsonPath: "/metrics/master/json", prometheusPath: "/metrics/master/prometheus"))
        #expect(config.sinks(instance: "applications") == MetricsSinks(jsonPath: "/metrics/applications/json", prometheusPath: "/metrics/prometheus"))
        #expect(config.sinks(instance: "worker") == MetricsSinks(
            jsonPath: "/w/json", prometheusPath: "/metrics/prometheus",
            push: [MetricsPushSink(
                name: "graphite", className: MetricsPushSink.graphiteClass,
                kind: .graphite(host: "graphite.example", port: 2003, udp: false, prefix: ""), periodNanoseconds: 10_000_000_000, filter: nil)],
            unsupported: ["jmx (org.apache.spark.metrics.sink.JmxSink)"]))
    }

    /// Each reporting sink's options as Spark's sink classes read them, and what they refuse.
    @Test func reportingSinksTakeSparksOptions() {
        func sinks(_ options: [String: String]) -> MetricsSinks {
            MetricsConfig(conf: SparkConf(Dictionary(uniqueKeysWithValues: options.map { ("spark.metrics.conf.worker.sink.\($0.key)", $0.value) })))
                .sinks(instance: "worker")
        }
        let all = sinks([
            "console.class": MetricsPushSink.consoleClass, "console.period": "3", "console.unit": "minutes",
            "csv.class": MetricsPushSink.csvClass, "csv.directory": "/var/metrics",
            "log.class": MetricsPushSink.slf4jClass, "log.period": "1500", "log.unit": "MILLISECONDS",
            "graphite.class": MetricsPushSink.graphiteClass, "graphite.host": "g", "graphite.port": "2003", "graphite.protocol": "UDP",
            "graphite.prefix": "spark", "graphite.regex": "worker\\..*",
            "statsd.class": MetricsPushSink.statsdClass, "statsd.prefix": "p",
        ])
        #expect(all.errors.isEmpty)
        #expect(all.push.map(\.name) == ["console", "csv", "graphite", "log", "statsd"])
        #expect(all.push.map(\.kind) == [
            .console, .csv(directory: "/var/metrics"), .graphite(host: "g", port: 2003, udp: true, prefix: "spark"), .slf4j,
            .statsd(host: "127.0.0.1", port: 8125, prefix: "p"),
        ])
        #expect(all.push.map(\.periodNanoseconds) == [180_000_000_000, 10_000_000_000, 10_000_000_000, 1_500_000_000, 10_000_000_000])
        #expect(all.push.map(\.filter) == [nil, nil, "worker\\..*", nil, nil])
        #expect(all.push[1].kind == .csv(directory: "/var/metrics"))
        #expect(sinks(["csv.class": MetricsPushSink.csvClass]).push.map(\.kind) == [.csv(directory: "/tmp/")])

        let refused: [([String: String], String)] = [
            (["graphite.class": MetricsPushSink.graphiteClass, "graphite.port": "2003"],
             "[GRAPHITE_SINK_PROPERTY_MISSING] Graphite sink requires 'host' property. SQLSTATE: KD000"),
            (["graphite.class": MetricsPushSink.graphiteClass, "graphite.host": "g"],
             "[GRAPHITE_SINK_PROPERTY_MISSING] Graphite sink requires 'port' property. SQLSTATE: KD000"),
            (["graphite.class": MetricsPushSink.graphiteClass, "graphite.host": "g", "graphite.port": "2003", "graphite.protocol": "http"],
             "[GRAPHITE_SINK_INVALID_PROTOCOL] Invalid Graphite protocol: http. SQLSTATE: KD000"),
            (["statsd.class": MetricsPushSink.statsdClass, "statsd.port": "81 25"], "java.lang.NumberFormatException: For input string: \"81 25\""),
            (["statsd.class": MetricsPushSink.statsdClass, "statsd.port": "70000"], "java.lang.IllegalArgumentException: port out of range:70000"),
            (["console.class": MetricsPushSink.consoleClass, "console.period": "999", "console.unit": "milliseconds"],
             "Polling period 999 MILLISECONDS below than minimal polling period "),
            (["console.class": MetricsPushSink.consoleClass, "console.unit": "fortnights"],
             "No enum constant java.util.concurrent.TimeUnit.FORTNIGHTS"),
        ]
        for (options, reason) in refused {
            let result = sinks(options)
            #expect(result.push.isEmpty)
            #expect(result.errors.map(\.reason) == [reason])
        }
        #expect(sinks(["statsd.class": MetricsPushSink.statsdClass, "statsd.port": "x"]).errors.first?.description
            == "Sink class org.apache.spark.metrics.sink.StatsdSink cannot be instantiated: java.lang.NumberFormatException: For input string: \"x\"")
    }

    @Test func aServletTurnedOffOrOddPathsAreNotServed() {
        let config = MetricsConfig(conf: SparkConf([
            // Another class for the servlet sink is not ours to run.
            "spark.metrics.conf.master.sink.servlet.class": "com.example.MyServlet",
            "spark.metrics.conf.worker.sink.servlet.path": "/metrics/{id}",
            "spark.metrics.conf.applications.sink.servlet.path": "relative/path",
            "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
            "spark.metrics.conf.*.sink.prometheusServlet.path": "/a/../b",
        ]))
        #expect(config.sinks(instance: "master") == MetricsSinks(unsupported: ["servlet (com.example.MyServlet)"]))
        #expect(config.sinks(instance: "master").warnings(instance: "master") == [
            "Metrics sink servlet (com.example.MyServlet) of the master instance is not provided",
        ])
        #expect(config.sinks(instance: "worker").warnings(instance: "worker") == [])
        #expect(config.sinks(instance: "worker").jsonPath == nil)
        #expect(config.sinks(instance: "applications").jsonPath == nil)
        #expect(config.sinks(instance: "worker").prometheusPath == nil)
    }

    @Test func theFileIsFoundAndItsProblemsKept() {
        let environment = ["SPARK_CONF_DIR": "/etc/spark", "SPARK_HOME": "/opt/spark"]
        #expect(MetricsConfig.file(conf: SparkConf(), environment: environment)! == ("/etc/spark/metrics.properties", false))
        #expect(MetricsConfig.file(conf: SparkConf(), environment: ["SPARK_HOME": "/opt/spark"])! == ("/opt/spark/conf/metrics.properties", false))
        #expect(MetricsConfig.file(conf: SparkConf(["spark.metrics.conf": "/m.properties"]), environment: environment)! == ("/m.properties", true))

        let absent = MetricsConfig.load(conf: SparkConf(), environment: environment) { _ in nil }
        #expect(absent.fileProblem == nil && absent == MetricsConfig())
        let named = MetricsConfig.load(conf: SparkConf(["spark.metrics.conf": "/m.properties"]), environment: environment) { _ in nil }
        #expect(named.fileProblem == "Metrics configuration file /m.properties does not exist")
        struct Unreadable: Error, CustomStringConvertible { var description: String { "cannot be read" } }
        let unreadable = MetricsConfig.load(conf: SparkConf(), environment: environment) { _ in throw Unreadable() }
        #expect(unreadable.fileProblem == "cannot be read")
        #expect(unreadable.fileError == "Error loading configuration file: cannot be read" && absent.fileError == nil)
        let read = MetricsConfig.load(conf: SparkConf(), environment: environment) { path in
            path == "/etc/spark/metrics.properties" ? "worker.sink.servlet.path=/x" : nil
        }
        #expect(read.sinks(instance: "worker").jsonPath == "/x")
    }
}
