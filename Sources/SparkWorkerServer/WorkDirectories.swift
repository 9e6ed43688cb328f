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
    /// file, `stdout` (kept when it exists: the executor's output is appended, as Spark's appender
    /// does) and `stderr` with its header. Returns the launch with the scratch directories that
    /// exist; those that could not be created are logged and left out, as Spark leaves them out.
    // Spark: Worker.receive(LaunchExecutor), Utils.getOrCreateLocalRootDirs and
    // ExecutorRunner.fetchAndRunExecutor.
    static func prepare(_ launch: ExecutorLaunch, logger: Logger) throws(ChildProcessFailure) -> ExecutorLaunch {
        let appLocalDirectories = Set(launch.appLocalDirectories)
        for directory in launch.directoriesToCreate
        where HostEnvironment.makeDirectory(directory, mode: 0o700, intermediates: true) != 0 {
            let parent = HostEnvironment.parentDirectory(directory)
            if !appLocalDirectories.contains(directory) {
                // A scratch root, `spark-<uuid>` under a configured directory.
                logger.error(HostEnvironment.isDirectory(parent)
                    ? "Failed to create local root dir in \(parent). Ignoring this directory."
                    : "Failed to create dir in \(parent). Ignoring this directory.")
            } else if HostEnvironment.isDirectory(parent) {
                // An application's directory under a root that exists (one that does not was logged above).
                logger.warning("Failed to create a temp directory (under \(parent)) after 10 attempts!. Ignoring this directory.")
            }
        }
        let usable = launch.appLocalDirectories.filter(HostEnvironment.isDirectory)
        if usable.isEmpty, !launch.directoriesToCreate.isEmpty {
            let roots = launch.appLocalDirectories.map { HostEnvironment.parentDirectory($0) }
            throw ChildProcessFailure("java.io.IOException: No subfolder can be created in \(roots.joined(separator: ",")).")
        }
        // A later executor of the application gets what its first one got.
        let launch = usable.isEmpty || usable == launch.appLocalDirectories ? launch : launch.keeping(appLocalDirectories: usable)
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
        guard HostEnvironment.createFile(launch.stdoutPath),
              HostEnvironment.writeFile(launch.stderrPath, launch.stderrHeader)
        else {
            throw ChildProcessFailure(runFailure("java.io.IOException: Cannot create the log files in \(executorDirectory)"))
        }
        return launch
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
