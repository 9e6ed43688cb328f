import Foundation
import Logging
import SparkDaemon
import SparkTestKit
import SparkTransport
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// The worker's file helpers that stand in for Foundation's `FileHandle`, `NSString` paths and
/// directory enumeration (the daemon links FoundationEssentials only).
@Suite struct HostFilesTests {
    private func scratch(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The process's umask, read without changing it (Linux: `Umask:` in /proc/self/status).
    private func currentUmask() -> mode_t {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t($0.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022
    }

    @Test func parentDirectories() {
        let cases: [(String, String)] = [
            ("/work/app-1/0", "/work/app-1"), ("/work/app-1/0/", "/work/app-1"), ("/work", "/"), ("/", "/"),
            ("relative/dir", "relative"), ("name", "."), ("//a//b", "//a"), ("/a//b", "/a"),
        ]
        for (path, parent) in cases {
            #expect(HostEnvironment.parentDirectory(path) == parent, "parent of \(path)")
        }
    }

    @Test func pathsAreMadeAbsoluteByName() throws {
        let cases: [(String, String)] = [
            ("/opt/spark", "/opt/spark"), ("/opt/spark/", "/opt/spark"), ("/opt//spark/./work", "/opt/spark/work"),
            ("/opt/spark/../work", "/opt/work"), ("/..", "/"), ("/", "/"), ("/a/b/c/../../d", "/a/d"),
        ]
        for (path, absolute) in cases {
            #expect(HostEnvironment.absolutePath(path) == absolute, "absolute path of \(path)")
        }
        let directory = try scratch("absolute")
        defer { try? FileManager.default.removeItem(at: directory) }
        let previous = FileManager.default.currentDirectoryPath
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        #expect(FileManager.default.changeCurrentDirectoryPath(directory.path))
        let here = HostEnvironment.currentDirectory()
        #expect(HostEnvironment.resolvingLinks(here) == HostEnvironment.resolvingLinks(directory.path))
        #expect(HostEnvironment.absolutePath("work") == here + "/work")
        #expect(HostEnvironment.absolutePath("./work/../logs/") == here + "/logs")
        #expect(HostEnvironment.absolutePath(".") == here)
        #expect(HostEnvironment.temporaryDirectory(environment: [:]) == "/tmp")
        #expect(HostEnvironment.temporaryDirectory(environment: ["TMPDIR": ""]) == "/tmp")
        #expect(HostEnvironment.temporaryDirectory(environment: ["TMPDIR": "/scratch"]) == "/scratch")
    }

    /// Files under /proc report a size of 0 and are read to their end; a file over the limit is not
    /// read at all rather than cut short.
    @Test func textIsReadToTheEndOfTheFile() throws {
        let status = try #require(HostEnvironment.readText("/proc/self/status"))
        #expect(status.contains("\nPid:\t\(getpid())\n"))
        #expect(HostEnvironment.readText("/proc/self/status", limit: 5) == nil)
        let root = try scratch("read-text")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("spark-defaults.conf").path
        let long = String(repeating: "spark.x 1\n", count: 2_000)
        #expect(HostEnvironment.writeFile(path, long))
        #expect(HostEnvironment.readText(path) == long)
        #expect(HostEnvironment.readText(path, limit: long.utf8.count) == long)
        #expect(HostEnvironment.readText(path, limit: long.utf8.count - 1) == nil)
    }

    @Test func directoriesAreToldFromFilesAndMissingPaths() throws {
        let directory = try scratch("host-files")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("stdout")
        try Data("x".utf8).write(to: file)
        #expect(HostEnvironment.isDirectory(directory.path))
        #expect(!HostEnvironment.isDirectory(file.path))
        #expect(!HostEnvironment.isDirectory(directory.appendingPathComponent("missing").path))
    }

    @Test func readOnlyFileReadsRangesAndStopsAtTheEnd() throws {
        let directory = try scratch("read-only-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stderr").path
        let content = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(content).write(to: URL(fileURLWithPath: path))

        let file = try #require(ReadOnlyFile(path: path))
        #expect(try file.size() == 70_000)
        #expect(try file.read(at: 0, count: 4) == Array(content[0..<4]))
        #expect(try file.read(at: 65_530, count: 10) == Array(content[65_530..<65_540]))
        #expect(try file.read(at: 69_998, count: 10) == Array(content[69_998...]))
        #expect(try file.read(at: 70_000, count: 10).isEmpty)
        #expect(try file.read(at: 5, count: 0).isEmpty)
        #expect(ReadOnlyFile(path: directory.appendingPathComponent("missing").path) == nil)
        // A directory opens, but reading it fails with the system's reason.
        let opened = try #require(ReadOnlyFile(path: directory.path))
        #expect(throws: ReadOnlyFile.Failure.self) { try opened.read(at: 0, count: 1) }
    }

    /// Spark's `WorkDirCleanup`: an application directory goes when nothing in it changed within the
    /// TTL, however deep the newest file is; kept and fresh directories stay.
    @Test func cleanupRemovesOnlyStaleApplicationDirectories() throws {
        let work = try scratch("work-cleanup")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = FileManager.default
        let old = Date(timeIntervalSinceNow: -30 * 86_400)
        func make(_ relative: String, modified: Date) throws {
            let url = work.appendingPathComponent(relative)
            try files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("log".utf8).write(to: url)
            try files.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
        }
        try make("app-stale/0/stderr", modified: old)
        try make("app-deep-new/0/stderr", modified: old)
        try make("app-deep-new/0/jars/new.jar", modified: Date())
        try make("app-running/0/stderr", modified: old)
        for directory in ["app-stale/0", "app-stale", "app-deep-new/0/jars", "app-deep-new/0", "app-deep-new",
                          "app-running/0", "app-running"] {
            try files.setAttributes([.modificationDate: old], ofItemAtPath: work.appendingPathComponent(directory).path)
        }

        WorkDirectories.cleanup(
            WorkDirectoryCleanup(directory: work.path, keep: ["app-running"], appDataTtlSeconds: 7 * 86_400),
            now: Date(), logger: Logger(label: "test"))
        let left = try files.contentsOfDirectory(atPath: work.path).sorted()
        #expect(left == ["app-deep-new", "app-running"])
    }

    @Test func directoriesAreMadeWithParentsModesAndExclusivity() throws {
        let root = try scratch("make-directory")
        defer { try? FileManager.default.removeItem(at: root) }
        let scratchRoot = root.appendingPathComponent("a/b/spark-1").path
        #expect(HostEnvironment.makeDirectory(scratchRoot, mode: 0o700, intermediates: true) == 0)
        #expect(HostEnvironment.isDirectory(scratchRoot))
        var info = stat()
        #expect(stat(scratchRoot, &info) == 0 && info.st_mode & 0o777 == 0o700)
        // Parents get the default mode less the umask, as `mkdirs` gives them in Spark.
        #expect(stat(root.appendingPathComponent("a/b").path, &info) == 0 && info.st_mode & 0o777 == 0o777 & ~currentUmask())
        // Existing: fine unless exclusive; without parents a missing parent is the error.
        #expect(HostEnvironment.makeDirectory(scratchRoot, intermediates: true) == 0)
        #expect(HostEnvironment.makeDirectory(scratchRoot, intermediates: false, exclusive: true) == EEXIST)
        #expect(HostEnvironment.makeDirectory(root.appendingPathComponent("x/y").path, intermediates: false) == ENOENT)
        // A file in the way is not a directory.
        let file = root.appendingPathComponent("file").path
        #expect(HostEnvironment.writeFile(file, "x"))
        #expect(HostEnvironment.makeDirectory(file, intermediates: true) == EEXIST)
        // Below it, the step that fails is making the file's path a directory.
        #expect(HostEnvironment.makeDirectory(file + "/below", intermediates: true) == EEXIST)
        #expect(HostEnvironment.makeDirectory(file + "/below", intermediates: false) == ENOTDIR)
    }

    @Test func filesAreWrittenTruncatedAndStatted() throws {
        let root = try scratch("write-file")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("stderr").path
        let long = String(repeating: "a", count: 200_000)
        #expect(HostEnvironment.writeFile(path, long))
        #expect(HostEnvironment.status(path)?.size == 200_000)
        #expect(HostEnvironment.writeFile(path, "header\n"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("header\n".utf8))
        #expect(HostEnvironment.writeFile(path, ""))
        #expect(HostEnvironment.status(path)?.size == 0)
        #expect(!HostEnvironment.writeFile(root.appendingPathComponent("missing/stdout").path, "x"))
        #expect(HostEnvironment.readText(path) == "")
        #expect(HostEnvironment.writeFile(path, "JAVA_VERSION=\"17.0.15\"\n"))
        #expect(HostEnvironment.readText(path) == "JAVA_VERSION=\"17.0.15\"\n")
        #expect(HostEnvironment.readText(path, limit: 4) == nil)
        #expect(HostEnvironment.readText(root.path) == nil)
        #expect(HostEnvironment.readText(root.appendingPathComponent("missing").path) == nil)
        #expect(HostEnvironment.writeFile(root.appendingPathComponent("stdout").path, ""))
        #expect(Daemon.directoryEntries(root.path)?.sorted() == ["stderr", "stdout"])
        #expect(Daemon.directoryEntries(root.appendingPathComponent("missing").path) == nil)
        #expect(Daemon.directoryEntries(path) == nil)

        let then = Date(timeIntervalSince1970: 1_700_000_000.25)
        try FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: path)
        let modified = try #require(HostEnvironment.status(path)?.modified)
        #expect(abs(modified - 1_700_000_000.25) < 0.001)
        #expect(HostEnvironment.status(root.appendingPathComponent("missing").path) == nil)
    }

    @Test func linksAreResolved() throws {
        let root = try scratch("resolve-links")
        defer { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent("jdk/bin/java").path
        try FileManager.default.createDirectory(atPath: HostEnvironment.parentDirectory(target), withIntermediateDirectories: true)
        #expect(HostEnvironment.writeFile(target, "#!"))
        let link1 = root.appendingPathComponent("alternatives-java").path
        let link2 = root.appendingPathComponent("java").path
        try FileManager.default.createSymbolicLink(atPath: link1, withDestinationPath: target)
        try FileManager.default.createSymbolicLink(atPath: link2, withDestinationPath: link1)
        let resolvedTarget = HostEnvironment.resolvingLinks(target)
        #expect(resolvedTarget.hasSuffix("/jdk/bin/java"))
        #expect(HostEnvironment.resolvingLinks(link2) == resolvedTarget)
        let missing = root.appendingPathComponent("nothing").path
        #expect(HostEnvironment.resolvingLinks(missing) == missing)
    }

    /// Spark's launch: scratch root and app directory (mode 700), the executor directory (reused when
    /// a finished executor of the same id left it, as in Spark 4, its `stdout` kept for the next
    /// executor's output to follow), the resources file, `stdout` and `stderr` holding the command header.
    @Test func launchDirectoriesAndLogFiles() throws {
        let root = try scratch("launch-files")
        defer { try? FileManager.default.removeItem(at: root) }
        let scratchRoot = root.appendingPathComponent("tmp/spark-1").path
        let appLocal = scratchRoot + "/executor-2"
        let executorDirectory = root.appendingPathComponent("work/app-1/0").path
        let launch = ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: 0), argv: ["java"], environment: [],
            workingDirectory: executorDirectory, stdoutPath: executorDirectory + "/stdout",
            stderrPath: executorDirectory + "/stderr", stderrHeader: "Spark Executor Command: \"java\"\n====\n\n",
            directoriesToCreate: [scratchRoot, appLocal], appLocalDirectories: [appLocal],
            resourcesFile: ResourcesFile(path: executorDirectory + "/resources.json", contents: "[]"))
        #expect(try WorkDirectories.prepare(launch, logger: Logger(label: "test")) == launch)
        var info = stat()
        #expect(stat(appLocal, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(try String(contentsOfFile: launch.stderrPath, encoding: .utf8) == launch.stderrHeader)
        #expect(HostEnvironment.status(launch.stdoutPath)?.size == 0)
        #expect(try String(contentsOfFile: executorDirectory + "/resources.json", encoding: .utf8) == "[]")
        // The same executor directory again (a master that took over numbers executors from the ones it
        // recovered) is reused, as Spark 4's `Files.createDirectories` reuses it; a file in its place is not.
        #expect(HostEnvironment.writeFile(launch.stdoutPath, "the first executor's output\n"))
        #expect(HostEnvironment.writeFile(launch.stderrPath, "the first executor's errors\n"))
        _ = try WorkDirectories.prepare(launch, logger: Logger(label: "test"))
        #expect(try String(contentsOfFile: launch.stdoutPath, encoding: .utf8) == "the first executor's output\n")
        #expect(try String(contentsOfFile: launch.stderrPath, encoding: .utf8) == launch.stderrHeader)
        var clashing = launch
        clashing.workingDirectory = root.appendingPathComponent("work/app-1/file").path
        #expect(HostEnvironment.writeFile(clashing.workingDirectory, "x"))
        let clash = try #require(throws: ChildProcessFailure.self) { try WorkDirectories.prepare(clashing, logger: Logger(label: "test")) }
        #expect(clash.message == "java.io.IOException: Failed to create directory \(clashing.workingDirectory)")
        // What fails once the directory exists is reported as Spark's ExecutorRunner reports it.
        var unwritable = launch
        unwritable.resourcesFile = ResourcesFile(path: executorDirectory + "/missing/resources.json", contents: "[]")
        let runFailure = try #require(throws: ChildProcessFailure.self) { try WorkDirectories.prepare(unwritable, logger: Logger(label: "test")) }
        #expect(runFailure.message == "Error running executor: java.io.IOException: Cannot write \(executorDirectory)/missing/resources.json")

        // No scratch root can be made (a file is in the way): the launch fails naming the roots.
        let blocked = root.appendingPathComponent("blocked").path
        #expect(HostEnvironment.writeFile(blocked, "x"))
        var second = launch
        second.workingDirectory = root.appendingPathComponent("work/app-1/1").path
        second.directoriesToCreate = [blocked + "/spark-2"]
        second.appLocalDirectories = [blocked + "/spark-2/executor-3"]
        let failure = try #require(throws: ChildProcessFailure.self) { try WorkDirectories.prepare(second, logger: Logger(label: "test")) }
        #expect(failure.message == "java.io.IOException: No subfolder can be created in \(blocked)/spark-2.")
    }

    /// Scratch directories that cannot be made are logged and left out of `SPARK_EXECUTOR_DIRS`, as
    /// Spark leaves them out; the launch goes on with the others.
    @Test func scratchDirectoriesThatCannotBeMadeAreLeftOut() throws {
        let root = try scratch("launch-scratch")
        defer { try? FileManager.default.removeItem(at: root) }
        let blocked = root.appendingPathComponent("blocked").path  // a file: nothing can be made under it
        #expect(HostEnvironment.writeFile(blocked, "x"))
        // A root that exists, with a file where the application's directory would go.
        let taken = root.appendingPathComponent("taken/spark-3").path
        try FileManager.default.createDirectory(atPath: taken, withIntermediateDirectories: true)
        #expect(HostEnvironment.writeFile(taken + "/executor-3", "x"))
        let good = root.appendingPathComponent("tmp/spark-1").path
        let directories = [good + "/executor-1", blocked + "/spark-2/executor-2", taken + "/executor-3"]
        let executorDirectory = root.appendingPathComponent("work/app-1/0").path
        let launch = ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: 0), argv: ["java"],
            environment: [EnvironmentVariable("SPARK_HOME", "/spark"), EnvironmentVariable("SPARK_EXECUTOR_DIRS", directories.joined(separator: ":"))],
            workingDirectory: executorDirectory, stdoutPath: executorDirectory + "/stdout", stderrPath: executorDirectory + "/stderr",
            stderrHeader: "", directoriesToCreate: [good, blocked + "/spark-2"] + directories, appLocalDirectories: directories,
            resourcesFile: nil)
        let log = LogRecorder()
        let prepared = try WorkDirectories.prepare(launch, logger: log.logger(label: "worker"))
        #expect(prepared.appLocalDirectories == [good + "/executor-1"])
        #expect(prepared.environment == [EnvironmentVariable("SPARK_HOME", "/spark"), EnvironmentVariable("SPARK_EXECUTOR_DIRS", good + "/executor-1")])
        #expect(log.entries.map { "\($0.level) \($0.message)" } == [
            "error Failed to create dir in \(blocked). Ignoring this directory.",
            "warning Failed to create a temp directory (under \(taken)) after 10 attempts!. Ignoring this directory.",
        ])
        #expect(HostEnvironment.isDirectory(good + "/executor-1"))

        // A later executor of the application: its directories exist, nothing is logged, the same are kept.
        let later = ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: 1), argv: ["java"], environment: launch.environment,
            workingDirectory: root.appendingPathComponent("work/app-1/1").path, stdoutPath: root.appendingPathComponent("work/app-1/1/stdout").path,
            stderrPath: root.appendingPathComponent("work/app-1/1/stderr").path, stderrHeader: "", directoriesToCreate: [],
            appLocalDirectories: directories, resourcesFile: nil)
        #expect(try WorkDirectories.prepare(later, logger: log.logger(label: "worker")).appLocalDirectories == [good + "/executor-1"])
        #expect(log.entries.count == 2)
    }
}
