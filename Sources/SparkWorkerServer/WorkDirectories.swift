#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import SparkWorker

/// File system work of the worker: executor directories, scratch directories, cleanup.
enum WorkDirectories {
    /// Creates what a launch needs: scratch directories (mode 700), the executor directory (reused
    /// when a finished executor of the same id left it, as Spark 4's `Files.createDirectories` does:
    /// a master that took over numbers executors again from the ones it recovered), the resources
    /// file, `stdout` and `stderr` with its header.
    // Spark: Worker.receive(LaunchExecutor) and ExecutorRunner.fetchAndRunExecutor.
    static func prepare(_ launch: ExecutorLaunch) throws(ChildProcessFailure) {
        for directory in launch.directoriesToCreate {
            // Spark skips scratch roots it cannot create; the launch fails only when none is left.
            HostEnvironment.makeDirectory(directory, mode: 0o700, intermediates: true)
        }
        if !launch.directoriesToCreate.isEmpty,
           !launch.appLocalDirectories.contains(where: HostEnvironment.isDirectory) {
            let roots = launch.appLocalDirectories.map { HostEnvironment.parentDirectory($0) }
            throw ChildProcessFailure("java.io.IOException: No subfolder can be created in \(roots.joined(separator: ",")).")
        }
        let executorDirectory = launch.workingDirectory
        let appDirectory = HostEnvironment.parentDirectory(executorDirectory)
        guard HostEnvironment.makeDirectory(appDirectory, intermediates: true) == 0,
              HostEnvironment.makeDirectory(executorDirectory, intermediates: false) == 0
        else {
            throw ChildProcessFailure("java.io.IOException: Failed to create directory \(executorDirectory)")
        }
        if let resources = launch.resourcesFile {
            guard HostEnvironment.writeFile(resources.path, resources.contents) else {
                throw ChildProcessFailure(runFailure("java.io.IOException: Cannot write \(resources.path)"))
            }
        }
        guard HostEnvironment.writeFile(launch.stdoutPath, ""),
              HostEnvironment.writeFile(launch.stderrPath, launch.stderrHeader)
        else {
            throw ChildProcessFailure(runFailure("java.io.IOException: Cannot create the log files in \(executorDirectory)"))
        }
    }

    /// How Spark reports what fails once the executor's directories exist (the resources file, the
    /// log files, starting the process): `ExecutorRunner`'s `Error running executor: <exception>`.
    static func runFailure(_ message: String) -> String { "Error running executor: \(message)" }

    /// Deletes each path recursively; failures are logged.
    static func delete(_ paths: [String], logger: Logger) {
        for path in paths {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                if FileManager.default.fileExists(atPath: path) {
                    logger.error("Failed to delete \(path): \(error)")
                }
            }
        }
    }

    /// Deletes stale application directories (Spark: `Worker.receive(WorkDirCleanup)`).
    static func cleanup(_ cleanup: WorkDirectoryCleanup, now: Date, logger: Logger) {
        let files = FileManager.default
        guard let names = try? files.contentsOfDirectory(atPath: cleanup.directory) else {
            logger.error("App dir cleanup failed: cannot list \(cleanup.directory)")
            return
        }
        let cutoff = now.addingTimeInterval(-cleanup.appDataTtlSeconds)
        for name in names.sorted() where !cleanup.keep.contains(name) {
            let path = cleanup.directory + "/" + name
            guard HostEnvironment.isDirectory(path), !containsNewFiles(path, since: cutoff) else { continue }
            logger.info("Removing directory: \(path)")
            delete([path], logger: logger)
        }
    }

    /// Whether the directory or anything below it was modified after `cutoff`
    /// (Spark: `Utils.doesDirectoryContainAnyNewFiles`).
    static func containsNewFiles(_ path: String, since cutoff: Date) -> Bool {
        let limit = cutoff.timeIntervalSince1970
        func modified(_ path: String) -> Bool {
            guard let status = HostEnvironment.status(path) else { return false }
            return status.modified > limit
        }
        if modified(path) { return true }
        guard let below = try? FileManager.default.subpathsOfDirectory(atPath: path) else { return false }
        return below.contains { modified(path + "/" + $0) }
    }
}
