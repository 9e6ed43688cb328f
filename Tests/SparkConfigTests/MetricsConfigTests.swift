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
            """
        let config = MetricsConfig(fileText: file, conf: SparkConf([
            "spark.metrics.conf.master.sink.prometheusServlet.path": "/metrics/master/prometheus/",
            "spark.metrics.conf.worker.sink.servlet.path": "/w/json",
            "spark.other": "x",
        ]))
        #expect(config.sinks(instance: "master") == MetricsSinks(jsonPath: "/metrics/master/json", prometheusPath: "/metrics/master/prometheus"))
        #expect(config.sinks(instance: "applications") == MetricsSinks(jsonPath: "/metrics/applications/json", prometheusPath: "/metrics/prometheus"))
        #expect(config.sinks(instance: "worker") == MetricsSinks(
            jsonPath: "/w/json", prometheusPath: "/metrics/prometheus", unsupported: ["graphite (org.apache.spark.metrics.sink.GraphiteSink)"]))
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
            "Metrics sink servlet (com.example.MyServlet) of the master instance is not provided; only MetricsServlet and PrometheusServlet are served",
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
