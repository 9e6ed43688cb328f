import SparkConfig
import SparkModel

/// Builds the command line and environment of an executor or driver JVM from a `Command`.
///
/// Spark: `CommandUtils.buildProcessBuilder`, `WorkerCommandBuilder`,
/// `AbstractCommandBuilder.buildJavaCommand/buildClassPath`, `ExecutorRunner.substituteVariables`.
public enum ExecutorCommandBuilder {
    /// Values for the placeholders the driver leaves in executor arguments.
    public struct Placeholders: Sendable, Equatable {
        public var workerURL: String
        public var executorId: String
        public var hostname: String
        public var cores: String
        public var appId: String
        public var resourceProfileId: String

        public init(workerURL: String, executorId: String, hostname: String, cores: String, appId: String, resourceProfileId: String) {
            self.workerURL = workerURL
            self.executorId = executorId
            self.hostname = hostname
            self.cores = cores
            self.appId = appId
            self.resourceProfileId = resourceProfileId
        }

        /// Replaces an argument that is exactly a placeholder; anything else is unchanged.
        // Spark: ExecutorRunner.substituteVariables matches whole arguments, not substrings.
        public func substitute(_ argument: String) -> String {
            switch argument {
            case "{{WORKER_URL}}": workerURL
            case "{{EXECUTOR_ID}}": executorId
            case "{{HOSTNAME}}": hostname
            case "{{CORES}}": cores
            case "{{APP_ID}}": appId
            case "{{RESOURCE_PROFILE_ID}}": resourceProfileId
            default: argument
            }
        }
    }

    /// The full argv: `java [java-opts file] -cp <cp> -Xmx<m>M <javaOpts> <mainClass> <arguments>`.
    ///
    /// `arguments` must already be substituted; `javaOpts` are filtered of the auth secret here.
    /// `directories` adds to the context's known directories (e.g. the driver's class path entries).
    public static func argv(
        command: Command, arguments: [String], memoryMiB: Int32, context: ExecutorCommandContext,
        directories: Set<String> = []
    ) -> [String] {
        var argv: [String] = [javaExecutable(command: command, context: context)]
        for line in context.javaOptsFileLines {
            let trimmed = line.trimmingWhitespace
            if !trimmed.isEmpty { argv.append(contentsOf: splitOptions(trimmed)) }
        }
        argv.append("-cp")
        argv.append(classPath(command: command, context: context, directories: directories).joined(separator: ":"))
        argv.append("-Xmx\(memoryMiB)M")
        // Spark: CommandUtils.buildLocalCommand drops the secret from the options.
        argv.append(contentsOf: command.javaOpts.filter { !$0.hasPrefix("-Dspark.authenticate.secret") })
        argv.append(command.mainClass)
        argv.append(contentsOf: arguments)
        return argv
    }

    /// `$JAVA_HOME/bin/java` with `JAVA_HOME` from the command environment, then the worker's;
    /// else the context's `java`.
    public static func javaExecutable(command: Command, context: ExecutorCommandContext) -> String {
        if let home = command.environment.last(where: { $0.0 == "JAVA_HOME" })?.1, !home.isEmpty {
            return home + "/bin/java"
        }
        if let home = context.environment["JAVA_HOME"], !home.isEmpty {
            return home + "/bin/java"
        }
        return context.javaExecutable
    }

    /// The class path entries, de-duplicated keeping the first, directories with a trailing `/`.
    // Spark: AbstractCommandBuilder.buildClassPath / addToClassPath.
    public static func classPath(
        command: Command, context: ExecutorCommandContext, directories: Set<String> = []
    ) -> [String] {
        let knownDirectories = context.directories.union(directories)
        var seen = Set<String>()
        var entries: [String] = []
        func add(_ value: String?) {
            guard let value, !value.isEmpty else { return }
            for piece in value.split(separator: ":", omittingEmptySubsequences: true) {
                var entry = String(piece)
                if knownDirectories.contains(entry), !entry.hasSuffix("/") { entry += "/" }
                if seen.insert(entry).inserted { entries.append(entry) }
            }
        }
        func lookup(_ name: String) -> String? {
            if let value = command.environment.last(where: { $0.0 == name })?.1 { return value }
            return context.environment[name]
        }
        add(command.classPathEntries.joined(separator: ":"))
        add(context.confDirectory(commandEnvironment: command.environment))
        for jar in context.slf4jApiJars.sorted() { add(jar) }
        add(context.jarsDirectory + "/*")
        add(lookup("HADOOP_CONF_DIR"))
        add(lookup("YARN_CONF_DIR"))
        add(lookup("SPARK_DIST_CLASSPATH"))
        return entries
    }

    /// The command's own environment with the library path merged in, then the shared secret when
    /// authentication is on, as ordered variables.
    // Spark: CommandUtils.buildLocalCommand.
    public static func commandEnvironment(command: Command, context: ExecutorCommandContext) -> [EnvironmentVariable] {
        var variables = command.environment.map { EnvironmentVariable($0.0, $0.1) }
        let name = context.libraryPathVariable
        if !command.libraryPathEntries.isEmpty {
            var parts = command.libraryPathEntries
            if let fromCommand = command.environment.last(where: { $0.0 == name })?.1 { parts.append(fromCommand) }
            if let fromWorker = context.environment[name] { parts.append(fromWorker) }
            variables.removeAll { $0.name == name }
            variables.append(EnvironmentVariable(name, parts.joined(separator: ":")))
        }
        // The secret goes by the environment, never the command line (which is logged).
        if let secret = context.authenticationSecret { variables.append(EnvironmentVariable("_SPARK_AUTH_SECRET", secret)) }
        return variables
    }

    /// `"arg0" "arg1" ...` with the `-D` options whose key or value matches `pattern` (the worker's
    /// `spark.redaction.regex`) redacted, as Spark logs a launch command.
    // Spark: Utils.redactCommandLineArgs (`-D(.+?)=(.+)`, then Utils.redact on the key and value).
    public static func redactedCommandLine(_ argv: [String], pattern: String) -> String {
        argv.map { argument in
            guard argument.hasPrefix("-D"), argument.count > 3,
                  let equals = argument.dropFirst(3).firstIndex(of: "="), argument.index(after: equals) < argument.endIndex
            else { return "\"\(argument)\"" }
            let key = String(argument[argument.index(argument.startIndex, offsetBy: 2)..<equals])
            let value = String(argument[argument.index(after: equals)...])
            let (_, shown) = SparkConf.redacted([(key, value)], pattern: pattern)[0]
            return "\"-D\(key)=\(shown)\""
        }.joined(separator: " ")
    }

    /// Splits a `java-opts` line like the launcher: whitespace separates, quotes group, backslash escapes.
    static func splitOptions(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
                inWord = true
            } else if character == "\\" {
                escaped = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

extension String {
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
