/// A fragment of HTML that is safe to emit as is.
///
/// Built by string interpolation: literal text is trusted markup written here, interpolated
/// `String`s are escaped, interpolated `Markup` goes in unchanged. A value from a peer therefore
/// cannot become markup unless someone writes `Markup(unsafeRaw:)`.
///
/// ```
/// let cell: Markup = "<td>\(app.desc.name)</td>"   // the name is escaped
/// ```
public struct Markup: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var html: String

    public init(stringLiteral value: String) { html = value }

    public init(stringInterpolation: Interpolation) { html = stringInterpolation.html }

    /// Markup from text that is already HTML; only for text this module produced.
    init(unsafeRaw html: String) { self.html = html }

    /// Escaped text.
    public static func text(_ text: String) -> Markup { Markup(unsafeRaw: HTML.escape(text)) }

    public static let empty = Markup(unsafeRaw: "")

    public var description: String { html }

    public var isEmpty: Bool { html.isEmpty }

    public static func + (lhs: Markup, rhs: Markup) -> Markup { Markup(unsafeRaw: lhs.html + rhs.html) }

    public static func += (lhs: inout Markup, rhs: Markup) { lhs.html += rhs.html }

    public struct Interpolation: StringInterpolationProtocol {
        var html = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            html.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) { html += literal }

        /// Text: escaped.
        public mutating func appendInterpolation(_ text: String) { html += HTML.escape(text) }

        public mutating func appendInterpolation(_ markup: Markup) { html += markup.html }

        public mutating func appendInterpolation(_ fragments: [Markup]) {
            for fragment in fragments { html += fragment.html }
        }

        public mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) { html += String(number) }
    }
}

extension Array where Element == Markup {
    /// The fragments one after another, with `separator` between them.
    public func joined(separator: Markup = .empty) -> Markup {
        var result = Markup.empty
        for (index, fragment) in enumerated() {
            if index > 0 { result += separator }
            result += fragment
        }
        return result
    }
}
