/// Escaping for the places a value can land in a page: element text, a quoted attribute, a URL.
///
/// Every value a page shows comes from a peer (application names, user names, worker addresses,
/// URLs a driver registered), so nothing is interpolated into markup without going through here.
public enum HTML {
    /// `text` safe inside element content and inside a double- or single-quoted attribute value.
    public static func escape(_ text: String) -> String {
        // Fast path: most values (ids, numbers, states) need no change.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">")
            || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 == 0 })
        else { return text }
        var output = ""
        output.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"": output += "&quot;"
            case "'": output += "&#39;"
            case "\u{0}": output += "\u{FFFD}"
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }

    /// `url` if it is safe to put in an `href`: `http`/`https` or a path, never `javascript:` and the like.
    ///
    /// Worker web UI addresses and application UI URLs arrive in registration messages; a hostile
    /// peer could send `javascript:…`, which must not become a clickable link.
    public static func safeURL(_ url: String) -> String? {
        let trimmed = url.trimmingASCIIWhitespace()
        guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        if trimmed.hasPrefix("/") || trimmed.hasPrefix("./") || trimmed.hasPrefix("../") || trimmed.hasPrefix("?") { return trimmed }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("http://") || lowered.hasPrefix("https://") { return trimmed }
        // A relative reference without a scheme: no ':' before the first '/', '?' or '#'.
        let head = trimmed.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return head.contains(":") ? nil : trimmed
    }

    /// A query component, percent-encoded (RFC 3986 unreserved characters stay as they are).
    public static func queryComponent(_ value: String) -> String {
        var output = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                output += "%" + hexDigit(byte >> 4) + hexDigit(byte & 0xF)
            }
        }
        return output
    }

    /// A path segment, percent-encoded like a query component.
    public static func pathSegment(_ value: String) -> String { queryComponent(value) }

    /// `?key=value&…` with every component encoded.
    public static func query(_ parameters: [(String, String)]) -> String {
        guard !parameters.isEmpty else { return "" }
        return "?" + parameters.map { queryComponent($0.0) + "=" + queryComponent($0.1) }.joined(separator: "&")
    }

    private static func hexDigit(_ value: UInt8) -> String {
        String(UnicodeScalar(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10))
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
