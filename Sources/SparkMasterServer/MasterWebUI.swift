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
    static func router(service: MasterService) -> Router<BasicRequestContext> {
        MasterWebRoutes.router(source: source(service: service), options: options(settings: service.settings, logger: service.logger))
    }

    static func source(service: MasterService) -> MasterWebSource {
        MasterWebSource(
            snapshot: { await service.snapshot() },
            now: { MasterService.now() },
            killApplication: { service.killApplication(id: $0) },
            killDriver: { service.killDriver(id: $0) })
    }

    /// Spark: `spark.ui.killEnabled`, `spark.ui.reverseProxy`, `spark.ui.reverseProxyUrl`,
    /// `spark.master.rest.enabled`, `spark.master.rest.port`. A malformed value is logged and the
    /// default used, as the web UI must come up with the master.
    static func options(settings: MasterService.Settings, logger: Logger) -> MasterWebOptions {
        let conf = settings.conf
        func flag(_ key: String, _ defaultValue: Bool) -> Bool {
            do {
                return try conf.bool(key, default: defaultValue)
            } catch {
                logger.warning("\(error); using \(defaultValue)", metadata: ["master/config-key": "\(key)"])
                return defaultValue
            }
        }
        var restURL: String?
        if flag("spark.master.rest.enabled", false) {
            let port = (try? conf.int("spark.master.rest.port", default: 6066)) ?? 6066
            restURL = "spark://\(settings.publicHost ?? settings.host):\(port)"
        }
        let proxyURL = conf["spark.ui.reverseProxyUrl"].flatMap { $0.isEmpty ? nil : $0 }
        return MasterWebOptions(
            killEnabled: flag("spark.ui.killEnabled", true), restURL: restURL, reverseProxy: flag("spark.ui.reverseProxy", false),
            reverseProxyURL: proxyURL, zoneName: LocalTimeZone.current().abbreviation, version: settings.release)
    }
}
