/// A JSON document with ordered keys, printed the way Spark's status endpoints print it
/// (Jackson's default pretty printer), so `/json` output reads like the JVM daemons'.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.elementsEqual(b) { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// An integer of any width.
    public static func number<T: BinaryInteger>(_ value: T) -> JSONValue { .int(Int64(value)) }

    /// Pretty-printed text.
    public var prettyPrinted: String {
        var output = ""
        write(into: &output, indent: 0)
        return output
    }

    private func write(into output: inout String, indent: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .double(let value):
            output += value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) + ".0" : String(value)) : "null"
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output += "[ ]"
                return
            }
            output += "[ "
            for (index, element) in elements.enumerated() {
                if index > 0 { output += ", " }
                element.write(into: &output, indent: indent)
            }
            output += " ]"
        case .object(let fields):
            guard !fields.isEmpty else {
                output += "{ }"
                return
            }
            output += "{\n"
            let padding = String(repeating: " ", count: (indent + 1) * 2)
            for (index, (key, value)) in fields.enumerated() {
                output += padding
                Self.writeString(key, into: &output)
                output += " : "
                value.write(into: &output, indent: indent + 1)
                output += index == fields.count - 1 ? "\n" : ",\n"
            }
            output += String(repeating: " ", count: indent * 2) + "}"
        }
    }

    private static func writeString(_ value: String, into output: inout String) {
        output += quoted(value)
    }

    /// A JSON string literal (RFC 8259 escaping; non-ASCII characters are kept as UTF-8). Other
    /// control characters become `\u00xx`, with hex digits in upper case when `uppercaseHex`.
    public static func quoted(_ value: String, uppercaseHex: Bool = false) -> String {
        var output = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16, uppercase: uppercaseHex)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}
