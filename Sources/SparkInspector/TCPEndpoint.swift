/// An IPv4 or IPv6 address and a TCP port.
public struct TCPEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var address: [UInt8]
    /// The TCP port.
    public var port: UInt16

    /// An endpoint of a 4- or 16-byte address.
    public init(address: [UInt8], port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Whether the address is IPv6.
    public var isIPv6: Bool { address.count == 16 }

    /// Dotted quad, or RFC 5952 text for IPv6 (longest run of zero groups shortened to `::`).
    public var addressText: String {
        guard isIPv6 else { return address.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(address[2 * $0]) << 8 | UInt16(address[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > bestLength, end - index >= 2 {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let text = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return text.joined(separator: ":") }
        let head = text[..<bestStart].joined(separator: ":")
        let tail = text[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// `127.0.0.1:7077` or `[::1]:7077`.
    public var description: String {
        isIPv6 ? "[\(addressText)]:\(port)" : "\(addressText):\(port)"
    }

    public static func < (lhs: TCPEndpoint, rhs: TCPEndpoint) -> Bool {
        if lhs.address != rhs.address {
            if lhs.address.count != rhs.address.count { return lhs.address.count < rhs.address.count }
            return lhs.address.lexicographicallyPrecedes(rhs.address)
        }
        return lhs.port < rhs.port
    }
}
