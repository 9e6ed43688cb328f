#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird
import Logging
import SparkConfig
import SparkDaemon
import SparkMaster
import SparkModel
import SparkWebUI

/// The master's HTTP endpoints: the pages, `/json`, kill actions and the reverse proxy, all from
/// `SparkWebUI.MasterWebRoutes` (see there for the list), configured from `spark.*` settings.
enum MasterWebUI {
    /// `options`: from `options(settings:restPort:logger:)`.
    static func router(service: MasterService, options: MasterWebOptions) -> Router<MasterRequestContext> {
        MasterWebRoutes.router(source: source(service: service), options: options)
    }

    /// The web UI's URL the master gives workers in `RegisteredWorker` and `MasterChanged` (their
    /// "Back to Master" link), as Spark's `Master.onStart` sets it: with `spark.ui.reverseProxy`
    /// and `spark.ui.reverseProxyUrl`, the proxy's URL with one trailing `/` (a URL with a path
    /// needs it for relative links to resolve under that path); otherwise `bound`, the address
    /// the UI listens at.
    static func advertisedURL(options: MasterWebOptions, bound: String) -> String {
        guard options.reverseProxy, let url = options.reverseProxyURL else { return bound }
        // Spark strips one `/` and adds it back: `/` stays `/`.
        return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/"
    }

    static func source(service: MasterService) -> MasterWebSource {
        MasterWebSource(
            snapshot: { await service.snapshot() },
            now: { MasterService.now() },
            killApplication: { service.killApplication(id: $0) },
            killDriver: { service.killDriver(id: $0) },
            decommissionWorkersOnHosts: { await service.decommissionWorkers(onHosts: $0) })
    }

    /// Spark: `spark.ui.killEnabled`, `spark.ui.reverseProxy`, `spark.ui.reverseProxyUrl`,
    /// `spark.master.ui.title`, `spark.master.ui.historyServerUrl`, the metrics sinks. A
    /// malformed value is logged and the default used, as the web UI must come up with the master.
    static func options(settings: MasterService.Settings, restPort: Int?, logger: Logger) -> MasterWebOptions {
        let conf = settings.conf
        func flag(_ key: String, _ defaultValue: Bool) -> Bool {
            do {
                return try conf.bool(key, default: defaultValue)
            } catch {
                logger.warning("\(error); using \(defaultValue)", metadata: ["master/config-key": "\(key)"])
                return defaultValue
            }
        }
        let restURL = restPort.map { "spark://\(settings.publicHost ?? settings.host):\($0)" }
        let proxyURL = conf["spark.ui.reverseProxyUrl"].flatMap { $0.isEmpty ? nil : $0 }
        var options = MasterWebOptions(
            killEnabled: flag("spark.ui.killEnabled", true), restURL: restURL, reverseProxy: flag("spark.ui.reverseProxy", false),
            reverseProxyURL: proxyURL, zoneName: LocalTimeZone.current().abbreviation, version: settings.release)
        options.metrics = metricsRoutes(settings.metrics, logger: logger)
        options.title = conf["spark.master.ui.title"]
        options.decommission = flag("spark.decommission.enabled", false)
            ? MasterWebOptions.DecommissionAccess(rawValue: (conf["spark.master.ui.decommission.allow.mode"] ?? "LOCAL").uppercased()) ?? .deny
            : nil
        options.historyServerURL = conf["spark.master.ui.historyServerUrl"].flatMap { $0.isEmpty ? nil : $0 }
        options.logDirectory = LogFiles.masterLogDirectory(environment: settings.environment)
        options.environmentPage = { environmentPage(settings: settings) }
        return options
    }

    /// The environment page: the process, then its `spark.*` and metrics settings, redacted by
    /// `spark.redaction.regex` as Spark's page is, then the environment variables whose names start
    /// with one of `spark.master.ui.visibleEnvVarPrefixes` (comma-separated; none by default).
    /// Spark shows those values as they are; this page redacts them by the same pattern, since a
    /// platform's configuration variables (secrets among them) live in the environment.
    static func environmentPage(settings: MasterService.Settings) -> EnvironmentPage.Model {
        let conf = settings.conf
        func properties(_ pairs: [(String, String)]) -> [EnvironmentPage.Property] {
            conf.redacted(pairs.sorted { $0.0 < $1.0 }).map { EnvironmentPage.Property($0.0, $0.1) }
        }
        var runtime: [EnvironmentPage.Property] = [EnvironmentPage.Property("Spark Version", settings.release)]
        var names = utsname()
        if uname(&names) == 0 {
            func field<T>(_ value: T) -> String {
                withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            }
            runtime.append(EnvironmentPage.Property("Operating System", "\(field(names.sysname)) \(field(names.release)) \(field(names.machine))"))
        }
        runtime.append(EnvironmentPage.Property("Process ID", String(getpid())))
        if let executable = Daemon.executablePath() { runtime.append(EnvironmentPage.Property("Executable", executable)) }
        if let directory = Daemon.workingDirectory() { runtime.append(EnvironmentPage.Property("Working Directory", directory)) }
        let prefixes = conf.list("spark.master.ui.visibleEnvVarPrefixes")
        let visible = settings.environment.filter { name, _ in prefixes.contains { name.hasPrefix($0) } }
        return EnvironmentPage.Model(
            runtime: runtime, sparkProperties: properties(conf.settings.map { ($0.key, $0.value) }),
            metricsProperties: properties(settings.metrics.properties.map { ($0.key, $0.value) }),
            environmentVariables: properties(visible.map { ($0.key, $0.value) }), version: settings.release)
    }

    /// The master's and its applications' metric documents, as their instances' sinks say (the
    /// sinks that report by period run beside the web UI; JMX is not provided, and said so).
    static func metricsRoutes(_ metrics: MetricsConfig, logger: Logger) -> [MetricsRoute] {
        if let error = metrics.fileError { logger.error("\(error)") }
        var routes: [MetricsRoute] = []
        func add(_ route: MetricsRoute, of instance: String) {
            if let first = routes.first(where: { $0.path == route.path }) {
                logger.warning("Metrics of the \(instance) instance are not served at \(route.path): the \(first.source) instance's are")
            } else {
                routes.append(route)
            }
        }
        for (instance, source) in [("master", MetricsRoute.Source.master), ("applications", .applications)] {
            let sinks = metrics.sinks(instance: instance)
            if let path = sinks.jsonPath { add(MetricsRoute(path: path, format: .json, source: source), of: instance) }
            if let path = sinks.prometheusPath { add(MetricsRoute(path: path, format: .prometheus, source: source), of: instance) }
            for warning in sinks.warnings(instance: instance) { logger.warning("\(warning)") }
        }
        return routes
    }
}
