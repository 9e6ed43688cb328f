/// Java's "modified UTF-8" (`DataOutput.writeUTF`): U+0000 as `C0 80`, supplementary
/// characters as two three-byte surrogate encodings.
public enum ModifiedUTF8 {
    /// Encodes `string`; ASCII without NUL is returned as its UTF-8 bytes directly.
    public static func encode(_ string: String) -> [UInt8] {
        if isPlainASCII(string) { return Array(string.utf8) }
        var result: [UInt8] = []
        result.reserveCapacity(string.utf8.count)
        for unit in string.utf16 {
            switch unit {
            case 0x0001...0x007F:
                result.append(UInt8(unit))
            case 0x0000, 0x0080...0x07FF:
                result.append(UInt8(0xC0 | ((unit >> 6) & 0x1F)))
                result.append(UInt8(0x80 | (unit & 0x3F)))
            default:
                result.append(UInt8(0xE0 | ((unit >> 12) & 0x0F)))
                result.append(UInt8(0x80 | ((unit >> 6) & 0x3F)))
                result.append(UInt8(0x80 | (unit & 0x3F)))
            }
        }
        return result
    }

    /// Number of bytes `encode` would produce.
    public static func encodedLength(_ string: String) -> Int {
        if isPlainASCII(string) { return string.utf8.count }
        var length = 0
        for unit in string.utf16 {
            switch unit {
            case 0x0001...0x007F: length += 1
            case 0x0000, 0x0080...0x07FF: length += 2
            default: length += 3
            }
        }
        return length
    }

    /// ASCII without NUL: the same bytes in UTF-8 and in modified UTF-8. One pass over the
    /// string's native UTF-8, no transcoding.
    @inlinable
    public static func isPlainASCII(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { bytes in bytes.allSatisfy { $0 != 0 && $0 < 0x80 } }
    }

    /// Decodes modified UTF-8; `nil` when the bytes are malformed. Inlinable, so that callers in
    /// other modules get a version specialised for their collection type.
    @inlinable
    public static func decode<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        // Fast path: pure ASCII without NUL is identical in both encodings.
        if bytes.allSatisfy({ $0 != 0 && $0 < 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        func next() -> UInt8? {
            guard index != bytes.endIndex else { return nil }
            let byte = bytes[index]
            index = bytes.index(after: index)
            return byte
        }
        while let first = next() {
            switch first >> 4 {
            case 0x0...0x7:
                guard first != 0 else { return nil }
                units.append(UInt16(first))
            case 0xC, 0xD:
                guard let second = next(), second & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(first & 0x1F) << 6 | UInt16(second & 0x3F))
            case 0xE:
                guard let second = next(), second & 0xC0 == 0x80,
                      let third = next(), third & 0xC0 == 0x80 else { return nil }
                units.append(UInt16(first & 0x0F) << 12 | UInt16(second & 0x3F) << 6 | UInt16(third & 0x3F))
            default:
                return nil
            }
        }
        // Lone surrogates are legal in Java strings; they decode to U+FFFD here.
        return String(decoding: units, as: UTF16.self)
    }
}
