import Foundation

/// Runs real Spark applications (`spark-shell`, `spark-submit`) against a cluster for tests.
public enum SparkApplications {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `bin/spark-shell` with `script` on its standard input; kills it after `timeout`.
    public static func sparkShell(
        sparkHome: URL, master: String, script: String, conf: [String: String] = [:], timeout: Duration = .seconds(240),
        workDirectory: URL
    ) async throws -> Result {
        var arguments = ["--master", master, "--driver-memory", "512m", "--conf", "spark.ui.enabled=false"]
        for (key, value) in conf.sorted(by: { $0.key < $1.key }) { arguments += ["--conf", "\(key)=\(value)"] }
        return try await run(
            executable: sparkHome.appendingPathComponent("bin/spark-shell"), arguments: arguments, stdin: script,
            sparkHome: sparkHome, timeout: timeout, workDirectory: workDirectory, name: "spark-shell")
    }

    /// Runs `bin/spark-submit` with a Python application file.
    public static func sparkSubmitPython(
        sparkHome: URL, master: String, program: String, conf: [String: String] = [:], timeout: Duration = .seconds(240),
        workDirectory: URL
    ) async throws -> Result {
        let file = workDirectory.appendingPathComponent("app-\(UUID().uuidString.prefix(6)).py")
        try program.write(to: file, atomically: true, encoding: .utf8)
        var arguments = ["--master", master, "--driver-memory", "512m", "--conf", "spark.ui.enabled=false"]
        for (key, value) in conf.sorted(by: { $0.key < $1.key }) { arguments += ["--conf", "\(key)=\(value)"] }
        arguments.append(file.path)
        return try await run(
            executable: sparkHome.appendingPathComponent("bin/spark-submit"), arguments: arguments, stdin: nil,
            sparkHome: sparkHome, timeout: timeout, workDirectory: workDirectory, name: "spark-submit")
    }

    /// Runs `bin/spark-submit --master <master>` with `arguments` (options, then the application).
    public static func sparkSubmit(
        sparkHome: URL, master: String, arguments: [String], timeout: Duration = .seconds(240), workDirectory: URL
    ) async throws -> Result {
        try await run(
            executable: sparkHome.appendingPathComponent("bin/spark-submit"), arguments: ["--master", master] + arguments,
            stdin: nil, sparkHome: sparkHome, timeout: timeout, workDirectory: workDirectory, name: "spark-submit")
    }

    /// Runs `bin/spark-class <class> <arguments>` (e.g. the legacy submission client
    /// `org.apache.spark.deploy.Client kill <master> <driver id>`).
    public static func sparkClass(
        sparkHome: URL, className: String, arguments: [String], timeout: Duration = .seconds(120), workDirectory: URL
    ) async throws -> Result {
        try await run(
            executable: sparkHome.appendingPathComponent("bin/spark-class"), arguments: [className] + arguments,
            stdin: nil, sparkHome: sparkHome, timeout: timeout, workDirectory: workDirectory, name: "spark-class")
    }

    /// A jar with one Java class compiled against Spark's jars (`javac` and `jar` from the JDK).
    public static func javaApplicationJar(className: String, source: String, sparkHome: URL, in directory: URL) throws -> URL {
        let sources = directory.appendingPathComponent("\(className)-src")
        let classes = directory.appendingPathComponent("\(className)-classes")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: classes, withIntermediateDirectories: true)
        let file = sources.appendingPathComponent("\(className).java")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let classPath = sparkHome.appendingPathComponent("jars").path + "/*"
        let compile = try runCommand("/usr/bin/env", ["javac", "-nowarn", "-cp", classPath, "-d", classes.path, file.path])
        guard compile.status == 0 else { throw ChildProcessError(message: "javac failed:\n\(compile.output)") }
        let jar = directory.appendingPathComponent("\(className).jar")
        let archive = try runCommand("/usr/bin/env", ["jar", "cf", jar.path, "-C", classes.path, "."])
        guard archive.status == 0 else { throw ChildProcessError(message: "jar failed:\n\(archive.output)") }
        return jar
    }

    private static func run(
        executable: URL, arguments: [String], stdin: String?, sparkHome: URL, timeout: Duration, workDirectory: URL,
        name: String
    ) async throws -> Result {
        let tag = UUID().uuidString.prefix(6)
        let outFile = workDirectory.appendingPathComponent("\(name)-\(tag).out")
        let errFile = workDirectory.appendingPathComponent("\(name)-\(tag).err")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let process = Process()
        // The child leads its own process group: the launcher script and its JVM stop together.
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SPARK_HOME"] = sparkHome.path
        environment["SPARK_LOCAL_IP"] = "127.0.0.1"
        environment["SPARK_LOCAL_HOSTNAME"] = "127.0.0.1"
        environment["SPARK_CONF_DIR"] = sparkHome.appendingPathComponent("conf-absent").path
        environment["PYSPARK_PYTHON"] = environment["PYSPARK_PYTHON"] ?? "python3"
        process.environment = environment
        process.currentDirectoryURL = workDirectory
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        if let stdin {
            let inFile = workDirectory.appendingPathComponent("\(name)-\(tag).in")
            try stdin.write(to: inFile, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: inFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let group = -process.processIdentifier
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
        }
        if process.isRunning {
            kill(group, SIGKILL)
            process.waitUntilExit()
            let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
            throw ChildProcessError(message: "\(name) did not finish within \(timeout):\n\(err.suffix(4000))")
        }
        kill(group, SIGKILL)  // Nothing of it outlives the run.
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }
}

/// Processes on this machine whose command line contains `marker`, for checking that no executor
/// JVM outlives its application (read from /proc; never used to kill anything).
public func processIds(commandLineContaining marker: String) -> [Int32] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry in
        guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
        let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return commandLine.contains(marker) ? pid : nil
    }
}
