import ArgumentParser
import Foundation
import SpaceConfig

/// `spark-space master-url`: the space's master URL(s) from DNS discovery.
struct MasterURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master-url", abstract: "Print the master URL built from HEROKU_DNS_APP_NAME and SPARK_MASTERS.")

    func run() throws {
        print(try SpaceEnvironment(ProcessInfo.processInfo.environment).masterURL())
    }
}

/// `spark-space render-config`: writes spark-defaults.conf from config vars.
struct RenderConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-config",
        abstract: "Write spark-defaults.conf from the app's config vars (memory, cores, S3, reverse proxy, ZooKeeper).")

    @Option(help: "Where to write (default: $SPARK_CONF_DIR/spark-defaults.conf, else $SPARK_HOME/conf/spark-defaults.conf; - for stdout).")
    var output: String?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let text = try SparkDefaults.forDistribution(environment: environment).render()
        let path = output ?? SparkConfLocation.defaultsFile(environment: environment)
        if path == "-" {
            print(text, terminator: "")
            return
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        FileHandle.standardError.write(Data("spark-space: wrote \(path)\n".utf8))
    }
}

/// `spark-space shell` / `submit`: Spark's own launchers with the space's master URL and config.
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "Run Spark's spark-shell against the space's masters.")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for spark-shell.")
    var arguments: [String] = []

    func run() throws {
        try SparkLauncher.exec("spark-shell", arguments: arguments)
    }
}

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Run Spark's spark-submit against the space's masters.")

    @Argument(parsing: .captureForPassthrough, help: "Arguments for spark-submit.")
    var arguments: [String] = []

    func run() throws {
        try SparkLauncher.exec("spark-submit", arguments: arguments)
    }
}

/// `spark-space console`: an idle process to `heroku run:inside` into.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Stay idle until stopped (the console dyno for run:inside).")

    func run() async throws {
        print("console: idle; use `heroku run:inside console.1 bash` to get a shell")
        // Ends on SIGTERM (the default action); sleeps in bounded steps meanwhile.
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
    }
}

enum SparkConfLocation {
    static func defaultsFile(environment: [String: String]) -> String {
        if let directory = environment["SPARK_CONF_DIR"], !directory.isEmpty { return directory + "/spark-defaults.conf" }
        let home = environment["SPARK_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        return home + "/conf/spark-defaults.conf"
    }
}

enum SparkLauncher {
    /// Renders the configuration, then replaces this process with `$SPARK_HOME/bin/<tool>`.
    static func exec(_ tool: String, arguments: [String]) throws {
        let environment = ProcessInfo.processInfo.environment
        guard let home = environment["SPARK_HOME"], !home.isEmpty else {
            throw ValidationError("SPARK_HOME is not set: it must name the Spark distribution")
        }
        let space = SpaceEnvironment(environment)
        let text = try SparkDefaults.forDistribution(environment: environment).render()
        let confFile = SparkConfLocation.defaultsFile(environment: environment)
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: confFile).deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(toFile: confFile, atomically: true, encoding: .utf8)
        let path = home + "/bin/" + tool
        var argv = [path, "--master", try space.masterURL()] + arguments
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        execv(path, cArguments)
        argv.removeAll()
        throw ValidationError("cannot run \(path): \(String(cString: strerror(errno)))")
    }
}

extension SparkDefaults {
    /// The defaults for the distribution at `SPARK_HOME` (its Hadoop client decides the S3A connector).
    static func forDistribution(environment: [String: String]) -> SparkDefaults {
        var jarNames: [String] = []
        if let home = environment["SPARK_HOME"], !home.isEmpty {
            jarNames = (try? FileManager.default.contentsOfDirectory(atPath: home + "/jars")) ?? []
        }
        return SparkDefaults(environment: SpaceEnvironment(environment), hadoopVersion: hadoopVersion(inJarNames: jarNames))
    }
}
