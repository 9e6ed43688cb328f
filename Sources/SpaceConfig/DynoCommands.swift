import SparkConfig

/// The command lines the space's dynos run: `spark-master` and `spark-worker` with addresses from
/// DNS discovery and settings from config vars.
public struct DynoCommands: Sendable {
    public let environment: SpaceEnvironment

    public init(environment: SpaceEnvironment) {
        self.environment = environment
    }

    /// A process to start: arguments after the executable, and environment additions.
    public struct Invocation: Sendable, Equatable {
        public var arguments: [String]
        public var environment: [String: String]
    }

    /// The host a daemon binds and advertises: its DNS discovery name resolves to its private IP.
    public func dynoHost() -> String {
        environment.advertisedHost ?? environment.bindAddress
    }

    /// `spark-master`: host, ports, ZooKeeper recovery when a ZooKeeper URL is configured,
    /// authentication when a secret is (encryption too with `SPARK_NETWORK_CRYPTO=true`), and the
    /// REST server's JWS filter when `SPARK_REST_JWS_SECRET` is set.
    public func master() throws(SpaceConfigError) -> Invocation {
        var options: [String] = []
        for (key, value) in try environment.recoverySettings() { options.append("-D\(key)=\(value)") }
        var additions: [String: String] = [:]
        if let secret = try environment.authenticationSecret() {
            // The secret by the environment: a command line is visible to every user of the machine.
            options.append("-Dspark.authenticate=true")
            additions["_SPARK_AUTH_SECRET"] = secret
        }
        for (key, value) in try environment.networkCryptoSettings() { options.append("-D\(key)=\(value)") }
        // In the environment, not on the command line, as the authentication secret.
        for (key, value) in try environment.restJWSSettings() { options.append("-D\(key)=\(value)") }
        if !options.isEmpty {
            let existing = environment.variables["SPARK_MASTER_OPTS"].map { $0 + " " } ?? ""
            additions["SPARK_MASTER_OPTS"] = existing + options.joined(separator: " ")
        }
        return Invocation(
            arguments: [
                "--host", dynoHost(), "--port", String(try environment.masterPort()),
                "--webui-port", String(try environment.port("SPARK_MASTER_WEBUI_PORT", default: 8080)),
            ],
            environment: additions)
    }

    /// `spark-worker`: host, ports and the masters' URL, and authentication when a secret is
    /// configured (encryption too with `SPARK_NETWORK_CRYPTO=true`); cores and memory default to the
    /// dyno's limits.
    public func worker() throws(SpaceConfigError) -> Invocation {
        var arguments = [
            "--host", dynoHost(),
            "--webui-port", String(try environment.port("SPARK_WORKER_WEBUI_PORT", default: 8081)),
        ]
        if let port = environment.variables["SPARK_WORKER_PORT"], !port.isEmpty {
            arguments += ["--port", String(try environment.port("SPARK_WORKER_PORT", default: 0))]
        }
        arguments.append(try environment.masterURL())
        var additions: [String: String] = [:]
        let crypto = try environment.networkCryptoSettings().map { " -D\($0.0)=\($0.1)" }.joined()
        if let secret = try environment.authenticationSecret() {
            let existing = environment.variables["SPARK_WORKER_OPTS"].map { $0 + " " } ?? ""
            additions["SPARK_WORKER_OPTS"] = existing + "-Dspark.authenticate=true" + crypto
            additions["_SPARK_AUTH_SECRET"] = secret
        }
        return Invocation(arguments: arguments, environment: additions)
    }
}
