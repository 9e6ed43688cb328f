import SparkModel

/// Writes one JSON object with its keys in the order they are added (strings escaped by `JSONValue.quoted`).
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
    static func string(_ value: String) -> String { JSONValue.quoted(value) }

    /// A JSON number; JSON has no NaN or infinity, so those become strings.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return string(String(value)) }
        // Integral values keep a fraction so readers see a floating-point field.
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) + ".0" }
        return String(value)
    }
}
