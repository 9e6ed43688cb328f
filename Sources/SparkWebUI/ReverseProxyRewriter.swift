/// Keeps a proxied UI's links under the proxy: absolute paths and URLs pointing at the backend,
/// in `Location` headers and in `href`/`src`/`action` attributes of HTML, get the browser-side
/// prefix (`/proxy/<id>` or `<spark.ui.reverseProxyUrl>/proxy/<id>`).
public struct ReverseProxyRewriter: Sendable, Equatable {
    /// What the browser uses for the backend's root, without a trailing `/`.
    public var prefix: String
    /// `http://host:port` of the backend, lowercased.
    public var backendOrigin: String
    /// The path the backend's UI lives under (`""` for the root).
    public var backendBasePath: String

    /// The path part of `prefix`: links already starting with it are left alone (UIs that know
    /// they are proxied write them so).
    var prefixPath: String

    public init(prefix: String, backendURL: String) {
        self.prefix = Self.trimmedBase(prefix)
        let parsed = BackendURL(backendURL)
        backendOrigin = parsed.map { "\($0.scheme)://\($0.authority)".lowercased() } ?? ""
        backendBasePath = parsed.map { Self.trimmedBase($0.path) } ?? ""
        prefixPath = BackendURL(self.prefix).map { Self.trimmedBase($0.path) } ?? self.prefix
    }

    /// `url` without trailing slashes.
    public static func trimmedBase(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// A URL as the browser must use it: absolute paths and backend URLs move under the prefix;
    /// anything else (relative references, other hosts, `//host` references) stays.
    public func rewrite(_ url: String) -> String {
        if url.hasPrefix("/") {
            guard !url.hasPrefix("//") else { return url }
            if url == prefixPath || url.hasPrefix(prefixPath + "/") || url.hasPrefix(prefixPath + "?") { return url }
            return prefix + backendRelative(url)
        }
        guard !backendOrigin.isEmpty, url.lowercased().hasPrefix(backendOrigin) else { return url }
        let rest = url.dropFirst(backendOrigin.count)
        guard rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") || rest.hasPrefix("#") else { return url }
        let path = rest.hasPrefix("/") ? String(rest) : "/" + rest
        return prefix + backendRelative(path)
    }

    /// A `Location` header value.
    public func location(_ value: String) -> String { rewrite(value) }

    /// `path` relative to the backend's base path.
    func backendRelative(_ path: String) -> String {
        guard !backendBasePath.isEmpty else { return path }
        if path == backendBasePath { return "/" }
        if path.hasPrefix(backendBasePath + "/") || path.hasPrefix(backendBasePath + "?") {
            let rest = path.dropFirst(backendBasePath.count)
            return rest.hasPrefix("/") ? String(rest) : "/" + rest
        }
        return path
    }

    /// HTML with `href`, `src` and `action` attribute values rewritten.
    public func html(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 16)
        var index = 0
        var copied = 0
        while index < input.count {
            let byte = input[index]
            guard Self.isSpace(byte), let match = attributeValue(input, after: index + 1) else {
                index += 1
                continue
            }
            let (valueStart, valueEnd, next) = match
            let value = String(decoding: input[valueStart..<valueEnd], as: UTF8.self)
            let rewritten = rewrite(value)
            if rewritten != value {
                output.append(contentsOf: input[copied..<valueStart])
                output.append(contentsOf: Array(rewritten.utf8))
                copied = valueEnd
            }
            index = next
        }
        output.append(contentsOf: input[copied...])
        return output
    }

    private static let attributeNames: [[UInt8]] = ["href", "src", "action", "formaction"].map { Array($0.utf8) }

    /// After whitespace at `start`: a linking attribute's value range and where to continue.
    private func attributeValue(_ input: [UInt8], after start: Int) -> (Int, Int, Int)? {
        for name in Self.attributeNames {
            var index = start
            guard index + name.count < input.count else { continue }
            var matches = true
            for (offset, expected) in name.enumerated() where Self.lower(input[index + offset]) != expected {
                matches = false
                break
            }
            guard matches else { continue }
            index += name.count
            while index < input.count, Self.isSpace(input[index]) { index += 1 }
            guard index < input.count, input[index] == UInt8(ascii: "=") else { return nil }
            index += 1
            while index < input.count, Self.isSpace(input[index]) { index += 1 }
            guard index < input.count else { return nil }
            let quote = input[index]
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                let valueStart = index + 1
                var end = valueStart
                while end < input.count, input[end] != quote { end += 1 }
                guard end < input.count else { return nil }
                return (valueStart, end, end + 1)
            }
            var end = index
            while end < input.count, !Self.isSpace(input[end]), input[end] != UInt8(ascii: ">") { end += 1 }
            return (index, end, end)
        }
        return nil
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

/// `scheme://authority/path?query` split, for the URLs workers and drivers register.
struct BackendURL: Equatable {
    var scheme: String
    /// `host:port` or `host`.
    var authority: String
    var host: String
    var port: Int
    /// Path without query, `""` for none.
    var path: String

    init?(_ text: String) {
        guard let separator = text.firstRange(of: "://") else { return nil }
        scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        authority = String(rest[..<authorityEnd])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let afterAuthority = rest[authorityEnd...]
        let pathEnd = afterAuthority.firstIndex { $0 == "?" || $0 == "#" } ?? afterAuthority.endIndex
        path = String(afterAuthority[..<pathEnd])
        let defaultPort = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let tail = authority[authority.index(after: close)...]
            if tail.isEmpty {
                port = defaultPort
            } else {
                guard tail.hasPrefix(":"), let value = Int(tail.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let value = Int(authority[authority.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            host = authority
            port = defaultPort
        }
        guard !host.isEmpty else { return nil }
    }
}
