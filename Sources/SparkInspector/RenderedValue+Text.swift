extension RenderedValue {
    /// Widest single-line form of a list before it is broken into lines.
    static let inlineWidth = 100
    /// Bytes per line of a hex dump.
    static let hexBytesPerLine = 32

    /// Text lines for this value; `prefix` (e.g. `name = `) goes before the first line.
    public func textLines(prefix: String = "", indent: String = "") -> [String] {
        var lines: [String] = []
        appendText(prefix: prefix, indent: indent, into: &lines)
        return lines
    }

    /// Lines for the fields of a record without its braces (a typed message's top level).
    public func fieldLines(indent: String) -> [String] {
        guard case .record(_, _, let fields) = self else { return textLines(indent: indent) }
        var lines: [String] = []
        for field in fields {
            field.value.appendText(prefix: Self.textKey(field.name) + " = ", indent: indent, into: &lines)
        }
        return lines
    }

    func appendText(prefix: String, indent: String, into lines: inout [String]) {
        if let inline = inlineText() {
            lines.append(indent + prefix + inline)
            return
        }
        let inner = indent + "  "
        switch self {
        case .record(let className, let id, let fields):
            lines.append(indent + prefix + Self.header(className, id) + "{")
            for field in fields {
                field.value.appendText(prefix: Self.textKey(field.name) + " = ", indent: inner, into: &lines)
            }
            lines.append(indent + "}")
        case .list(let className, let id, let elements, let omitted):
            lines.append(indent + prefix + Self.header(className, id) + "[")
            for element in elements {
                element.appendText(prefix: "", indent: inner, into: &lines)
            }
            if omitted > 0 { lines.append(inner + "... \(omitted) more") }
            lines.append(indent + "]")
        case .bytes(let kind, let shown, let total, _):
            lines.append(indent + prefix + Self.bytesLabel(kind, total) + " {")
            var start = 0
            while start < shown.count {
                let end = min(start + Self.hexBytesPerLine, shown.count)
                lines.append(inner + Self.hex(shown[start..<end]))
                start = end
            }
            if total > shown.count { lines.append(inner + "... \(total - shown.count) more bytes") }
            lines.append(indent + "}")
        case .null, .bool, .int, .double, .string, .symbol, .reference, .elided:
            // Always inline; handled above.
            lines.append(indent + prefix + (inlineText() ?? ""))
        }
    }

    /// The one-line form, or `nil` when the value needs several lines.
    func inlineText() -> String? {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return Self.quoted(text)
        case .symbol(let text): return text
        case .reference(let className, let id): return "<back-reference #\(id) \(className)>"
        case .elided(let reason): return "<elided: \(reason)>"
        case .bytes(let kind, let shown, let total, _):
            guard shown.count == total, total <= Self.hexBytesPerLine else { return nil }
            return Self.bytesLabel(kind, total) + (total == 0 ? "" : " " + Self.hex(shown[...]))
        case .record(let className, let id, let fields):
            guard fields.isEmpty else { return nil }
            return Self.header(className, id) + "{}"
        case .list(let className, let id, let elements, let omitted):
            guard omitted == 0 else { return nil }
            var parts: [String] = []
            var width = 0
            for element in elements {
                guard element.isScalar, let text = element.inlineText() else { return nil }
                width += text.count + 2
                guard width <= Self.inlineWidth else { return nil }
                parts.append(text)
            }
            return Self.header(className, id) + "[" + parts.joined(separator: ", ") + "]"
        }
    }

    private static func header(_ className: String?, _ id: Int?) -> String {
        guard let className else { return "" }
        guard let id else { return className + " " }
        return "\(className) #\(id) "
    }

    private static func bytesLabel(_ kind: BytesKind, _ total: Int) -> String {
        switch kind {
        case .byteArray: "byte[\(total)]"
        case .blockData: "blockData[\(total)]"
        }
    }

    static func hex(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A field name as printed: bare when it is a plain word, quoted otherwise.
    static func textKey(_ name: String) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_$.@()[]-/:".unicodeScalars.contains(scalar)
        }
        return plain ? name : quoted(name)
    }

    /// A string in double quotes with quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
