// space-proxy: the `web` process. Reads the environment, runs the proxy until SIGTERM/SIGINT.
import Foundation
import Logging
import ServiceLifecycle
import SpaceProxy
import SparkDaemon

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = ProcessInfo.processInfo.environment["SPACE_PROXY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return handler
}
let logger = Logger(label: "space-proxy")
Daemon.raiseOpenFileLimit(logger: logger)

let configuration: SpaceProxyConfiguration
do {
    configuration = try SpaceProxyConfiguration(environment: ProcessInfo.processInfo.environment)
} catch {
    logger.critical("refusing to start: \(error)")
    exit(78)  // EX_CONFIG
}

var groupConfiguration = ServiceGroupConfiguration(
    services: [.init(service: SpaceProxyService(configuration: configuration, logger: logger))],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger)
// Heroku sends SIGKILL 30 s after SIGTERM: let requests in flight finish within 25 s, then cancel them.
groupConfiguration.maximumGracefulShutdownDuration = .seconds(25)
let group = ServiceGroup(configuration: groupConfiguration)
do {
    try await group.run()
} catch {
    logger.critical("stopped with an error: \(error)")
    exit(1)
}
