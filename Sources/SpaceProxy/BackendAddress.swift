/// A backend the proxy may connect to: a DNS name, an IPv4 address or a bracketed IPv6 address, and a
/// port 1–65535. Hosts are kept lowercased and without a trailing dot.
public struct BackendAddress: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int

    /// `host:port`, IPv6 in brackets: what goes into `Host`, the cookie and messages.
    public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public var description: String { authority }

    public static let portRange = 1...65535

    public init(host: String, port: Int) throws {
        guard let normalised = Self.normaliseHost(host) else {
            throw SpaceProxyError(.invalidBackend, "\"\(Self.printable(host))\" is not a host name or IP address")
        }
        guard Self.portRange.contains(port) else {
            throw SpaceProxyError(.invalidBackend, "port \(port) is outside 1–65535")
        }
        self.host = normalised
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; the port is required.
    public init(parsing text: String) throws {
        let (host, port) = try Self.split(text, portRequired: true)
        try self.init(host: host, port: port!)
    }

    /// Splits `host[:port]` (`[v6][:port]`); the port, when present, must be 1–65535 digits-only.
    static func split(_ text: String, portRequired: Bool) throws -> (host: String, port: Int?) {
        let host: Substring
        let portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw SpaceProxyError(.invalidBackend, "\"\(printable(text))\" has an unclosed '['")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                portText = nil
            } else if rest.first == ":" {
                portText = rest.dropFirst()
            } else {
                throw SpaceProxyError(.invalidBackend, "\"\(printable(text))\" has text after ']' that is not a port")
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw SpaceProxyError(.invalidBackend, "\"\(printable(text))\": write IPv6 addresses in brackets, [::1]:8080")
            }
        } else {
            host = Substring(text)
            portText = nil
        }
        guard let portText else {
            if portRequired {
                throw SpaceProxyError(
                    .invalidBackend, "\"\(printable(text))\" has no port; write host:port, e.g. 1.master.my-app.app.localspace:8080")
            }
            return (String(host), nil)
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), portRange.contains(port)
        else {
            throw SpaceProxyError(.invalidBackend, "\"\(printable(text))\": the port must be a number from 1 to 65535")
        }
        return (String(host), port)
    }

    /// Lowercases and validates a host: DNS labels of letters, digits and hyphens (1–63 characters, no
    /// leading or trailing hyphen, 253 characters in all), a dotted IPv4 address, or an IPv6 address.
    static func normaliseHost(_ raw: String) -> String? {
        var host = raw.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty, host.utf8.count <= 253 else { return nil }
        if host.contains(":") {
            return isIPv6(host) ? host : nil
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                label.utf8.allSatisfy({ isLetterDigitOrHyphen($0) })
            else { return nil }
        }
        // All-numeric dotted names must be real IPv4 addresses (no 256.1.1.1, no 1.2.3).
        if labels.allSatisfy({ $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }) {
            guard labels.count == 4, labels.allSatisfy({ $0.count <= 3 && Int($0)! <= 255 }) else { return nil }
        }
        return host
    }

    private static func isLetterDigitOrHyphen(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isIPv6(_ host: String) -> Bool {
        guard host.utf8.count <= 45, host.contains(":") else { return false }
        return host.utf8.allSatisfy {
            switch $0 {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: ":"),
                UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }

    /// Whether the host is an IP literal rather than a name.
    public var isIPAddress: Bool {
        host.contains(":") || host.split(separator: ".").allSatisfy { $0.allSatisfy(\.isNumber) }
    }

    /// User input shortened and stripped of control characters, for error messages.
    static func printable(_ text: some StringProtocol) -> String {
        let cleaned = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init))
        return cleaned.count > 80 ? String(cleaned.prefix(80)) + "…" : cleaned
    }
}
