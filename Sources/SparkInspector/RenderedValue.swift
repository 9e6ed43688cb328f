/// A message or object graph prepared for printing, as text or as JSON.
///
/// Typed messages become records without a class name; generic Java graphs keep class names,
/// object numbers (`id`) and back-references to objects printed earlier.
public indirect enum RenderedValue: Sendable, Equatable {
    /// One named member of a record.
    public struct Field: Sendable, Equatable {
        /// The field name (a map key for Scala maps).
        public var name: String
        /// The field's value.
        public var value: RenderedValue

        /// A field called `name`.
        public init(_ name: String, _ value: RenderedValue) {
            self.name = name
            self.value = value
        }
    }

    /// What a run of bytes is.
    public enum BytesKind: Sendable, Equatable {
        /// A Java `byte[]`.
        case byteArray
        /// Block data a `writeObject` or `writeExternal` method wrote.
        case blockData
    }

    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    /// A name printed bare in text (an enumeration value, an address); a string in JSON.
    case symbol(String)
    /// Bytes, of which the first `shown.count` are kept; `total` is the full length.
    case bytes(BytesKind, shown: [UInt8], total: Int, id: Int?)
    /// A list; `className` and `id` are set for Java arrays. `omitted` elements were not rendered.
    case list(className: String?, id: Int?, elements: [RenderedValue], omitted: Int)
    /// A record; `className` and `id` are set for Java objects.
    case record(className: String?, id: Int?, fields: [Field])
    /// An object printed earlier in the same graph (a shared reference or a cycle).
    case reference(className: String, id: Int)
    /// Not rendered; the reason says why (the depth bound).
    case elided(String)

    /// A record of typed fields.
    public static func fields(_ fields: [Field]) -> RenderedValue {
        .record(className: nil, id: nil, fields: fields)
    }

    /// A plain list.
    public static func items(_ elements: [RenderedValue]) -> RenderedValue {
        .list(className: nil, id: nil, elements: elements, omitted: 0)
    }

    /// The value of a record's field, or `nil`.
    public subscript(field name: String) -> RenderedValue? {
        guard case .record(_, _, let fields) = self else { return nil }
        return fields.first { $0.name == name }?.value
    }

    /// The element at `index` of a list, or `nil`.
    public subscript(index index: Int) -> RenderedValue? {
        guard case .list(_, _, let elements, _) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The text of a string or symbol.
    public var text: String? {
        switch self {
        case .string(let value), .symbol(let value): value
        case .null, .bool, .int, .double, .bytes, .list, .record, .reference, .elided: nil
        }
    }

    /// The integer value.
    public var integer: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// Whether this prints on one line in text.
    var isScalar: Bool {
        switch self {
        case .null, .bool, .int, .double, .string, .symbol, .reference, .elided: true
        case .bytes(_, let shown, _, _): shown.count <= 32
        case .list(_, _, let elements, let omitted): elements.isEmpty && omitted == 0
        case .record(_, _, let fields): fields.isEmpty
        }
    }
}
