/// What the command builder needs to know about the worker's machine, gathered by the shell.
///
/// The JVM launcher looks these up on disk while it builds a command; here they are data, so
/// building a command is a pure function.
public struct ExecutorCommandContext: Sendable, Equatable {
    /// Absolute `SPARK_HOME`.
    public var sparkHome: String
    /// The worker's own environment (children inherit it; the launcher reads `JAVA_HOME`,
    /// `SPARK_CONF_DIR`, `HADOOP_CONF_DIR`, `YARN_CONF_DIR`, `SPARK_DIST_CLASSPATH` and the library
    /// path variable from it).
    public var environment: [String: String]
    /// The `java` to run when no `JAVA_HOME` is set: the one found on `PATH`, else `java`.
    public var javaExecutable: String
    /// Paths known to be directories; the launcher gives class path directories a trailing `/`.
    public var directories: Set<String>
    /// `$SPARK_HOME/jars/slf4j-api-*.jar`, full paths (Spark 4.x puts them before the wildcard).
    public var slf4jApiJars: [String]
    /// Lines of `<conf dir>/java-opts`, if that file exists.
    public var javaOptsFileLines: [String]
    /// `LD_LIBRARY_PATH` (Linux) or `DYLD_LIBRARY_PATH` (macOS).
    public var libraryPathVariable: String
    /// The shared secret of `spark.authenticate=true`, handed to every child as `_SPARK_AUTH_SECRET`.
    public var authenticationSecret: String?

    public init(
        sparkHome: String, environment: [String: String] = [:], javaExecutable: String = "java",
        directories: Set<String> = [], slf4jApiJars: [String] = [], javaOptsFileLines: [String] = [],
        libraryPathVariable: String = "LD_LIBRARY_PATH"
    ) {
        self.sparkHome = sparkHome
        self.environment = environment
        self.javaExecutable = javaExecutable
        self.directories = directories
        self.slf4jApiJars = slf4jApiJars
        self.javaOptsFileLines = javaOptsFileLines
        self.libraryPathVariable = libraryPathVariable
    }

    /// `$SPARK_HOME/jars`.
    public var jarsDirectory: String { sparkHome + "/jars" }

    /// The configuration directory the launcher uses for a command environment: `SPARK_CONF_DIR`
    /// from the command, else from the worker, else `$SPARK_HOME/conf`.
    public func confDirectory(commandEnvironment: [(String, String)] = []) -> String {
        if let value = commandEnvironment.last(where: { $0.0 == "SPARK_CONF_DIR" })?.1, !value.isEmpty { return value }
        if let value = environment["SPARK_CONF_DIR"], !value.isEmpty { return value }
        return sparkHome + "/conf"
    }
}
