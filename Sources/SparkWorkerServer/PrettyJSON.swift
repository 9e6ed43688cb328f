import SparkModel

/// A JSON value rendered the way Spark's web UIs print it (json4s `pretty`, i.e. Jackson's default
/// pretty printer): `"key" : value`, two spaces per object level, `[ a, b ]`, `{ }` and `[ ]`.
public indirect enum PrettyJSON: Sendable, Equatable {
    case object([(String, PrettyJSON)])
    case array([PrettyJSON])
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null

    public static func == (lhs: PrettyJSON, rhs: PrettyJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.object, _), (.array, _), (.string, _), (.int, _), (.bool, _), (.null, _): false
        }
    }

    /// The pretty-printed text, without a trailing newline (as Spark serves it).
    public var rendered: String {
        var out = ""
        write(into: &out, depth: 0)
        return out
    }

    private func write(into out: inout String, depth: Int) {
        switch self {
        case .object(let members):
            guard !members.isEmpty else {
                out += "{ }"
                return
            }
            let indent = String(repeating: "  ", count: depth + 1)
            out += "{\n"
            for (index, (key, value)) in members.enumerated() {
                out += indent + Self.quoted(key) + " : "
                value.write(into: &out, depth: depth + 1)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "  ", count: depth) + "}"
        case .array(let elements):
            guard !elements.isEmpty else {
                out += "[ ]"
                return
            }
            out += "[ "
            for (index, element) in elements.enumerated() {
                if index > 0 { out += ", " }
                element.write(into: &out, depth: depth)
            }
            out += " ]"
        case .string(let text):
            out += Self.quoted(text)
        case .int(let value):
            out += String(value)
        case .bool(let value):
            out += value ? "true" : "false"
        case .null:
            out += "null"
        }
    }

    /// Upper-case hex in `\u00XX`, as the JVM worker's JSON writer has it.
    static func quoted(_ text: String) -> String { JSONValue.quoted(text, uppercaseHex: true) }
}
