/// The master's environment page (`GET /environment/`; Spark: `master.ui.EnvironmentPage`): how the
/// process runs, and the settings it runs with, secrets redacted.
///
/// Spark's page also lists the JVM's system properties, Hadoop's configuration and the class
/// path; this master has none of them. Its metrics configuration is listed as it is in effect
/// (the JVM master's page leaves that table empty). Environment variables are listed only under
/// the prefixes the operator names (`spark.master.ui.visibleEnvVarPrefixes`), as in Spark.
public enum EnvironmentPage {
    public struct Property: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Model: Sendable, Equatable {
        /// The process: operating system, process id, executable, working directory.
        public var runtime: [Property]
        /// The `spark.*` settings, sorted, redacted.
        public var sparkProperties: [Property]
        /// The metrics system's properties, sorted, redacted.
        public var metricsProperties: [Property]
        /// The environment variables under the visible prefixes, sorted, redacted.
        public var environmentVariables: [Property]
        public var version: String?

        public init(
            runtime: [Property], sparkProperties: [Property], metricsProperties: [Property], environmentVariables: [Property] = [],
            version: String? = nil
        ) {
            self.runtime = runtime
            self.sparkProperties = sparkProperties
            self.metricsProperties = metricsProperties
            self.environmentVariables = environmentVariables
            self.version = version
        }
    }

    /// The page as HTML; `pathEndsWithSlash`: the page was asked for as `environment/`, so the
    /// way back to the master climbs one level.
    public static func render(_ model: Model, pathEndsWithSlash: Bool) -> String {
        func table(_ properties: [Property], empty: String) -> Markup {
            WebPage.table(
                [.init("Name"), .init("Value", .wide)], rows: properties.map { [.text($0.name), .text($0.value)] }, empty: empty)
        }
        var content = Markup.empty
        content += WebPage.section("Runtime Information", id: "runtime", table(model.runtime, empty: "Nothing is known of the runtime."))
        content += WebPage.section(
            "Spark Properties", count: model.sparkProperties.count, id: "spark-properties",
            table(model.sparkProperties, empty: "No spark.* settings are set."))
        content += WebPage.section(
            "Metrics Properties", count: model.metricsProperties.count, id: "metrics-properties",
            table(model.metricsProperties, empty: "No metrics properties are set."))
        content += WebPage.section(
            "Environment Variables", count: model.environmentVariables.count, id: "environment-variables",
            table(model.environmentVariables, empty: "None is shown: spark.master.ui.visibleEnvVarPrefixes names the prefixes to show."))
        return WebPage.document(
            title: "Environment", heading: "Environment",
            navigation: [WebPage.link("Back to Master", href: pathEndsWithSlash ? "../" : "./")],
            content: content, footer: model.version.map { "Spark \($0) standalone master" })
    }
}
