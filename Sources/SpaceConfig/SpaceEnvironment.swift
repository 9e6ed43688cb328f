import SparkConfig

/// A configuration variable that is missing or unusable.
public struct SpaceConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var message: String

    public init(_ variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "\(variable): \(message)" }
}

/// The Heroku Private Space a process runs in, read from its config vars and dyno environment.
public struct SpaceEnvironment: Sendable {
    public let variables: [String: String]

    public init(_ variables: [String: String]) {
        self.variables = variables
    }

    private func value(_ name: String) -> String? {
        guard let raw = variables[name]?.trimmingWhitespace, !raw.isEmpty else { return nil }
        return raw
    }

    /// The app's DNS discovery name (`HEROKU_DNS_APP_NAME`).
    public func appName() throws(SpaceConfigError) -> String {
        guard let name = value("HEROKU_DNS_APP_NAME") else {
            throw SpaceConfigError("HEROKU_DNS_APP_NAME", "is not set; enable DNS service discovery for the space (heroku spaces:...)")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) else {
            throw SpaceConfigError("HEROKU_DNS_APP_NAME", "\"\(name)\" is not a DNS name")
        }
        return name
    }

    /// How many masters the app runs (`SPARK_MASTERS`, default 1).
    public func masterCount() throws(SpaceConfigError) -> Int {
        guard let raw = value("SPARK_MASTERS") else { return 1 }
        guard let count = Int(raw), (1...32).contains(count) else {
            throw SpaceConfigError("SPARK_MASTERS", "\"\(raw)\" is not a number of masters between 1 and 32")
        }
        return count
    }

    /// The masters' RPC port (`SPARK_MASTER_PORT`, default 7077).
    public func masterPort() throws(SpaceConfigError) -> Int {
        try port("SPARK_MASTER_PORT", default: 7077)
    }

    public func port(_ name: String, default defaultValue: Int) throws(SpaceConfigError) -> Int {
        guard let raw = value(name) else { return defaultValue }
        guard let port = Int(raw), (1...65535).contains(port) else {
            throw SpaceConfigError(name, "\"\(raw)\" is not a TCP port")
        }
        return port
    }

    /// Master host names by DNS discovery: `<n>.master.<app>.app.localspace`.
    public func masterHosts() throws(SpaceConfigError) -> [String] {
        let app = try appName()
        return (1...(try masterCount())).map { "\($0).master.\(app).app.localspace" }
    }

    /// `spark://1.master.<app>.app.localspace:7077[,2.master...:7077]`, or `SPARK_MASTER_URL` when set.
    public func masterURL() throws(SpaceConfigError) -> String {
        if let explicit = value("SPARK_MASTER_URL") {
            guard explicit.hasPrefix("spark://") else { throw SpaceConfigError("SPARK_MASTER_URL", "\"\(explicit)\" is not a spark:// URL") }
            return explicit
        }
        let port = try masterPort()
        return "spark://" + (try masterHosts()).map { "\($0):\(port)" }.joined(separator: ",")
    }

    /// The address a daemon binds (`HEROKU_PRIVATE_IP`), all interfaces outside a space.
    public var bindAddress: String { value("HEROKU_PRIVATE_IP") ?? "0.0.0.0" }

    /// The name peers reach this dyno by (`HEROKU_DNS_DYNO_NAME`), else the private IP.
    public var advertisedHost: String? { value("HEROKU_DNS_DYNO_NAME") ?? value("HEROKU_PRIVATE_IP") }

    /// The ZooKeeper connect string from `SPARK_ZK_ZOOKEEPER_URL` or `KAFKA_ZOOKEEPER_URL`
    /// (`zookeeper://h1:2181,zookeeper://h2:2181` → `h1:2181,h2:2181`); `nil` without one.
    public func zooKeeperConnectString() throws(SpaceConfigError) -> String? {
        for name in ["SPARK_ZK_ZOOKEEPER_URL", "KAFKA_ZOOKEEPER_URL"] {
            guard let raw = value(name) else { continue }
            var servers: [String] = []
            for part in raw.split(separator: ",") {
                var item = Substring(part.trimmingWhitespace)
                if item.hasPrefix("zookeeper://") { item = item.dropFirst("zookeeper://".count) }
                while item.hasSuffix("/") { item = item.dropLast() }
                guard let colon = item.lastIndex(of: ":"), !item[..<colon].isEmpty,
                      let port = Int(item[item.index(after: colon)...]), (1...65535).contains(port)
                else {
                    throw SpaceConfigError(name, "\"\(part)\" is not zookeeper://host:port")
                }
                servers.append(String(item))
            }
            guard !servers.isEmpty else { throw SpaceConfigError(name, "lists no servers") }
            return servers.joined(separator: ",")
        }
        return nil
    }

    /// Master settings for high availability: ZooKeeper recovery under `/<app>` when a ZooKeeper
    /// URL is configured.
    public func recoverySettings() throws(SpaceConfigError) -> [(String, String)] {
        guard let connect = try zooKeeperConnectString() else { return [] }
        return [
            ("spark.deploy.recoveryMode", "ZOOKEEPER"),
            ("spark.deploy.zookeeper.url", connect),
            ("spark.deploy.zookeeper.dir", "/" + (try appName())),
        ]
    }

    /// `SPARK_AUTHENTICATE_SECRET`: the secret every daemon, driver and executor of the space proves
    /// (`spark.authenticate=true`); nil when not set. Printable ASCII without backslashes, so that it
    /// reads back the same from `spark-defaults.conf`.
    public func authenticationSecret() throws(SpaceConfigError) -> String? {
        guard let secret = value("SPARK_AUTHENTICATE_SECRET") else { return nil }
        guard secret.utf8.allSatisfy({ (0x21...0x7e).contains($0) && $0 != UInt8(ascii: "\\") }) else {
            throw SpaceConfigError("SPARK_AUTHENTICATE_SECRET", "must be printable ASCII without spaces or backslashes")
        }
        guard secret.utf8.count >= 16 else {
            throw SpaceConfigError("SPARK_AUTHENTICATE_SECRET", "is too short: use at least 16 characters (openssl rand -hex 32)")
        }
        return secret
    }

    /// `SPARK_REST_JWS_SECRET`: the master's REST submission server behind Spark's JWS filter, which
    /// admits requests bearing a JSON Web Token signed with this key (base64url, 256 bits or more);
    /// nil when not set. Settings for the master only: the key stays out of `spark-defaults.conf`.
    public func restJWSSettings() throws(SpaceConfigError) -> [(String, String)] {
        guard let key = value("SPARK_REST_JWS_SECRET") else { return [] }
        let digits = key.hasSuffix("=") ? String(key.prefix { $0 != "=" }) : key
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0.isBase64URLDigit }), digits.utf8.count % 4 != 1 else {
            throw SpaceConfigError("SPARK_REST_JWS_SECRET", "must be base64url (A-Z, a-z, 0-9, - and _): openssl rand 64 | basenc --base64url -w0")
        }
        guard digits.utf8.count * 6 / 8 >= 32 else {
            throw SpaceConfigError("SPARK_REST_JWS_SECRET", "is too short: use at least 256 bits (43 base64url characters)")
        }
        return [
            ("spark.master.rest.filters", "org.apache.spark.ui.JWSFilter"),
            ("spark.org.apache.spark.ui.JWSFilter.param.secretKey", key),
        ]
    }

    /// `SPARK_NETWORK_CRYPTO=true`: every RPC connection of the space encrypted after Spark's
    /// AES-based handshake, or refused (`spark.network.crypto.enabled=true` with
    /// `spark.network.crypto.saslFallback=false` for daemons, drivers and executors). Needs
    /// `SPARK_AUTHENTICATE_SECRET`: the handshake proves it.
    public func networkCryptoSettings() throws(SpaceConfigError) -> [(String, String)] {
        guard let text = value("SPARK_NETWORK_CRYPTO") else { return [] }
        switch text.lowercased() {
        case "false": return []
        case "true":
            guard try authenticationSecret() != nil else {
                throw SpaceConfigError("SPARK_NETWORK_CRYPTO", "needs SPARK_AUTHENTICATE_SECRET: the encrypted handshake proves that secret")
            }
            return [("spark.network.crypto.enabled", "true"), ("spark.network.crypto.saslFallback", "false")]
        default:
            throw SpaceConfigError("SPARK_NETWORK_CRYPTO", "\"\(text)\" is not true or false")
        }
    }
}

extension UInt8 {
    fileprivate var isBase64URLDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D || self == 0x5F
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
