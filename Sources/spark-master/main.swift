#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Glibc
import Logging
import ServiceLifecycle
import SparkMasterServer

// spark-master: Spark's standalone Master, same command line and environment.
let environment = ProcessInfo.processInfo.environment
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = Logger.Level(rawValue: environment["SPARK_LOG_LEVEL"]?.lowercased() ?? "info") ?? .info
    return handler
}
let logger = Logger(label: "spark.master")

let arguments: MasterArguments
do {
    arguments = try MasterArguments(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
} catch let error as MasterArguments.UsageError {
    writeStandardError(error.description + "\n")
    exit(error.message.isEmpty ? 0 : 1)
} catch {
    writeStandardError("spark-master: \(error)\n")
    exit(1)
}

let service = MasterService(settings: .init(arguments: arguments, environment: environment), logger: logger)
let group = ServiceGroup(configuration: .init(
    services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger))
Task.detached { [group, service, logger] in
    do {
        try await group.run()
    } catch {
        logger.error("spark-master failed: \(error)")
        exit(1)
    }
    exit(service.exitCode)
}
waitForExit()

/// Usage and start-up failures, before logging is set up.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// The services run on the concurrency pool (a detached task: top-level code is on the main actor,
/// whose queue this thread never serves); the main thread only waits for `exit`. (An asynchronous
/// main would leave this thread through `dispatch_main`, whose `pthread_exit` unwinds its stack and maps
/// the unwind tables: most of a megabyte of resident memory for nothing.)
func waitForExit() -> Never {
    let never = DispatchSemaphore(value: 0)
    while true { never.wait() }
}
