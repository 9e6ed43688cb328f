import NIOCore

/// Takes a captured packet apart down to its TCP segment: link layer, IPv4 or IPv6, TCP.
public enum PacketParser {
    /// Why a packet carries no TCP segment the inspector can use.
    public enum Skip: Sendable, Equatable {
        /// ARP, LLDP and other non-IP link payloads.
        case notIP
        /// UDP, ICMP and other IP protocols.
        case notTCP
        /// An IP fragment (fragments are not reassembled).
        case fragment
        /// Headers that contradict themselves or are cut short.
        case malformed(String)
    }

    /// What a packet held.
    public enum Outcome: Sendable {
        case segment(TCPSegment)
        case skipped(Skip)
    }

    private static let etherTypeIPv4: UInt16 = 0x0800
    private static let etherTypeIPv6: UInt16 = 0x86DD

    /// Parses one record's bytes; `originalLength` is the length on the wire.
    public static func parse(_ data: ByteBuffer, linkLayer: LinkLayer, originalLength: Int) -> Outcome {
        let bytes = Array(data.readableBytesView)
        let ipStart: Int
        switch linkLayer {
        case .null:
            guard bytes.count >= 4 else { return .skipped(.malformed("loopback header cut short")) }
            // The family is in the capturing host's byte order; the IP version nibble settles it.
            ipStart = 4
        case .ethernet:
            guard bytes.count >= 14 else { return .skipped(.malformed("Ethernet header cut short")) }
            var typeOffset = 12
            var etherType = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
            var tags = 0
            while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
                tags += 1
                typeOffset += 4
                guard tags <= 2, bytes.count >= typeOffset + 2 else {
                    return .skipped(.malformed("VLAN tags cut short"))
                }
                etherType = UInt16(bytes[typeOffset]) << 8 | UInt16(bytes[typeOffset + 1])
            }
            guard etherType == etherTypeIPv4 || etherType == etherTypeIPv6 else { return .skipped(.notIP) }
            ipStart = typeOffset + 2
        case .rawIP:
            ipStart = 0
        case .linuxSLL:
            guard bytes.count >= 16 else { return .skipped(.malformed("Linux cooked header cut short")) }
            let protocolType = UInt16(bytes[14]) << 8 | UInt16(bytes[15])
            guard protocolType == etherTypeIPv4 || protocolType == etherTypeIPv6 else { return .skipped(.notIP) }
            ipStart = 16
        case .linuxSLL2:
            guard bytes.count >= 20 else { return .skipped(.malformed("Linux cooked v2 header cut short")) }
            let protocolType = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            guard protocolType == etherTypeIPv4 || protocolType == etherTypeIPv6 else { return .skipped(.notIP) }
            ipStart = 20
        }
        guard bytes.count > ipStart else { return .skipped(.malformed("no IP header")) }
        let wireLength = Swift.max(originalLength - ipStart, bytes.count - ipStart)
        switch bytes[ipStart] >> 4 {
        case 4: return parseIPv4(bytes, at: ipStart, wireLength: wireLength, data: data)
        case 6: return parseIPv6(bytes, at: ipStart, wireLength: wireLength, data: data)
        default: return .skipped(.notIP)
        }
    }

    private static func parseIPv4(_ bytes: [UInt8], at start: Int, wireLength: Int, data: ByteBuffer) -> Outcome {
        guard bytes.count >= start + 20 else { return .skipped(.malformed("IPv4 header cut short")) }
        let headerLength = Int(bytes[start] & 0x0F) * 4
        guard headerLength >= 20 else { return .skipped(.malformed("IPv4 header length \(headerLength) is below 20")) }
        guard bytes.count >= start + headerLength else { return .skipped(.malformed("IPv4 options cut short")) }
        var totalLength = Int(UInt16(bytes[start + 2]) << 8 | UInt16(bytes[start + 3]))
        // Segmentation offload writes 0 here; the wire length is all there is then.
        if totalLength == 0 { totalLength = wireLength }
        guard totalLength >= headerLength else {
            return .skipped(.malformed("IPv4 total length \(totalLength) is below its header length \(headerLength)"))
        }
        let fragmentField = UInt16(bytes[start + 6]) << 8 | UInt16(bytes[start + 7])
        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = fragmentField & 0x1FFF
        guard bytes[start + 9] == 6 else { return .skipped(.notTCP) }
        guard !moreFragments, fragmentOffset == 0 else { return .skipped(.fragment) }
        let source = Array(bytes[(start + 12)..<(start + 16)])
        let destination = Array(bytes[(start + 16)..<(start + 20)])
        return parseTCP(
            bytes, at: start + headerLength, end: start + totalLength, source: source, destination: destination, data: data)
    }

    private static func parseIPv6(_ bytes: [UInt8], at start: Int, wireLength: Int, data: ByteBuffer) -> Outcome {
        guard bytes.count >= start + 40 else { return .skipped(.malformed("IPv6 header cut short")) }
        var payloadLength = Int(UInt16(bytes[start + 4]) << 8 | UInt16(bytes[start + 5]))
        // Jumbograms and offloaded segments carry 0; the wire length is all there is then.
        if payloadLength == 0 { payloadLength = wireLength - 40 }
        let end = start + 40 + payloadLength
        let source = Array(bytes[(start + 8)..<(start + 24)])
        let destination = Array(bytes[(start + 24)..<(start + 40)])
        var nextHeader = bytes[start + 6]
        var offset = start + 40
        var extensions = 0
        while nextHeader != 6 {
            extensions += 1
            guard extensions <= 8 else { return .skipped(.malformed("more than 8 IPv6 extension headers")) }
            guard bytes.count >= offset + 8 else { return .skipped(.malformed("IPv6 extension header cut short")) }
            switch nextHeader {
            case 0, 43, 60:
                // Hop-by-hop, routing, destination options: length in 8-byte units beyond the first 8.
                let length = (Int(bytes[offset + 1]) + 1) * 8
                nextHeader = bytes[offset]
                offset += length
            case 44:
                let field = UInt16(bytes[offset + 2]) << 8 | UInt16(bytes[offset + 3])
                guard field & 0xFFF9 == 0 else { return .skipped(.fragment) }
                nextHeader = bytes[offset]
                offset += 8
            case 51:
                // Authentication header: length in 4-byte units, minus 2.
                let length = (Int(bytes[offset + 1]) + 2) * 4
                nextHeader = bytes[offset]
                offset += length
            default:
                return .skipped(.notTCP)
            }
        }
        guard offset <= end else { return .skipped(.malformed("IPv6 extension headers exceed the payload length")) }
        return parseTCP(bytes, at: offset, end: end, source: source, destination: destination, data: data)
    }

    private static func parseTCP(
        _ bytes: [UInt8], at start: Int, end: Int, source: [UInt8], destination: [UInt8], data: ByteBuffer
    ) -> Outcome {
        guard bytes.count >= start + 20 else { return .skipped(.malformed("TCP header cut short")) }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) }
        let dataOffset = Int(bytes[start + 12] >> 4) * 4
        guard dataOffset >= 20 else { return .skipped(.malformed("TCP data offset \(dataOffset) is below 20")) }
        guard end >= start + dataOffset else {
            return .skipped(.malformed("TCP header of \(dataOffset) bytes exceeds the IP payload"))
        }
        guard bytes.count >= start + dataOffset else { return .skipped(.malformed("TCP options cut short")) }
        let payloadStart = start + dataOffset
        let capturedEnd = Swift.min(end, bytes.count)
        let payload = data.getSlice(at: data.readerIndex + payloadStart, length: capturedEnd - payloadStart)!
        return .segment(TCPSegment(
            source: TCPEndpoint(address: source, port: u16(start)),
            destination: TCPEndpoint(address: destination, port: u16(start + 2)),
            sequenceNumber: u32(start + 4),
            acknowledgmentNumber: u32(start + 8),
            flags: TCPSegment.Flags(rawValue: bytes[start + 13] & 0x17),
            payload: payload,
            missingPayloadBytes: end - capturedEnd))
    }
}
