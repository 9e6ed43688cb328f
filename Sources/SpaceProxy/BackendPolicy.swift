/// Which backends the proxy will talk to: hosts in the private space (`*.app.localspace`, Heroku's
/// private-space DNS), the default backend, and whatever `SPACE_PROXY_ALLOWED_BACKENDS` lists. Nothing
/// else, so the proxy never becomes an open relay.
public struct BackendPolicy: Sendable, Equatable {
    /// One `SPACE_PROXY_ALLOWED_BACKENDS` item.
    public enum Rule: Hashable, Sendable, CustomStringConvertible {
        /// `host` (any port) or `host:port`.
        case host(String, port: Int?)
        /// `*.example` (any subdomain of `example`, any port) or `*.example:port`; stored as `.example`.
        case suffix(String, port: Int?)

        /// Parses `host`, `host:port`, `[v6]:port`, `*.suffix` or `*.suffix:port`.
        public init(parsing raw: String) throws {
            let text = raw.trimmed()
            if text.hasPrefix("*.") {
                let (suffix, port) = try BackendAddress.split(String(text.dropFirst(2)), portRequired: false)
                guard let normalised = BackendAddress.normaliseHost(suffix), !normalised.contains(":") else {
                    throw SpaceProxyError(.invalidBackend, "\"\(BackendAddress.printable(text))\" is not a valid *.domain pattern")
                }
                self = .suffix("." + normalised, port: port)
            } else {
                let (host, port) = try BackendAddress.split(text, portRequired: false)
                guard let normalised = BackendAddress.normaliseHost(host) else {
                    throw SpaceProxyError(.invalidBackend, "\"\(BackendAddress.printable(text))\" is not a host name or IP address")
                }
                self = .host(normalised, port: port)
            }
        }

        func matches(_ backend: BackendAddress) -> Bool {
            switch self {
            case .host(let host, let port):
                return backend.host == host && (port == nil || port == backend.port)
            case .suffix(let suffix, let port):
                return backend.host.hasSuffix(suffix) && (port == nil || port == backend.port)
            }
        }

        public var description: String {
            switch self {
            case .host(let host, let port):
                let shown = host.contains(":") ? "[\(host)]" : host
                return port.map { "\(shown):\($0)" } ?? shown
            case .suffix(let suffix, let port):
                return port.map { "*\(suffix):\($0)" } ?? "*\(suffix)"
            }
        }
    }

    public enum Decision: Equatable, Sendable {
        case allowed
        case forbidden(reason: String)
    }

    /// Heroku private-space DNS: `<n>.<process>.<app>.app.localspace`.
    public static let spaceDomainSuffix = ".app.localspace"

    public var defaultBackend: BackendAddress?
    public var rules: [Rule]

    public init(defaultBackend: BackendAddress? = nil, rules: [Rule] = []) {
        self.defaultBackend = defaultBackend
        self.rules = rules
    }

    /// Parses a comma-separated `SPACE_PROXY_ALLOWED_BACKENDS` value.
    public static func parseRules(_ text: String) throws -> [Rule] {
        var rules: [Rule] = []
        for (index, item) in text.split(separator: ",").enumerated() where !item.trimmed().isEmpty {
            do {
                rules.append(try Rule(parsing: String(item)))
            } catch let error as SpaceProxyError {
                throw error.within("item \(index + 1)")
            }
        }
        return rules
    }

    public func decide(_ backend: BackendAddress) -> Decision {
        if backend == defaultBackend { return .allowed }
        if backend.host.hasSuffix(Self.spaceDomainSuffix), backend.host.count > Self.spaceDomainSuffix.count {
            return .allowed
        }
        if rules.contains(where: { $0.matches(backend) }) { return .allowed }
        return .forbidden(
            reason: "\(backend.authority) is outside the private space: only *\(Self.spaceDomainSuffix) hosts"
                + (rules.isEmpty ? "" : ", \(rules.map(\.description).joined(separator: ", "))")
                + (defaultBackend.map { " and the default backend \($0.authority)" } ?? "")
                + " are allowed.")
    }
}
