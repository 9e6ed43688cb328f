/// `spark.authenticate=true`, resolved: the shared secret and how long a handshake may take.
public struct SparkAuthenticationSettings: Sendable, Equatable {
    public var secret: String
    /// `spark.network.auth.rpcTimeout` (30 s).
    public var handshakeTimeoutSeconds: Double

    public init(secret: String, handshakeTimeoutSeconds: Double) {
        self.secret = secret
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
    }
}

extension SparkConf {
    /// Spark's RPC authentication as the daemons read it, nil when `spark.authenticate` is off. The
    /// secret is the `_SPARK_AUTH_SECRET` environment variable, else `spark.authenticate.secret`
    /// (Spark's `SecurityManager.getSecretKey` order). With authentication on, a missing secret and
    /// asking for encryption (not provided: authentication only) are errors, so the daemon does not start.
    public func authentication(environment: [String: String]) throws(SparkConfError) -> SparkAuthenticationSettings? {
        guard try bool("spark.authenticate", default: false) else { return nil }
        for key in ["spark.network.crypto.enabled", "spark.authenticate.enableSaslEncryption", "spark.network.sasl.serverAlwaysEncrypt"]
        where try bool(key, default: false) {
            throw SparkConfError(
                key: key, value: self[key] ?? "true",
                expected: "false: RPC encryption is not provided, only authentication (SASL DIGEST-MD5 with qop auth)")
        }
        let timeout = try seconds("spark.network.auth.rpcTimeout", default: 30)
        guard timeout > 0 else {
            throw SparkConfError(key: "spark.network.auth.rpcTimeout", value: self["spark.network.auth.rpcTimeout"] ?? "", expected: "a positive duration")
        }
        let secret: String
        if let value = environment["_SPARK_AUTH_SECRET"], !value.isEmpty {
            secret = value
        } else if let value = self["spark.authenticate.secret"], !value.isEmpty {
            secret = value
        } else {
            throw SparkConfError(
                key: "spark.authenticate.secret", value: "",
                expected: "a secret shared with every driver, executor and daemon when spark.authenticate=true")
        }
        return SparkAuthenticationSettings(secret: secret, handshakeTimeoutSeconds: timeout)
    }
}
