/// What a request's `Accept-Encoding` allows (RFC 9110 §12.5.3), as far as gzip is concerned.
public enum AcceptEncoding {
    /// Whether a response may be gzip-encoded for these `Accept-Encoding` values.
    ///
    /// `gzip` (or `x-gzip`, or `*` when gzip is not named) must have a q-value above 0, and not
    /// below an explicitly listed `identity`. No header means no compression, as most
    /// non-browser clients expect plain bodies.
    public static func allowsGzip(_ values: [String]) -> Bool {
        var gzip: Double?
        var identity: Double?
        var wildcard: Double?
        for value in values {
            for element in value.split(separator: ",") {
                let parts = element.split(separator: ";")
                guard let first = parts.first else { continue }
                let coding = first.trimmingASCIIWhitespace().lowercased()
                guard !coding.isEmpty else { continue }
                var q = 1.0
                for parameter in parts.dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, pair[0].trimmingASCIIWhitespace().lowercased() == "q" else { continue }
                    q = qValue(pair[1].trimmingASCIIWhitespace()) ?? 0
                }
                switch coding {
                case "gzip", "x-gzip": gzip = max(gzip ?? 0, q)
                case "identity": identity = q
                case "*": wildcard = q
                default: break
                }
            }
        }
        guard let quality = gzip ?? wildcard, quality > 0 else { return false }
        return quality >= (identity ?? 0)
    }

    /// A q-value: `0`, `0.5`, `1.000`; nil when malformed (the coding then counts as refused).
    static func qValue(_ text: String) -> Double? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(text), (0...1).contains(value)
        else { return nil }
        return value
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> String { String(self).trimmingASCIIWhitespace() }
}
