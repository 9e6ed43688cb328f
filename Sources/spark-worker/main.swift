// spark-worker [options] <master URLs>: the standalone Worker daemon, command-line compatible
// with Spark's `org.apache.spark.deploy.worker.Worker`.
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
import SparkWorkerServer

let environment = ProcessInfo.processInfo.environment
let level = SparkLogHandler.level(environment: environment)
LoggingSystem.bootstrap { SparkLogHandler(label: $0, level: level) }
let logger = Logger(label: "Worker")
Daemon.raiseOpenFileLimit(logger: logger)

let options: WorkerOptions
do {
    options = try WorkerOptions.resolve(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
} catch {
    if error.code == .help {
        print(WorkerArguments.usage)
    } else if error.code == .usage {
        Daemon.writeStandardError("\(error.message)\n\(WorkerArguments.usage)\n")
    } else {
        // A bad configuration value or properties file: the command line itself was fine.
        Daemon.writeStandardError("spark-worker: \(error.message)\n")
    }
    exit(error.exitCode)
}

logger.info("Started daemon with process name: \(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)")
let worker = WorkerService(options: options, logger: logger)
Daemon.logReceivedSignals(logger: logger)
let group = ServiceGroup(configuration: .init(
    // HUP too, as a JVM runs its shutdown hooks on it, unless started ignoring it or it decommissions the worker.
    services: [worker],
    gracefulShutdownSignals: Daemon.stopsOnHangUp
        && !(options.settings.decommissionEnabled && options.settings.decommissionSignal.uppercased().hasSuffix("HUP"))
        ? [.sigterm, .sigint, .sighup] : [.sigterm, .sigint],
    logger: Logger(label: "ServiceGroup")))
Daemon.run { [group, logger] in
    do {
        try await group.run()
    } catch let failure as WorkerExit {
        return failure.code
    } catch {
        logger.error("Worker failed: \(error)")
        return 1
    }
    return 0
}
