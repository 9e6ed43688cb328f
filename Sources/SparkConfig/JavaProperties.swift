/// Parses Java `.properties` text (Spark's `spark-defaults.conf`): `key=value`, `key: value` or
/// `key value`; `#`/`!` comments; backslash line continuations and escapes.
public enum JavaProperties {
    /// Entries in file order; a later duplicate key wins when turned into a dictionary.
    public static func parse(_ text: String) -> [(key: String, value: String)] {
        var entries: [(key: String, value: String)] = []
        var logical = ""
        var continuing = false
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if continuing {
                line = line.drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
            } else {
                let content = line.drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
                if content.isEmpty || content.first == "#" || content.first == "!" { continue }
                line = content
                logical = ""
            }
            // An odd number of trailing backslashes continues the line.
            let trailing = line.reversed().prefix { $0 == "\\" }.count
            if trailing % 2 == 1 {
                logical += line.dropLast()
                continuing = true
                continue
            }
            logical += line
            continuing = false
            entries.append(split(logical))
        }
        if continuing { entries.append(split(logical)) }
        return entries
    }

    private static func split(_ line: String) -> (key: String, value: String) {
        var key = ""
        var index = line.startIndex
        var escaped = false
        while index < line.endIndex {
            let character = line[index]
            if escaped {
                key.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
                key.append(character)
            } else if character == "=" || character == ":" || character == " " || character == "\t" || character == "\u{0C}" {
                break
            } else {
                key.append(character)
            }
            index = line.index(after: index)
        }
        // Skip whitespace, at most one separator, then whitespace.
        var rest = line[index...].drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
        if let first = rest.first, first == "=" || first == ":" {
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
        }
        return (unescape(key), unescape(String(rest)))
    }

    private static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else {
                result.append(character)
                continue
            }
            guard let next = iterator.next() else { break }
            switch next {
            case "t": result.append("\t")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "f": result.append("\u{0C}")
            case "u":
                var hex = ""
                for _ in 0..<4 { if let digit = iterator.next() { hex.append(digit) } }
                if let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) { result.unicodeScalars.append(scalar) }
            default: result.append(next)
            }
        }
        return result
    }
}

/// Extracts `-Dkey=value` system properties from JVM option strings such as `SPARK_MASTER_OPTS`.
public enum JVMOptions {
    /// Splits like a shell: whitespace separates, single and double quotes group, backslash escapes.
    public static func split(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
                inWord = true
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\\":
                escaped = true
            case "\"", "'":
                quote = character
                inWord = true
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// `-Dkey=value` pairs in order (`-Dkey` alone means an empty value).
    public static func systemProperties(_ text: String) -> [(key: String, value: String)] {
        split(text).compactMap { word in
            guard word.hasPrefix("-D"), word.count > 2 else { return nil }
            let body = word.dropFirst(2)
            guard let equals = body.firstIndex(of: "=") else { return (String(body), "") }
            return (String(body[..<equals]), String(body[body.index(after: equals)...]))
        }
    }
}
