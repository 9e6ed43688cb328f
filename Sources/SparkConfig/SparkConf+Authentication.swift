/// `spark.authenticate=true`, resolved: the shared secret, how long a handshake may take, and
/// whether connections are encrypted.
public struct SparkAuthenticationSettings: Sendable, Equatable {
    public var secret: String
    /// `spark.network.auth.rpcTimeout` (30 s).
    public var handshakeTimeoutSeconds: Double
    /// `spark.network.crypto.enabled=true`; nil for SASL only.
    public var crypto: NetworkCryptoSettings?

    public init(secret: String, handshakeTimeoutSeconds: Double, crypto: NetworkCryptoSettings? = nil) {
        self.secret = secret
        self.handshakeTimeoutSeconds = handshakeTimeoutSeconds
        self.crypto = crypto
    }
}

/// `spark.network.crypto.*` of a daemon: Spark's AES-based authentication, then AES-CTR on the connection.
public struct NetworkCryptoSettings: Sendable, Equatable {
    /// `spark.network.crypto.cipher=AES/GCM/NoPadding` (else `AES/CTR/NoPadding`, Spark's default).
    public var gcm: Bool
    /// `spark.network.crypto.authEngineVersion` (1 or 2; Spark's default 1).
    public var authEngineVersion: Int
    /// `spark.network.crypto.saslFallback` (true).
    public var saslFallback: Bool

    public init(gcm: Bool = false, authEngineVersion: Int = 1, saslFallback: Bool = true) {
        self.gcm = gcm
        self.authEngineVersion = authEngineVersion
        self.saslFallback = saslFallback
    }
}

extension SparkConf {
    /// Spark's RPC authentication as the daemons read it, nil when `spark.authenticate` is off. The
    /// secret is the `_SPARK_AUTH_SECRET` environment variable, else `spark.authenticate.secret`
    /// (Spark's `SecurityManager.getSecretKey` order). With authentication on, a missing secret, SASL
    /// encryption and a `spark.network.crypto` setting this daemon cannot follow are errors, so the
    /// daemon does not start. So is TLS on RPC connections (`spark.ssl.rpc.enabled`, Spark 4),
    /// which peers configured for it would expect of every connection, authenticated or not.
    public func authentication(environment: [String: String]) throws(SparkConfError) -> SparkAuthenticationSettings? {
        if try bool("spark.ssl.rpc.enabled", default: false) {
            throw SparkConfError(
                key: "spark.ssl.rpc.enabled", value: self["spark.ssl.rpc.enabled"] ?? "true",
                expected: "false: TLS on RPC connections is not provided (spark.authenticate=true with spark.network.crypto.enabled=true encrypts connections)")
        }
        guard try bool("spark.authenticate", default: false) else { return nil }
        for key in ["spark.authenticate.enableSaslEncryption", "spark.network.sasl.serverAlwaysEncrypt"]
        where try bool(key, default: false) {
            throw SparkConfError(
                key: key, value: self[key] ?? "true",
                expected: "false: SASL encryption is not provided (spark.network.crypto.enabled=true encrypts connections)")
        }
        var crypto: NetworkCryptoSettings?
        if try bool("spark.network.crypto.enabled", default: false) {
            let cipher = self["spark.network.crypto.cipher"] ?? "AES/CTR/NoPadding"
            guard ["AES/CTR/NOPADDING", "AES/GCM/NOPADDING"].contains(cipher.uppercased()) else {
                throw SparkConfError(key: "spark.network.crypto.cipher", value: cipher, expected: "AES/CTR/NoPadding or AES/GCM/NoPadding")
            }
            let version = try int("spark.network.crypto.authEngineVersion", default: 1)
            guard version == 1 || version == 2 else {
                throw SparkConfError(key: "spark.network.crypto.authEngineVersion", value: "\(version)", expected: "1 or 2")
            }
            crypto = NetworkCryptoSettings(
                gcm: cipher.uppercased() == "AES/GCM/NOPADDING", authEngineVersion: version, saslFallback: try bool("spark.network.crypto.saslFallback", default: true))
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
        return SparkAuthenticationSettings(secret: secret, handshakeTimeoutSeconds: timeout, crypto: crypto)
    }
}
