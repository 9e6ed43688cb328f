import NIOCore

/// Everything the proxy needs, read from the environment (a Heroku dyno's config vars).
public struct SpaceProxyConfiguration: Sendable {
    /// Address to listen on (`SPACE_PROXY_BIND`, default all interfaces).
    public var bindHost: String
    /// `PORT`, set by Heroku for `web` processes.
    public var port: Int
    /// nil only when anonymous access was asked for explicitly.
    public var users: HtpasswdFile?
    /// Realm of the `WWW-Authenticate` challenge (`SPACE_PROXY_REALM`).
    public var realm: String
    public var policy: BackendPolicy
    /// Name of the cookie that remembers the chosen backend.
    public var cookieName: String
    /// Time allowed to establish the backend connection (`SPACE_PROXY_CONNECT_TIMEOUT`, seconds): 504 after.
    public var connectTimeout: TimeAmount
    /// Longest silence from the backend, in either direction, while a request is outstanding
    /// (`SPACE_PROXY_BACKEND_TIMEOUT`, seconds): 504 before the response head, abort after.
    public var backendTimeout: TimeAmount
    /// Longest a client connection may sit without a complete request head, request-body progress or,
    /// while a response is written to it, response progress: bounds slow header drips, idle keep-alive
    /// connections and clients that stop reading (`SPACE_PROXY_CLIENT_TIMEOUT`, seconds).
    public var clientTimeout: TimeAmount
    /// Client connections accepted at once (`SPACE_PROXY_MAX_CONNECTIONS`); more wait in the backlog.
    public var maximumConnections: Int
    /// Request header fields allowed (`SPACE_PROXY_MAX_HEADERS`); more → 400 and close.
    public var maximumHeaderCount: Int
    /// Bytes of request header names and values allowed (`SPACE_PROXY_MAX_HEADER_BYTES`); more → 400.
    public var maximumHeaderBytes: Int

    public static let defaultRealm = "Spark in Space"
    public static let defaultCookieName = "space-proxy-backend"

    public init(
        bindHost: String = "0.0.0.0", port: Int, users: HtpasswdFile?, realm: String = defaultRealm,
        policy: BackendPolicy = BackendPolicy(), cookieName: String = defaultCookieName,
        connectTimeout: TimeAmount = .seconds(10), backendTimeout: TimeAmount = .seconds(60),
        clientTimeout: TimeAmount = .seconds(30), maximumConnections: Int = 1024, maximumHeaderCount: Int = 100,
        maximumHeaderBytes: Int = 32 * 1024
    ) {
        self.bindHost = bindHost
        self.port = port
        self.users = users
        self.realm = realm
        self.policy = policy
        self.cookieName = cookieName
        self.connectTimeout = connectTimeout
        self.backendTimeout = backendTimeout
        self.clientTimeout = clientTimeout
        self.maximumConnections = maximumConnections
        self.maximumHeaderCount = maximumHeaderCount
        self.maximumHeaderBytes = maximumHeaderBytes
    }

    /// The environment variables the proxy reads.
    public enum Variable {
        public static let port = "PORT"
        public static let bind = "SPACE_PROXY_BIND"
        public static let basicAuth = "SPACE_PROXY_BASIC_AUTH"
        /// The seed app's name for the same setting.
        public static let sparkBasicAuth = "SPARK_BASIC_AUTH"
        public static let allowAnonymous = "SPACE_PROXY_ALLOW_ANONYMOUS"
        public static let realm = "SPACE_PROXY_REALM"
        public static let defaultBackend = "SPACE_PROXY_DEFAULT_BACKEND"
        public static let allowedBackends = "SPACE_PROXY_ALLOWED_BACKENDS"
        public static let connectTimeout = "SPACE_PROXY_CONNECT_TIMEOUT"
        public static let backendTimeout = "SPACE_PROXY_BACKEND_TIMEOUT"
        public static let clientTimeout = "SPACE_PROXY_CLIENT_TIMEOUT"
        public static let maximumConnections = "SPACE_PROXY_MAX_CONNECTIONS"
        public static let maximumHeaders = "SPACE_PROXY_MAX_HEADERS"
        public static let maximumHeaderBytes = "SPACE_PROXY_MAX_HEADER_BYTES"
    }

    /// Reads the configuration; throws `invalidConfiguration` naming the variable at fault. No credentials
    /// is an error unless `SPACE_PROXY_ALLOW_ANONYMOUS=true`.
    public init(environment: [String: String]) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmed(), !value.isEmpty else { return nil }
            return value
        }
        func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = value(name) else { return defaultValue }
            guard let number = Int(text), range.contains(number) else {
                throw SpaceProxyError(
                    .invalidConfiguration, "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(BackendAddress.printable(text))\"",
                    context: name)
            }
            return number
        }
        func seconds(_ name: String, default defaultValue: TimeAmount) throws -> TimeAmount {
            guard let text = value(name) else { return defaultValue }
            guard let number = Double(text), number.isFinite, number > 0, number <= 86_400 else {
                throw SpaceProxyError(
                    .invalidConfiguration, "must be a number of seconds (0 < s ≤ 86400), got \"\(BackendAddress.printable(text))\"",
                    context: name)
            }
            return .nanoseconds(Int64((number * 1e9).rounded()))
        }

        let port = try integer(Variable.port, default: 8080, range: 1...65535)
        let bindHost = value(Variable.bind) ?? "0.0.0.0"

        let users: HtpasswdFile?
        let credentialsVariable = value(Variable.basicAuth) != nil ? Variable.basicAuth : Variable.sparkBasicAuth
        if let text = value(credentialsVariable) {
            do {
                users = try HtpasswdFile(parsing: text)
            } catch let error as SpaceProxyError {
                throw SpaceProxyError(.invalidConfiguration, error.message, context: [credentialsVariable, error.context].compactMap { $0 }.joined(separator: " "))
            }
        } else if value(Variable.allowAnonymous)?.lowercased() == "true" {
            users = nil
        } else {
            throw SpaceProxyError(
                .invalidConfiguration,
                "no credentials: set \(Variable.basicAuth) (or \(Variable.sparkBasicAuth)) to user:hash entries, e.g. spark:{PLAIN}space "
                    + "or the output of `htpasswd -nB spark`; set \(Variable.allowAnonymous)=true to run without authentication")
        }

        var policy = BackendPolicy()
        if let text = value(Variable.defaultBackend) {
            do {
                policy.defaultBackend = try BackendAddress(parsing: text)
            } catch let error as SpaceProxyError {
                throw SpaceProxyError(.invalidConfiguration, error.message, context: Variable.defaultBackend)
            }
        }
        if let text = value(Variable.allowedBackends) {
            do {
                policy.rules = try BackendPolicy.parseRules(text)
            } catch let error as SpaceProxyError {
                throw SpaceProxyError(.invalidConfiguration, error.message, context: [Variable.allowedBackends, error.context].compactMap { $0 }.joined(separator: " "))
            }
        }

        self.init(
            bindHost: bindHost, port: port, users: users, realm: value(Variable.realm) ?? Self.defaultRealm, policy: policy,
            connectTimeout: try seconds(Variable.connectTimeout, default: .seconds(10)),
            backendTimeout: try seconds(Variable.backendTimeout, default: .seconds(60)),
            clientTimeout: try seconds(Variable.clientTimeout, default: .seconds(30)),
            maximumConnections: try integer(Variable.maximumConnections, default: 1024, range: 1...1_000_000),
            maximumHeaderCount: try integer(Variable.maximumHeaders, default: 100, range: 8...10_000),
            maximumHeaderBytes: try integer(Variable.maximumHeaderBytes, default: 32 * 1024, range: 1024...(1024 * 1024)))
    }
}
