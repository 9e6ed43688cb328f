// spark-worker [options] <master URLs>: the standalone Worker daemon, command-line compatible
// with Spark's `org.apache.spark.deploy.worker.Worker`.
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Glibc
import Logging
import ServiceLifecycle
import SparkWorkerServer

LoggingSystem.bootstrap { SparkLogHandler(label: $0) }
let logger = Logger(label: "Worker")
let environment = ProcessInfo.processInfo.environment

let options: WorkerOptions
do {
    options = try WorkerOptions.resolve(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment)
} catch {
    if error.code == .help {
        print(WorkerArguments.usage)
    } else {
        writeStandardError("\(error.message)\n\(WorkerArguments.usage)\n")
    }
    exit(error.exitCode)
}

logger.info("Started daemon with process name: \(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)")
let worker = WorkerService(options: options, logger: logger)
let group = ServiceGroup(configuration: .init(
    services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "ServiceGroup")))
Task.detached { [group, logger] in
    do {
        try await group.run()
    } catch let failure as WorkerExit {
        exit(failure.code)
    } catch {
        logger.error("Worker failed: \(error)")
        exit(1)
    }
    exit(0)
}
waitForExit()

/// Usage and start-up failures, before logging is set up.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// The services run on the concurrency pool (a detached task: top-level code is on the main actor,
/// whose queue this thread never serves); the main thread only waits for `exit` (see spark-master's
/// main: leaving it through `dispatch_main` would unwind its stack and map the unwind tables).
func waitForExit() -> Never {
    let never = DispatchSemaphore(value: 0)
    while true { never.wait() }
}
