extension RenderedValue {
    /// The JSON form.
    ///
    /// Typed records are plain objects and lists plain arrays. Java objects carry `@class` and
    /// `@id` before their fields; Java arrays are `{"@class", "@id", "@elements"}`; byte arrays
    /// `{"@class": "[B", "@hex", "@length"}`; block data `{"@blockData": hex, "@length"}`;
    /// back-references `{"@ref": id, "@class"}`; elided parts `{"@elided": reason}`.
    public var json: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return JSONObjectWriter.number(number)
        case .string(let text), .symbol(let text): return JSONObjectWriter.string(text)
        case .bytes(let kind, let shown, let total, let id):
            var object = JSONObjectWriter()
            switch kind {
            case .byteArray:
                object.string("@class", "[B")
                if let id { object.int("@id", id) }
                object.string("@hex", Self.hex(shown[...]))
            case .blockData:
                object.string("@blockData", Self.hex(shown[...]))
            }
            object.int("@length", total)
            return object.json
        case .list(let className, let id, let elements, let omitted):
            let array = "[" + elements.map(\.json).joined(separator: ",") + "]"
            guard className != nil || id != nil || omitted > 0 else { return array }
            var object = JSONObjectWriter()
            if let className { object.string("@class", className) }
            if let id { object.int("@id", id) }
            object.raw("@elements", array)
            if omitted > 0 { object.int("@omitted", omitted) }
            return object.json
        case .record(let className, let id, let fields):
            var object = JSONObjectWriter()
            if let className { object.string("@class", className) }
            if let id { object.int("@id", id) }
            for field in fields {
                object.raw(field.name, field.value.json)
            }
            return object.json
        case .reference(let className, let id):
            var object = JSONObjectWriter()
            object.int("@ref", id)
            object.string("@class", className)
            return object.json
        case .elided(let reason):
            var object = JSONObjectWriter()
            object.string("@elided", reason)
            return object.json
        }
    }
}
