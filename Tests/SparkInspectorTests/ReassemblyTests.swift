import NIOCore
import SparkInspector
import SparkTransport
import Testing

/// The TCP reassembler, the frame splitter and link layers, in isolation.
@Suite struct ReassemblyTests {
    static let client = TCPEndpoint(address: [10, 0, 0, 1], port: 40_000)
    static let server = TCPEndpoint(address: [10, 0, 0, 2], port: 7077)

    static func segment(_ sequence: UInt32, _ bytes: [UInt8], flags: TCPSegment.Flags = [.ack]) -> TCPSegment {
        TCPSegment(source: client, destination: server, sequenceNumber: sequence, acknowledgmentNumber: 0, flags: flags, payload: ByteBuffer(bytes: bytes))
    }

    static func delivered(_ outputs: [TCPStreamReassembler.Output]) -> [UInt8] {
        outputs.flatMap { output -> [UInt8] in
            if case .data(let buffer) = output { return Array(buffer.readableBytesView) }
            return []
        }
    }

    @Test func sequenceNumbersWrapAround() {
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1000)
        var bytes: [UInt8] = []
        bytes += Self.delivered(reassembler.receive(Self.segment(0xFFFF_FFFE, [], flags: [.syn])))
        // 0xFFFFFFFF, then 0x00000003 arrives before 0x00000000 (wrapped).
        bytes += Self.delivered(reassembler.receive(Self.segment(0xFFFF_FFFF, [1])))
        bytes += Self.delivered(reassembler.receive(Self.segment(3, [5, 6])))
        bytes += Self.delivered(reassembler.receive(Self.segment(0, [2, 3, 4])))
        bytes += Self.delivered(reassembler.receive(Self.segment(0, [2, 3, 4])))
        #expect(bytes == [1, 2, 3, 4, 5, 6])
        #expect(reassembler.deliveredBytes == 6)
        #expect(reassembler.duplicateSegments == 1)
        #expect(reassembler.outOfOrderSegments == 1)
        #expect(reassembler.finish().isEmpty)
    }

    @Test func overlapsAreTrimmedFromPendingSegments() {
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1000)
        var bytes: [UInt8] = []
        bytes += Self.delivered(reassembler.receive(Self.segment(100, [0, 1], flags: [.ack])))
        bytes += Self.delivered(reassembler.receive(Self.segment(104, [4, 5, 6])))
        bytes += Self.delivered(reassembler.receive(Self.segment(103, [3, 4, 5])))
        bytes += Self.delivered(reassembler.receive(Self.segment(102, [2, 3])))
        #expect(bytes == [0, 1, 2, 3, 4, 5, 6])
    }

    /// Many tiny segments behind a hole hit the segment bound quickly instead of growing forever.
    @Test func manyTinySegmentsBehindAHoleAreBounded() {
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1 << 30)
        _ = reassembler.receive(Self.segment(0, [], flags: [.syn]))
        var gaps: [String] = []
        for index in 0..<(TCPStreamReassembler.maxBufferedSegments + 10) {
            for case .gap(let message) in reassembler.receive(Self.segment(UInt32(index + 2), [UInt8(truncatingIfNeeded: index)])) {
                gaps.append(message)
            }
        }
        #expect(gaps.count == 1)
        #expect(reassembler.stopped)
    }

    /// Segments arriving in reverse order are all held and then delivered in order.
    @Test func reverseOrderDelivers() {
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1 << 20)
        _ = reassembler.receive(Self.segment(0, [], flags: [.syn]))
        var bytes: [UInt8] = []
        for index in stride(from: 999, through: 0, by: -1) {
            bytes += Self.delivered(reassembler.receive(Self.segment(UInt32(index + 1), [UInt8(index % 251)])))
        }
        #expect(bytes == (0..<1000).map { UInt8($0 % 251) })
        #expect(reassembler.pendingBytes == 0)
        #expect(reassembler.finish().isEmpty)
    }

    @Test func finIsCountedAndNotAGap() {
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1000)
        _ = reassembler.receive(Self.segment(9, [], flags: [.syn]))
        _ = reassembler.receive(Self.segment(10, [1, 2, 3], flags: [.ack, .fin]))
        #expect(reassembler.isFinished)
        // The peer acknowledges the data and the FIN: nothing is missing.
        reassembler.peerAcknowledged(14)
        #expect(reassembler.finish().isEmpty)
    }

    /// Frames split at every possible point come out the same (habit 10: drip-feed decoders).
    @Test func frameStreamIsIndependentOfChunking() throws {
        let bytes = try Fixtures.clientStream()
        var whole = SparkFrameStream(maxFrameSize: 1 << 20)
        let expected = whole.append(ByteBuffer(bytes: bytes)).compactMap { output -> Int64? in
            if case .frame(let frame) = output { return frame.offset }
            return nil
        }
        #expect(expected == [0, 191, 191 + 1463])
        for split in stride(from: 1, to: bytes.count, by: 97) {
            var stream = SparkFrameStream(maxFrameSize: 1 << 20)
            let outputs = stream.append(ByteBuffer(bytes: bytes[..<split])) + stream.append(ByteBuffer(bytes: bytes[split...]))
            let offsets = outputs.compactMap { output -> Int64? in
                if case .frame(let frame) = output { return frame.offset }
                return nil
            }
            #expect(offsets == expected, "split at \(split)")
            #expect(stream.finish(reason: "end") == nil)
        }
    }

    /// The same TCP session over every supported link layer, IPv4 and IPv6, and pcap variants.
    @Test(arguments: [
        (TCPConversation.Link.ethernet, UInt32(1)), (.rawIP, 101), (.rawIP, 12), (.null, 0), (.linuxSLL, 113), (.linuxSLL2, 276),
    ])
    func linkLayers(_ link: TCPConversation.Link, _ linkType: UInt32) throws {
        for ipv6 in [false, true] {
            var conversation = TCPConversation(link: link)
            if ipv6 {
                conversation.clientAddress = Array(repeating: 0, count: 15) + [1]
                conversation.serverAddress = [0xFE, 0x80] + Array(repeating: 0, count: 13) + [2]
            }
            var packets = conversation.handshake()
            packets += conversation.send(try Fixtures.clientStream(), from: .client, segmentSize: 500)
            packets += conversation.send(try Fixtures.serverStream(), from: .server)
            let decoded = try DecodedEvents.decode(pcap(packets, linkType: linkType))
            #expect(decoded.frames.map(\.messageName) == ["CheckExistence", "RegisterWorker", "Heartbeat", "Boolean"], "\(link) ipv6=\(ipv6)")
            #expect(decoded.issues.isEmpty)
            let expectedName = ipv6 ? "[::1]:40000 -> [fe80::2]:7077" : "10.0.0.1:40000 -> 10.0.0.2:7077"
            #expect(decoded.summary.connections.first?.connection == expectedName)
        }
    }

    @Test func bigEndianAndNanosecondCaptures() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        packets += conversation.send(try Fixtures.serverStream(), from: .server)
        for (bigEndian, nanoseconds) in [(true, false), (true, true), (false, true)] {
            var writer = PcapWriter(bigEndian: bigEndian, nanoseconds: nanoseconds)
            for packet in packets {
                writer.packet(packet, seconds: 1_800_000_000, fraction: 123_456_789 % (nanoseconds ? 1_000_000_000 : 1_000_000))
            }
            let decoded = try DecodedEvents.decode(writer.bytes)
            #expect(decoded.frames.count == 1)
            let time = try #require(decoded.frames.first?.time)
            #expect(time.isNanosecondPrecision == nanoseconds)
            #expect(time.iso8601 == (nanoseconds ? "2027-01-15T08:00:00.123456789Z" : "2027-01-15T08:00:00.456789Z"))
        }
    }

    @Test func nonTCPPacketsAreCounted() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        // An ARP frame and a UDP datagram.
        packets.append([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06] + Array(repeating: 0, count: 28))
        packets.append([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0,
                        10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0])
        packets += conversation.send(try Fixtures.serverStream(), from: .server)
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.frames.count == 1)
        #expect(decoded.summary.skippedPackets == ["not IP": 1, "not TCP": 1])
        #expect(decoded.summary.packets == 6)
    }
}
