#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Logging
import SparkConfig
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
        return options
    }

    /// The master's and its applications' metric documents, as their instances' sinks say; sinks
    /// that push metrics elsewhere (Graphite, JMX, …) are not provided, and said so.
    static func metricsRoutes(_ metrics: MetricsConfig, logger: Logger) -> [MetricsRoute] {
        if let problem = metrics.fileProblem { logger.error("Error loading configuration file: \(problem)") }
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
            for sink in sinks.unsupported {
                logger.warning("Metrics sink \(sink) of the \(instance) instance is not provided; only MetricsServlet and PrometheusServlet are served")
            }
        }
        return routes
    }
}
