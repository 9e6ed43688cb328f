#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import SparkDaemon
import SparkMasterServer

// spark-master: Spark's standalone Master, same command line and environment.
let environment = ProcessInfo.processInfo.environment
// Lines as Spark's daemons print them (`2026-11-26 01:30:12.361 INFO Master: ...`), like the worker's.
let level = SparkLogHandler.level(environment: environment)
LoggingSystem.bootstrap { SparkLogHandler(label: $0, level: level) }
let logger = Logger(label: "Master")
Daemon.raiseOpenFileLimit(logger: logger)

let arguments: MasterArguments
do {
    arguments = try MasterArguments(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
} catch let error as MasterArguments.UsageError {
    Daemon.writeStandardError(error.description + "\n")
    exit(error.message.isEmpty ? 0 : 1)
} catch {
    Daemon.writeStandardError("spark-master: \(error)\n")
    exit(1)
}

let settings: MasterService.Settings
do {
    settings = try MasterService.Settings(arguments: arguments, environment: environment)
} catch {
    Daemon.writeStandardError("spark-master: \(error)\n")
    exit(1)
}
let service = MasterService(settings: settings, logger: logger)
Daemon.logReceivedSignals(logger: logger)
let group = ServiceGroup(configuration: .init(
    services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
    // HUP too, as a JVM runs its shutdown hooks on it, unless started ignoring it (nohup).
    gracefulShutdownSignals: Daemon.stopsOnHangUp ? [.sigterm, .sigint, .sighup] : [.sigterm, .sigint],
    logger: logger))
Daemon.run { [group, service, logger] in
    do {
        try await group.run()
    } catch {
        logger.error("spark-master failed: \(error)")
        return 1
    }
    return service.exitCode
}
