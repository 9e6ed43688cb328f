import SparkModel

/// Everything the shell needs to start one executor process, fully decided by the core.
public struct ExecutorLaunch: Sendable, Equatable {
    public var key: ExecutorKey
    /// argv[0] is the `java` to run.
    public var argv: [String]
    /// Set on top of the worker's own environment, in order (a later entry wins).
    public var environment: [EnvironmentVariable]
    /// `<workDir>/<appId>/<execId>`: created (it must not exist yet) and used as the cwd.
    public var workingDirectory: String
    public var stdoutPath: String
    public var stderrPath: String
    /// Written to `stderr` before the child's own output.
    public var stderrHeader: String
    /// Scratch directories to create (mode 700) before the launch; empty when the application's
    /// local directories exist already. At least one of `appLocalDirectories` must be created.
    public var directoriesToCreate: [String]
    /// The application's local directories (`SPARK_EXECUTOR_DIRS`).
    public var appLocalDirectories: [String]
    /// The custom resources file passed with `--resourcesFile`, when resources were assigned.
    public var resourcesFile: ResourcesFile?

    public init(
        key: ExecutorKey, argv: [String], environment: [EnvironmentVariable], workingDirectory: String,
        stdoutPath: String, stderrPath: String, stderrHeader: String, directoriesToCreate: [String],
        appLocalDirectories: [String], resourcesFile: ResourcesFile?
    ) {
        self.key = key
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        self.stderrHeader = stderrHeader
        self.directoriesToCreate = directoriesToCreate
        self.appLocalDirectories = appLocalDirectories
        self.resourcesFile = resourcesFile
    }

    /// The launch with only `directories` of its application's local directories, those that
    /// could be created: Spark hands its executors only these.
    public func keeping(appLocalDirectories directories: [String]) -> ExecutorLaunch {
        var launch = self
        launch.appLocalDirectories = directories
        launch.environment = environment.map { variable in
            variable.name == Self.executorDirectoriesVariable
                ? EnvironmentVariable(variable.name, directories.joined(separator: ":")) : variable
        }
        return launch
    }

    static let executorDirectoriesVariable = "SPARK_EXECUTOR_DIRS"

    /// The command line as Spark logs it: `"arg0" "arg1" ...`, redacted by `pattern`.
    public func redactedCommandLine(pattern: String) -> String { ExecutorCommandBuilder.redactedCommandLine(argv, pattern: pattern) }
}

/// A JSON file handed to an executor that was assigned custom resources.
public struct ResourcesFile: Sendable, Equatable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }

    /// `[{"id":{"componentName":"spark.executor","resourceName":"gpu"},"addresses":["0","1"]}]`.
    // Spark: StandaloneResourceUtils.prepareResourcesFile (ResourceAllocation as compact JSON).
    public static func executorContents(_ resources: [(String, ResourceInformation)]) -> String {
        contents(resources, component: "spark.executor")
    }

    /// The same for another component (`spark.driver` for a cluster-mode driver).
    public static func contents(_ resources: [(String, ResourceInformation)], component: String) -> String {
        let items = resources.map { name, info in
            let addresses = info.addresses.map { jsonString($0) }.joined(separator: ",")
            return "{\"id\":{\"componentName\":\(jsonString(component)),\"resourceName\":\(jsonString(name))},"
                + "\"addresses\":[\(addresses)]}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}

extension ExecutorLaunch {
    /// Inputs of one executor launch besides the worker configuration.
    public struct Request: Sendable {
        public var launch: LaunchExecutor
        public var workerId: String
        public var appLocalDirectories: [String]
        public var directoriesToCreate: [String]
        /// Driver class path entries that are directories.
        public var classPathDirectories: Set<String>
        /// Random digits for the resources file name.
        public var resourcesFileSuffix: String

        public init(
            launch: LaunchExecutor, workerId: String, appLocalDirectories: [String], directoriesToCreate: [String],
            classPathDirectories: Set<String> = [], resourcesFileSuffix: String = "0"
        ) {
            self.launch = launch
            self.workerId = workerId
            self.appLocalDirectories = appLocalDirectories
            self.directoriesToCreate = directoriesToCreate
            self.classPathDirectories = classPathDirectories
            self.resourcesFileSuffix = resourcesFileSuffix
        }
    }

    /// Builds the launch of `request.launch` on a worker configured as `configuration`.
    // Spark: Worker.receive(LaunchExecutor) and ExecutorRunner.fetchAndRunExecutor.
    public static func build(_ request: Request, configuration: WorkerConfiguration) -> ExecutorLaunch {
        let message = request.launch
        let key = ExecutorKey(appId: message.appId, execId: message.execId)
        let executorDirectory = "\(configuration.workDirectory)/\(message.appId)/\(message.execId)"
        var command = message.appDesc.command
        // Spark: Utils.substituteAppNExecIds replaces these two inside java options (substrings).
        command.javaOpts = command.javaOpts.map {
            $0.replacing("{{APP_ID}}", with: message.appId).replacing("{{EXECUTOR_ID}}", with: "\(message.execId)")
        }
        let placeholders = ExecutorCommandBuilder.Placeholders(
            workerURL: configuration.workerURL, executorId: "\(message.execId)", hostname: configuration.host,
            cores: "\(message.cores)", appId: message.appId, resourceProfileId: "\(message.rpId)")
        var arguments = command.arguments.map(placeholders.substitute)
        var resourcesFile: ResourcesFile?
        if !message.resources.isEmpty {
            let path = "\(executorDirectory)/resource-executor-\(request.resourcesFileSuffix).json"
            resourcesFile = ResourcesFile(path: path, contents: ResourcesFile.executorContents(message.resources))
            arguments += ["--resourcesFile", path]
        }
        let argv = ExecutorCommandBuilder.argv(
            command: command, arguments: arguments, memoryMiB: message.memory,
            context: configuration.commandContext, directories: request.classPathDirectories)

        var environment = [EnvironmentVariable("SPARK_HOME", configuration.sparkHome)]
        environment += ExecutorCommandBuilder.commandEnvironment(command: command, context: configuration.commandContext)
        environment.append(EnvironmentVariable(executorDirectoriesVariable, request.appLocalDirectories.joined(separator: ":")))
        environment.append(EnvironmentVariable("SPARK_LAUNCH_WITH_SCALA", "0"))
        let logBase = logURLBase(key: key, workerId: request.workerId, configuration: configuration)
        environment.append(EnvironmentVariable("SPARK_LOG_URL_STDERR", logBase + "stderr"))
        environment.append(EnvironmentVariable("SPARK_LOG_URL_STDOUT", logBase + "stdout"))

        let header = "Spark Executor Command: \(ExecutorCommandBuilder.redactedCommandLine(argv, pattern: configuration.settings.redactionPattern))\n"
            + String(repeating: "=", count: 40) + "\n\n"
        return ExecutorLaunch(
            key: key, argv: argv, environment: deduplicated(environment), workingDirectory: executorDirectory,
            stdoutPath: executorDirectory + "/stdout", stderrPath: executorDirectory + "/stderr", stderrHeader: header,
            directoriesToCreate: request.directoriesToCreate, appLocalDirectories: request.appLocalDirectories,
            resourcesFile: resourcesFile)
    }

    /// `<scheme><public address>:<ui port>/logPage/?appId=..&executorId=..&logType=`, or the
    /// reverse-proxy form.
    static func logURLBase(key: ExecutorKey, workerId: String, configuration: WorkerConfiguration) -> String {
        let query = "logPage/?appId=\(key.appId)&executorId=\(key.execId)&logType="
        if configuration.settings.reverseProxy {
            var base = configuration.settings.reverseProxyUrl
            while base.hasSuffix("/") { base.removeLast() }
            return "\(base)/proxy/\(workerId)/\(query)"
        }
        return "\(configuration.webUiScheme)\(configuration.publicAddress):\(configuration.webUiPort)/\(query)"
    }

    /// Keeps the last value of each name at the position of its first occurrence.
    static func deduplicated(_ variables: [EnvironmentVariable]) -> [EnvironmentVariable] {
        var order: [String] = []
        var values: [String: String] = [:]
        for variable in variables {
            if values[variable.name] == nil { order.append(variable.name) }
            values[variable.name] = variable.value
        }
        return order.map { EnvironmentVariable($0, values[$0]!) }
    }
}

/// A JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
