/// Writes one JSON object with its keys in the order they are added, escaping strings by hand.
struct JSONObjectWriter {
    private var text = "{"
    private var empty = true

    /// Adds a member whose value is already JSON text.
    mutating func raw(_ key: String, _ json: String) {
        if !empty { text += "," }
        empty = false
        text += Self.string(key)
        text += ":"
        text += json
    }

    mutating func string(_ key: String, _ value: String?) {
        raw(key, value.map(Self.string) ?? "null")
    }

    mutating func int(_ key: String, _ value: Int64?) {
        raw(key, value.map { String($0) } ?? "null")
    }

    mutating func int(_ key: String, _ value: Int?) {
        raw(key, value.map { String($0) } ?? "null")
    }

    mutating func bool(_ key: String, _ value: Bool) {
        raw(key, value ? "true" : "false")
    }

    /// The finished object.
    var json: String { text + "}" }

    /// A JSON string literal (RFC 8259 escaping; non-ASCII characters are kept as UTF-8).
    static func string(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let digits = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// A JSON number; JSON has no NaN or infinity, so those become strings.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return string(String(value)) }
        // Integral values keep a fraction so readers see a floating-point field.
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) + ".0" }
        return String(value)
    }
}
