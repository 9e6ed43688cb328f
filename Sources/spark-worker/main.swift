// spark-worker [options] <master URLs>: the standalone Worker daemon, command-line compatible
// with Spark's `org.apache.spark.deploy.worker.Worker`.
import Foundation
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
        FileHandle.standardError.write(Data("\(error.message)\n\(WorkerArguments.usage)\n".utf8))
    }
    exit(error.exitCode)
}

logger.info("Started daemon with process name: \(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)")
let worker = WorkerService(options: options, logger: logger)
let group = ServiceGroup(configuration: .init(
    services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "ServiceGroup")))
do {
    try await group.run()
} catch let failure as WorkerExit {
    exit(failure.code)
} catch {
    logger.error("Worker failed: \(error)")
    exit(1)
}
