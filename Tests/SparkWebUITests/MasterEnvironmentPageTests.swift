#if canImport(Glibc)
import Glibc
#endif
import SparkConfig
@testable import SparkMasterServer
import SparkWebUI
import Testing

/// The master's environment page model, from its settings: secrets in the `spark.*` settings and
/// in the metrics properties redacted, sorted by name, the process described.
@Suite struct MasterEnvironmentPageTests {
    @Test func settingsAndMetricsPropertiesAreRedactedAndSorted() {
        let conf = SparkConf([
            "spark.master.ui.title": "ops", "spark.authenticate.secret": "s3cr3t", "spark.jdbc.url": "jdbc:x?password=p",
            "spark.metrics.conf.*.sink.graphite.class": "org.apache.spark.metrics.sink.GraphiteSink",
        ])
        var settings = MasterService.Settings(host: "127.0.0.1", port: 7077, webUiPort: 8080, conf: conf)
        settings.metrics = MetricsConfig(fileText: "*.sink.graphite.token=abc\n*.sink.graphite.host=g.example\n", conf: conf)
        let model = MasterWebUI.environmentPage(settings: settings)
        let hidden = SparkConf.redactionReplacement
        #expect(model.sparkProperties.map { "\($0.name)=\($0.value)" } == [
            "spark.authenticate.secret=\(hidden)", "spark.jdbc.url=\(hidden)", "spark.master.ui.title=ops",
            "spark.metrics.conf.*.sink.graphite.class=org.apache.spark.metrics.sink.GraphiteSink",
        ])
        let metrics = Dictionary(uniqueKeysWithValues: model.metricsProperties.map { ($0.name, $0.value) })
        #expect(metrics["*.sink.graphite.token"] == hidden && metrics["*.sink.graphite.host"] == "g.example")
        #expect(model.metricsProperties.map(\.name) == model.metricsProperties.map(\.name).sorted())
        #expect(model.runtime.first == EnvironmentPage.Property("Spark Version", "4.3.0"))
        #expect(model.runtime.contains { $0.name == "Process ID" && Int32($0.value) == getpid() })
        #expect(model.runtime.contains { $0.name == "Executable" && $0.value.hasPrefix("/") })
    }

    /// Environment variables appear only under the prefixes the operator names, sorted, with
    /// secrets redacted by the same pattern as the settings.
    @Test func environmentVariablesUnderTheVisiblePrefixes() {
        var settings = MasterService.Settings(
            host: "h", port: 1, webUiPort: 2, conf: SparkConf(["spark.master.ui.visibleEnvVarPrefixes": " SPARK_, DYNO ,"]))
        settings.environment = [
            "SPARK_WORKER_CORES": "4", "DYNO": "master.1", "SPARK_AUTHENTICATE_SECRET": "s3cr3t", "HOME": "/app", "DATABASE_URL": "postgres://x",
        ]
        let model = MasterWebUI.environmentPage(settings: settings)
        #expect(model.environmentVariables.map { "\($0.name)=\($0.value)" } == [
            "DYNO=master.1", "SPARK_AUTHENTICATE_SECRET=\(SparkConf.redactionReplacement)", "SPARK_WORKER_CORES=4",
        ])
        settings.conf = SparkConf()
        #expect(MasterWebUI.environmentPage(settings: settings).environmentVariables.isEmpty)
        let html = EnvironmentPage.render(MasterWebUI.environmentPage(settings: settings), pathEndsWithSlash: true)
        #expect(html.contains("None is shown: spark.master.ui.visibleEnvVarPrefixes names the prefixes to show."))
    }

    /// An operator's pattern replaces the default one.
    @Test func theOperatorsPatternDecides() {
        let conf = SparkConf(["spark.redaction.regex": "title", "spark.master.ui.title": "ops", "spark.authenticate.secret": "s"])
        let model = MasterWebUI.environmentPage(settings: MasterService.Settings(host: "h", port: 1, webUiPort: 2, conf: conf))
        // The pattern's own setting names it in its value, so it is hidden too.
        #expect(model.sparkProperties.map(\.value) == ["s", SparkConf.redactionReplacement, SparkConf.redactionReplacement])
    }
}
