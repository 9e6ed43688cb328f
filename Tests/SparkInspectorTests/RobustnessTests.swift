import Foundation
import SparkInspector
import Testing

/// Damaged, hostile and odd inputs: clear lines and exit statuses, never a crash or a hang.
@Suite struct RobustnessTests {
    @Test func truncatedCaptureKeepsEarlierFramesAndFails() throws {
        let bytes = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        let run = InspectorRun.bytes(Array(bytes.prefix(bytes.count / 2)))
        #expect(run.status == 1)
        #expect(run.lines.contains { $0.hasPrefix("!! ERROR [capture]") && $0.contains("the capture is cut short") })
        #expect(run.lines.contains { $0.hasPrefix("#0 ") })
    }

    @Test func captureCutInsideItsHeaderIsUnreadable() throws {
        let bytes = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        let run = InspectorRun.bytes(Array(bytes.prefix(10)))
        #expect(run.status == 2)
        #expect(run.lines.isEmpty)
        #expect(run.output.diagnostics.first?.contains("ends inside the pcap global header") == true)
    }

    @Test func garbageIsRefused() {
        var generator = SystemRandomNumberGenerator()
        var garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        garbage[8] = 0xFF // never a frame type
        let run = InspectorRun.bytes(garbage)
        #expect(run.status == 2)
        #expect(run.output.diagnostics.first?.contains("neither a pcap capture nor a Spark RPC byte stream") == true)
    }

    @Test func emptyMissingAndDirectoryInputs() throws {
        #expect(InspectorRun.bytes([]).status == 2)
        let missing = InspectorRun.file("/nonexistent/capture.pcap")
        #expect(missing.status == 2)
        #expect(missing.output.diagnostics.first?.contains("no such file") == true)
        let directory = InspectorRun.file(NSTemporaryDirectory())
        #expect(directory.status == 2)
    }

    @Test func pcapngIsRefusedWithAHint() {
        let block: [UInt8] = [0x0A, 0x0D, 0x0D, 0x0A, 0x1C, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A] + Array(repeating: 0, count: 16)
        let run = InspectorRun.bytes(block)
        #expect(run.status == 2)
        #expect(run.output.diagnostics.first?.contains("pcapng") == true)
        #expect(run.output.diagnostics.first?.contains("editcap") == true)
    }

    @Test func unsupportedLinkTypeIsRefused() {
        let run = InspectorRun.bytes(PcapWriter(linkType: 105).bytes)
        #expect(run.status == 2)
        #expect(run.output.diagnostics.first?.contains("link type 105") == true)
    }

    @Test func forcedPcapOnOtherBytesIsUnreadable() throws {
        let run = InspectorRun.bytes(try Fixtures.clientStream(), InspectorOptions(format: .pcap))
        #expect(run.status == 2)
        #expect(run.output.diagnostics.first?.contains("pcap magic is") == true)
    }

    @Test func badOptionsAreUsageErrors() throws {
        let run = InspectorRun.bytes(try Fixtures.clientStream(), InspectorOptions(maxFrameSize: 4))
        #expect(run.status == 2)
    }

    @Test func nonSparkFlowIsReportedOnceAndSkipped() throws {
        var spark = TCPConversation()
        var packets = spark.handshake()
        packets += spark.send(try Fixtures.clientStream(), from: .client)
        packets += spark.send(try Fixtures.serverStream(), from: .server)
        var web = TCPConversation(clientPort: 50_000, serverPort: 80)
        packets += web.handshake()
        packets += web.send(Array("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n".utf8), from: .client)
        packets += web.send(Array(repeating: UInt8(ascii: "a"), count: 5000), from: .server, segmentSize: 1000)
        packets += web.send(Array("GET /again HTTP/1.1\r\n\r\n".utf8), from: .client)

        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.frames.count == 4)
        #expect(decoded.notices.count == 2)
        #expect(decoded.notices.allSatisfy { $0.flow?.connectionIndex == 1 && $0.message.hasPrefix("not Spark RPC") })
        #expect(decoded.summary.skippedFlows == 2)
        #expect(decoded.summary.exitStatus == 0)
        #expect(decoded.summary.connections[1].skippedDirections == [.clientToServer, .serverToClient])

        let run = InspectorRun.bytes(pcap(packets))
        #expect(run.status == 0)
        #expect(run.lines.filter { $0.hasPrefix("-- NOTE [c1 10.0.0.1:50000 -> 10.0.0.2:80") }.count == 2)
        let json = try InspectorRun.bytes(pcap(packets), InspectorOptions(json: true)).jsonObjects()
        let notices = json.filter { $0["kind"] as? String == "notice" }
        #expect(notices.count == 2)
        #expect(notices.allSatisfy { $0["error"] is NSNull && $0["notice"] is String })
    }

    @Test func outOfOrderAndDuplicatedSegmentsReassemble() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        var data = conversation.send(try Fixtures.clientStream(), from: .client, segmentSize: 200)
        #expect(data.count > 8)
        // Swap neighbours, repeat some segments, deliver one late.
        data.swapAt(1, 2)
        data.swapAt(4, 5)
        data.insert(data[0], at: 3)
        data.append(data[6])
        let late = data.remove(at: 7)
        data.insert(late, at: data.count - 1)
        packets += data
        packets += conversation.send(try Fixtures.serverStream(), from: .server, segmentSize: 10)
        packets.append(conversation.close(from: .client))
        packets.append(conversation.close(from: .server))

        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        #expect(decoded.frames.map(\.messageName) == ["CheckExistence", "RegisterWorker", "Heartbeat", "Boolean"])
        #expect(decoded.summary.duplicateSegments >= 2)
        #expect(decoded.summary.outOfOrderSegments >= 2)
        #expect(decoded.summary.exitStatus == 0)
    }

    @Test func overlappingRetransmissionIsTrimmed() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        let stream = try Fixtures.clientStream()
        let start = conversation.clientSequence
        packets += conversation.send(Array(stream[0..<300]), from: .client)
        // A retransmission that repeats 100 old bytes and carries 200 new ones.
        packets.append(conversation.packet(from: .client, flags: TCPConversation.ack, payload: Array(stream[200..<500]), sequence: start &+ 200))
        conversation.advance(.client, by: 200)
        packets += conversation.send(Array(stream[500...]), from: .client)
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        #expect(decoded.frames.count == 3)
    }

    @Test func frameClaimingATerabyteStopsTheFlow() throws {
        var hostile: [UInt8] = [0, 0, 1, 0, 0, 0, 0, 0, 3] // 2^40 bytes, RpcRequest
        hostile += Array(repeating: 0x41, count: 64)
        // After a good frame: a decoding failure of that direction.
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        packets += conversation.send(try Fixtures.clientStream() + hostile, from: .client)
        packets += conversation.send(try Fixtures.serverStream(), from: .server)
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.frames.count == 4)
        #expect(decoded.errors.count == 1)
        #expect(decoded.errors.first?.message.contains("frame length 1099511627776 is out of range") == true)
        #expect(decoded.errors.first?.message.contains("decoding of this direction stops") == true)
        #expect(decoded.summary.exitStatus == 1)

        // First thing on a connection: that flow is not Spark RPC.
        var other = TCPConversation()
        var first = other.handshake()
        first += other.send(hostile, from: .client)
        let skipped = try DecodedEvents.decode(pcap(first))
        #expect(skipped.frames.isEmpty)
        #expect(skipped.notices.count == 1)
        #expect(skipped.notices.first?.message.contains("1099511627776") == true)

        // In a raw stream, after good frames.
        let raw = InspectorRun.bytes(try Fixtures.clientStream() + hostile)
        #expect(raw.status == 1)
        #expect(raw.text.contains("frame length 1099511627776"))
        // And a size limit set lower than a real frame.
        let limited = try DecodedEvents.decode(try Fixtures.clientStream(), options: InspectorOptions(maxFrameSize: 1000))
        #expect(limited.frames.count == 1)
        #expect(limited.errors.first?.message.contains("exceeds the 1000-byte limit") == true)
    }

    @Test func unknownFrameTypeMidStreamFails() throws {
        var bytes = try Fixtures.clientStream()
        bytes += [0, 0, 0, 0, 0, 0, 0, 20, 99] + Array(repeating: 0, count: 11)
        let decoded = try DecodedEvents.decode(bytes)
        #expect(decoded.frames.count == 3)
        #expect(decoded.errors.first?.message.contains("frame type 99") == true)
    }

    @Test func acknowledgedButUncapturedBytesAreAGap() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        var data = conversation.send(try Fixtures.clientStream(), from: .client, segmentSize: 300)
        let lost = data.remove(at: 2)
        _ = lost
        packets += data
        packets.append(conversation.acknowledgment(from: .server))
        packets += conversation.send(try Fixtures.serverStream(), from: .server)
        packets += conversation.send(try Fixtures.clientStream(), from: .client)
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.errors.count == 1)
        let gap = try #require(decoded.errors.first)
        #expect(gap.message.contains("TCP gap"))
        #expect(gap.message.contains("missing 300 bytes at stream offset 600"))
        #expect(gap.flow?.direction == .clientToServer)
        // The reply in the other direction still decodes.
        #expect(decoded.frames.contains { $0.messageName == "Boolean" })
        #expect(decoded.summary.exitStatus == 1)
    }

    @Test func holeAtTheEndOfTheCaptureIsAGap() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        var data = conversation.send(try Fixtures.clientStream(), from: .client, segmentSize: 300)
        data.remove(at: 1)
        packets += data
        let decoded = try DecodedEvents.decode(pcap(packets))
        // Only the first frame (191 bytes) lies before the hole.
        #expect(decoded.frames.map(\.messageName) == ["CheckExistence"])
        #expect(decoded.errors.count == 1)
        #expect(decoded.errors.first?.message.contains("hole of 300 bytes at stream offset 300") == true)
    }

    @Test func reassemblyBufferIsBounded() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        var data = conversation.send(try Fixtures.clientStream(), from: .client, segmentSize: 100)
        data.remove(at: 0)
        packets += data
        let decoded = try DecodedEvents.decode(pcap(packets), options: InspectorOptions(maxReassemblyBytes: 1000))
        #expect(decoded.errors.count == 1)
        #expect(decoded.errors.first?.message.contains("more than 1000 out-of-order bytes") == true)
    }

    @Test func snapLengthCutIsAGap() throws {
        var conversation = TCPConversation()
        var packets = conversation.handshake()
        packets += conversation.send(try Fixtures.clientStream(), from: .client)
        // Cut the second data packet to 100 bytes as a small snap length would.
        var writer = PcapWriter(snapLength: 100)
        for (index, packet) in packets.enumerated() {
            if index == 4 {
                writer.packet(Array(packet.prefix(100)), originalLength: packet.count)
            } else {
                writer.packet(packet)
            }
        }
        let decoded = try DecodedEvents.decode(writer.bytes)
        #expect(decoded.errors.count == 1)
        #expect(decoded.errors.first?.message.contains("snap length") == true)
    }

    @Test func resetAndReusedPortsStartANewConnection() throws {
        var first = TCPConversation()
        var packets = first.handshake()
        packets += first.send(try Fixtures.clientStream(), from: .client)
        packets.append(first.packet(from: .server, flags: TCPConversation.rst, payload: []))
        var second = TCPConversation(clientSequence: 777_777)
        packets += second.handshake()
        packets += second.send(try Fixtures.clientStream(), from: .client)
        packets.append(second.close(from: .client))
        packets.append(second.close(from: .server))
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        #expect(decoded.frames.count == 6)
        #expect(decoded.summary.connections.count == 2)
        #expect(Set(decoded.frames.map(\.flow.connectionIndex)) == [0, 1])
    }

    @Test func captureStartingMidConnection() throws {
        var conversation = TCPConversation()
        _ = conversation.handshake()
        _ = conversation.send(Array(try Fixtures.clientStream().prefix(50)), from: .client)
        // The capture starts 50 bytes into the stream, inside the first frame.
        let packets = conversation.send(Array(try Fixtures.clientStream().dropFirst(50)), from: .client)
        let decoded = try DecodedEvents.decode(pcap(packets))
        #expect(decoded.frames.isEmpty)
        #expect(decoded.notices.first?.message.contains("began mid-connection") == true)
        // Without a SYN the side with the lower port is taken for the server.
        #expect(decoded.summary.connections.first?.connection == "10.0.0.1:40000 -> 10.0.0.2:7077")
    }

    @Test func connectionLimitIsEnforced() throws {
        var packets: [[UInt8]] = []
        for port in 0..<3 {
            var conversation = TCPConversation(clientPort: UInt16(41_000 + port))
            packets += conversation.handshake()
            packets += conversation.send(try Fixtures.serverStream(), from: .server)
        }
        let decoded = try DecodedEvents.decode(pcap(packets), options: InspectorOptions(maxConnections: 2))
        #expect(decoded.frames.count == 2)
        #expect(decoded.errors.count == 1)
        #expect(decoded.summary.ignoredConnections == 1)
    }

    @Test func deepObjectGraphIsBoundedByTheReaderLimits() throws {
        let bytes = Fixtures.requestFrame(try Fixtures.golden("RegisterApplication-captured"), endpoint: "Master")
        var limits = InspectorOptions().readerLimits
        limits.maxDepth = 3
        let decoded = try DecodedEvents.decode(bytes, options: InspectorOptions(readerLimits: limits))
        #expect(decoded.frames.count == 1)
        #expect(decoded.frames[0].error?.contains("limitExceeded") == true)
        #expect(decoded.summary.exitStatus == 1)
    }

    /// Random damage to a real capture: always an answer, and any exit status is 0, 1 or 2.
    @Test func randomlyDamagedCapturesNeverCrash() throws {
        let original = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<40 {
            var damaged = original
            for _ in 0..<20 {
                let index = Int.random(in: 24..<damaged.count, using: &generator)
                damaged[index] = UInt8.random(in: 0...255, using: &generator)
            }
            let cut = Int.random(in: damaged.count / 2..<damaged.count, using: &generator)
            let run = InspectorRun.bytes(Array(damaged.prefix(cut)), InspectorOptions(json: true))
            #expect([0, 1, 2].contains(run.status))
            _ = try run.jsonObjects()
        }
    }
}

/// A small deterministic generator (xorshift) for repeatable damage.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 1 : seed }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
