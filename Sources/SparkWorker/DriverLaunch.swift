import SparkModel

/// A cluster-mode driver the worker runs (Spark: the fields of `DriverRunner` the worker uses).
public struct DriverRecord: Sendable, Equatable {
    public var driverId: String
    public var description: DriverDescription
    public var resources: [(String, ResourceInformation)]
    public var launch: DriverLaunch
    /// RUNNING while an attempt runs or waits to be relaunched; the final state once it ended.
    public var state: DriverState
    /// The running attempt's process (and process group) id.
    public var pid: Int32?
    /// `KillDriver` or shutdown asked for it (Spark: `DriverRunner.killed`).
    public var killed = false
    /// Seconds before a supervised driver that failed is started again; doubles per quick failure.
    public var backoffSeconds: Int64 = 1
    /// A relaunch is scheduled.
    public var waitingToRelaunch = false
    public var finalException: JavaExceptionInfo?

    public init(
        driverId: String, description: DriverDescription, resources: [(String, ResourceInformation)], launch: DriverLaunch,
        state: DriverState
    ) {
        self.driverId = driverId
        self.description = description
        self.resources = resources
        self.launch = launch
        self.state = state
    }

    public static func == (lhs: DriverRecord, rhs: DriverRecord) -> Bool {
        lhs.driverId == rhs.driverId && lhs.description == rhs.description
            && lhs.resources.elementsEqual(rhs.resources) { $0.0 == $1.0 && $0.1 == $1.1 }
            && lhs.launch == rhs.launch && lhs.state == rhs.state && lhs.pid == rhs.pid && lhs.killed == rhs.killed
            && lhs.backoffSeconds == rhs.backoffSeconds && lhs.waitingToRelaunch == rhs.waitingToRelaunch
            && lhs.finalException == rhs.finalException
    }
}

/// Everything the shell needs to start one cluster-mode driver, decided by the core
/// (Spark: `DriverRunner.prepareAndRunDriver`, `CommandUtils.buildProcessBuilder`).
public struct DriverLaunch: Sendable, Equatable {
    public var driverId: String
    /// The application jar as submitted.
    public var jarUrl: String
    /// `<driver dir>/<last element of the URL's path>`: fetched there unless it exists.
    public var localJarPath: String
    /// argv[0] is the `java` to run.
    public var argv: [String]
    /// Set on top of the worker's own environment, in order.
    public var environment: [EnvironmentVariable]
    /// `<workDir>/<driverId>`: created if missing, the process's working directory.
    public var workingDirectory: String
    public var stdoutPath: String
    public var stderrPath: String
    /// Appended to `stderr` before each attempt's output (Spark 4.3 keeps earlier attempts' output).
    public var stderrHeader: String
    /// The custom resources file (`-Dspark.driver.resourcesFile`), when resources were assigned.
    public var resourcesFile: ResourcesFile?

    public init(
        driverId: String, jarUrl: String, localJarPath: String, argv: [String], environment: [EnvironmentVariable],
        workingDirectory: String, stdoutPath: String, stderrPath: String, stderrHeader: String, resourcesFile: ResourcesFile?
    ) {
        self.driverId = driverId
        self.jarUrl = jarUrl
        self.localJarPath = localJarPath
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        self.stderrHeader = stderrHeader
        self.resourcesFile = resourcesFile
    }

    /// The command line as Spark logs it, redacted by `pattern`.
    public func redactedCommandLine(pattern: String) -> String { ExecutorCommandBuilder.redactedCommandLine(argv, pattern: pattern) }

    /// The file name a jar URL is saved under (Spark: `new URI(jarUrl).getPath.split("/").last`);
    /// nil when the URL has no path to name it by.
    public static func jarFileName(_ jarUrl: String) -> String? {
        guard let name = JarURL(jarUrl)?.path.split(separator: "/").last, name != ".", name != ".." else { return nil }
        return String(name)
    }

    /// `%xx` escapes decoded; nil for a `%` not followed by two hex digits (Java's `URI` refuses those).
    public static func percentDecoded(_ text: String) -> String? {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let high = hex(utf8[utf8.startIndex]), let low = hex(utf8[utf8.startIndex + 1]) else { return nil }
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a driver id from the master can name a directory under the work directory.
    public static func isSafeDriverId(_ driverId: String) -> Bool {
        !driverId.isEmpty && driverId != "." && driverId != ".." && !driverId.contains("/") && !driverId.contains("\0")
    }

    /// The launch of `message` on a worker configured as `configuration`.
    public static func build(
        _ message: LaunchDriver, configuration: WorkerConfiguration, classPathDirectories: Set<String> = [],
        resourcesFileSuffix: String = "0"
    ) -> DriverLaunch? {
        guard let jarName = jarFileName(message.driverDesc.jarUrl) else { return nil }
        let driverDirectory = "\(configuration.workDirectory)/\(message.driverId)"
        let localJar = "\(driverDirectory)/\(jarName)"
        var command = message.driverDesc.command
        var resourcesFile: ResourcesFile?
        if !message.resources.isEmpty {
            let path = "\(driverDirectory)/resource-driver-\(resourcesFileSuffix).json"
            resourcesFile = ResourcesFile(path: path, contents: ResourcesFile.contents(message.resources, component: "spark.driver"))
            command.javaOpts.append("-Dspark.driver.resourcesFile=\(path)")
        }
        // Spark: whole arguments equal to a placeholder are replaced.
        let arguments = command.arguments.map { argument -> String in
            switch argument {
            case "{{WORKER_URL}}": configuration.workerURL
            case "{{USER_JAR}}": localJar
            default: argument
            }
        }
        let argv = ExecutorCommandBuilder.argv(
            command: command, arguments: arguments, memoryMiB: message.driverDesc.mem,
            context: configuration.commandContext, directories: classPathDirectories)
        var environment = [EnvironmentVariable("SPARK_HOME", configuration.sparkHome)]
        environment += ExecutorCommandBuilder.commandEnvironment(command: command, context: configuration.commandContext)
        // Spark: UIUtils.makeHref(reverseProxy, driverId, workerWebUiUrl), under the `spark.ui.proxyBase`
        // the worker sets to `spark.ui.reverseProxyUrl` (without its last `/`) once a master took it.
        var proxyBase = configuration.settings.reverseProxyUrl
        while proxyBase.hasSuffix("/") { proxyBase.removeLast() }
        let origin = configuration.settings.reverseProxy ? "\(proxyBase)/proxy/\(message.driverId)" : configuration.webUiURL
        let logBase = "\(origin)/logPage/?driverId=\(message.driverId)&logType="
        environment.append(EnvironmentVariable("SPARK_DRIVER_LOG_URL_STDOUT", logBase + "stdout"))
        environment.append(EnvironmentVariable("SPARK_DRIVER_LOG_URL_STDERR", logBase + "stderr"))
        let header = "Launch Command: \(ExecutorCommandBuilder.redactedCommandLine(argv, pattern: configuration.settings.redactionPattern))\n" + String(repeating: "=", count: 40) + "\n\n"
        return DriverLaunch(
            driverId: message.driverId, jarUrl: message.driverDesc.jarUrl, localJarPath: localJar, argv: argv,
            environment: ExecutorLaunch.deduplicated(environment), workingDirectory: driverDirectory,
            stdoutPath: driverDirectory + "/stdout", stderrPath: driverDirectory + "/stderr", stderrHeader: header,
            resourcesFile: resourcesFile)
    }
}

/// A driver's jar URL split as Java's `URI` splits it: an optional scheme (a plain path has none), the
/// authority after `//`, and the path with its `%xx` escapes decoded; the query and fragment are dropped.
public struct JarURL: Sendable, Equatable {
    /// As written (`file`, `hdfs`, …); nil for a plain path.
    public var scheme: String?
    /// The host part of `scheme://host/path`; nil without `//`.
    public var authority: String?
    public var path: String

    public init(scheme: String?, authority: String?, path: String) {
        self.scheme = scheme
        self.authority = authority
        self.path = path
    }

    /// Nil for an escape that is not `%` and two hex digits (Java's `URI` refuses those) and for a
    /// path holding NUL.
    public init?(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":"), rest.first?.isLetter == true,
           rest[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
            scheme = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
            if rest.hasPrefix("//") {
                rest = rest.dropFirst(2)
                let host = rest.prefix { $0 != "/" }
                authority = String(host)
                rest = rest.dropFirst(host.count)
            }
        }
        if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        guard let decoded = DriverLaunch.percentDecoded(String(rest)), !decoded.contains("\0") else { return nil }
        path = decoded
    }
}
