/// An `http:` or `https:` URL as a request needs it: whether TLS is used, the host and port to
/// connect to, and the origin-form target (path and query) to ask for. Redirect `Location`s are
/// resolved against it as RFC 3986 §5.2 resolves references. A user name and password in the
/// authority are dropped (Java's `URLConnection` does not send them either), and so is the fragment.
public struct HTTPLocation: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    /// Without the brackets of an IPv6 literal.
    public var host: String
    public var port: Int
    /// `/path?query`, as written (escapes kept); never empty.
    public var target: String

    /// The longest URL accepted, in bytes.
    public static let maximumLength = 8192

    public init(secure: Bool, host: String, port: Int, target: String) {
        self.secure = secure
        self.host = host
        self.port = port
        self.target = target
    }

    /// Nil unless `text` is an absolute `http:`/`https:` URL with a host and a valid port, without
    /// spaces or control characters.
    public init?(_ text: String) {
        guard text.utf8.count <= Self.maximumLength, let colon = text.firstIndex(of: ":") else { return nil }
        switch text[..<colon].lowercased() {
        case "http": secure = false
        case "https": secure = true
        default: return nil
        }
        let rest = text[text.index(after: colon)...]
        guard rest.hasPrefix("//") else { return nil }
        let afterSlashes = rest.dropFirst(2)
        let authorityEnd = afterSlashes.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterSlashes.endIndex
        var authority = afterSlashes[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard let (host, port) = Self.hostAndPort(authority, secure: secure),
              let target = Self.target(afterSlashes[authorityEnd...])
        else { return nil }
        self.host = host
        self.port = port
        self.target = target
    }

    /// Whether the host is an IP literal (no name to send in TLS's server name indication).
    public var hostIsAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." } && host.split(separator: ".").count == 4)
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    public var description: String { (secure ? "https://" : "http://") + hostHeader + target }

    /// Where a redirect's `Location` points, relative to this URL; nil when it is not an HTTP(S)
    /// URL one could request.
    public func resolving(_ reference: String) -> HTTPLocation? {
        guard reference.utf8.count <= Self.maximumLength else { return nil }
        if let colon = reference.firstIndex(of: ":"),
           let first = reference.first, first.isLetter,
           reference[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
            return HTTPLocation(reference)
        }
        if reference.hasPrefix("//") { return HTTPLocation((secure ? "https:" : "http:") + reference) }
        var reference = Substring(reference)
        if let hash = reference.firstIndex(of: "#") { reference = reference[..<hash] }
        let (basePath, baseQuery) = Self.split(target)
        let (path, query) = Self.split(reference)
        var resolved: String
        if path.isEmpty {
            resolved = basePath + (query ?? baseQuery ?? "")
        } else {
            let merged = path.hasPrefix("/") ? path : String(basePath[..<(basePath.lastIndex(of: "/").map { basePath.index(after: $0) } ?? basePath.startIndex)]) + path
            resolved = Self.removingDotSegments(merged) + (query ?? "")
        }
        guard let target = Self.target(Substring(resolved)) else { return nil }
        var location = self
        location.target = target
        return location
    }

    /// `(path, "?query")` of a target or reference.
    private static func split<S: StringProtocol>(_ text: S) -> (String, String?) {
        guard let question = text.firstIndex(of: "?") else { return (String(text), nil) }
        return (String(text[..<question]), String(text[question...]))
    }

    private static func hostAndPort(_ authority: Substring, secure: Bool) -> (String, Int)? {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) else { return nil }
        }
        var port = secure ? 443 : 80
        if let portText, !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText),
                  (1...65535).contains(value)
            else { return nil }
            port = value
        }
        return (String(host), port)
    }

    /// The origin-form target of what follows the authority: `/` for nothing, the fragment dropped,
    /// bytes beyond ASCII percent-encoded; nil for spaces and control characters.
    private static func target(_ rest: Substring) -> String? {
        var rest = rest
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var bytes: [UInt8] = rest.hasPrefix("/") ? [] : [UInt8(ascii: "/")]
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in rest.utf8 {
            switch byte {
            case 0...0x20, 0x7F: return nil
            case 0x80...:
                bytes += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// RFC 3986 §5.2.4 on an absolute path.
    static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            switch segment {
            case ".":
                if last { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if last { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }
}
