import Foundation
import NIOCore
import SparkInspector
import SparkModel
import SparkProtocol
import SparkTestKit
import SparkTransport
import Testing

/// Runs the inspector the way `spark-space decode` does and keeps what it printed.
struct InspectorRun {
    let status: Int32
    let output: CollectedOutput

    var lines: [String] { output.lines }
    var text: String { output.text }

    /// Decodes a file through the same entry point as the command.
    static func file(_ path: String, _ options: InspectorOptions = InspectorOptions()) -> InspectorRun {
        let output = CollectedOutput()
        let status = Inspector.decode(path: path, options: options, output: output)
        return InspectorRun(status: status, output: output)
    }

    /// Decodes bytes in memory.
    static func bytes(_ bytes: [UInt8], name: String = "input", _ options: InspectorOptions = InspectorOptions()) -> InspectorRun {
        let output = CollectedOutput()
        let status = Inspector.decode(bytes: bytes, name: name, options: options, output: output)
        return InspectorRun(status: status, output: output)
    }

    /// The JSON objects of a `--json` run, one per line.
    func jsonObjects() throws -> [[String: Any]] {
        try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)")
        }
    }
}

/// Runs the sans-IO decoder directly and keeps its events.
struct DecodedEvents {
    let events: [InspectorEvent]
    let summary: DecodeSummary

    static func decode(_ bytes: [UInt8], options: InspectorOptions = InspectorOptions(), chunk: Int = 1 << 20) throws -> DecodedEvents {
        var decoder = CaptureDecoder(options: options, inputName: "input")
        var events: [InspectorEvent] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            events += try decoder.feed(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        events += try decoder.finish()
        return DecodedEvents(events: events, summary: decoder.summary)
    }

    var frames: [FrameRecord] {
        events.compactMap { event in
            if case .frame(let record) = event { return record }
            return nil
        }
    }

    var issues: [FlowIssue] {
        events.compactMap { event in
            if case .issue(let issue) = event { return issue }
            return nil
        }
    }

    var errors: [FlowIssue] { issues.filter { $0.severity == .error } }
    var notices: [FlowIssue] { issues.filter { $0.severity == .notice } }
}

/// Files of the repository.
enum Fixtures {
    static func capture(_ name: String) -> URL {
        TestEnvironment.protocolFile("captures/\(name)")
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        Array(try Data(contentsOf: url))
    }

    /// A JVM-written Java stream from `protocol/golden/spark-4.3.0`.
    static func golden(_ name: String) throws -> ByteBuffer {
        let url = TestEnvironment.goldenDirectory().appendingPathComponent("\(name).bin")
        return ByteBuffer(bytes: try bytes(url))
    }

    /// An `RpcRequest` or `OneWayMessage` frame carrying a golden stream in a `RequestMessage`.
    static func requestFrame(_ stream: ByteBuffer, endpoint: String, requestId: Int64? = nil) -> [UInt8] {
        let envelope = RequestMessage(
            senderAddress: RpcAddress(host: "127.0.0.1", port: 7078),
            receiverAddress: RpcAddress(host: "127.0.0.1", port: 7077),
            endpointName: endpoint, content: stream)
        let body = envelope.serialized()
        let frame: TransportFrame = requestId.map { .rpcRequest(requestId: $0, body: body) } ?? .oneWayMessage(body: body)
        return encode(frame)
    }

    static func encode(_ frame: TransportFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        TransportFrameEncoder.write(frame, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// A client's side of a short Spark exchange: CheckExistence ask, RegisterWorker, Heartbeat.
    static func clientStream() throws -> [UInt8] {
        try requestFrame(golden("CheckExistence"), endpoint: "endpoint-verifier", requestId: 42)
            + requestFrame(golden("RegisterWorker-captured"), endpoint: "Master")
            + requestFrame(golden("Heartbeat-captured"), endpoint: "Master")
    }

    /// The server's side: the Boolean reply to request 42.
    static func serverStream() throws -> [UInt8] {
        encode(.rpcResponse(requestId: 42, body: try golden("BooleanTrue")))
    }
}

/// Writes classic pcap files packet by packet.
struct PcapWriter {
    private(set) var bytes: [UInt8] = []
    let bigEndian: Bool
    let nanoseconds: Bool

    init(linkType: UInt32 = 1, bigEndian: Bool = false, nanoseconds: Bool = false, snapLength: UInt32 = 262_144) {
        self.bigEndian = bigEndian
        self.nanoseconds = nanoseconds
        append32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)
        append32(0)
        append32(snapLength)
        append32(linkType)
    }

    mutating func packet(_ data: [UInt8], seconds: UInt32 = 1_800_000_000, fraction: UInt32 = 0, originalLength: Int? = nil) {
        append32(seconds)
        append32(fraction)
        append32(UInt32(data.count))
        append32(UInt32(originalLength ?? data.count))
        bytes += data
    }

    private mutating func append32(_ value: UInt32) {
        let big = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        bytes += bigEndian ? big : big.reversed()
    }

    private mutating func append16(_ value: UInt16) {
        let big = [UInt8(value >> 8), UInt8(value & 0xFF)]
        bytes += bigEndian ? big : big.reversed()
    }
}

/// Builds TCP/IP packets of one connection, keeping both sides' sequence numbers.
struct TCPConversation {
    enum Side { case client, server }

    var clientAddress: [UInt8] = [10, 0, 0, 1]
    var serverAddress: [UInt8] = [10, 0, 0, 2]
    var clientPort: UInt16 = 40_000
    var serverPort: UInt16 = 7077
    var clientSequence: UInt32 = 1000
    var serverSequence: UInt32 = 0xFFFF_FF00
    /// IPv6 when the addresses have 16 bytes.
    var link: Link = .ethernet

    enum Link { case ethernet, rawIP, null, linuxSLL, linuxSLL2 }

    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let ack: UInt8 = 0x10

    /// SYN, SYN-ACK, ACK.
    mutating func handshake() -> [[UInt8]] {
        let first = packet(from: .client, flags: Self.syn, payload: [], sequence: clientSequence &- 1)
        let second = packet(from: .server, flags: Self.syn | Self.ack, payload: [], sequence: serverSequence &- 1)
        let third = packet(from: .client, flags: Self.ack, payload: [])
        return [first, second, third]
    }

    /// Data segments of at most `segmentSize` bytes; advances the sender's sequence number.
    mutating func send(_ data: [UInt8], from side: Side, segmentSize: Int = 1460) -> [[UInt8]] {
        var packets: [[UInt8]] = []
        var start = 0
        while start < data.count {
            let end = min(start + segmentSize, data.count)
            packets.append(packet(from: side, flags: Self.ack, payload: Array(data[start..<end])))
            advance(side, by: end - start)
            start = end
        }
        return packets
    }

    /// A bare acknowledgment of everything the other side sent, plus `extra` bytes.
    func acknowledgment(from side: Side, extra: UInt32 = 0) -> [UInt8] {
        var copy = self
        switch side {
        case .client: copy.serverSequence = serverSequence &+ extra
        case .server: copy.clientSequence = clientSequence &+ extra
        }
        return copy.packet(from: side, flags: Self.ack, payload: [])
    }

    /// FIN from one side.
    mutating func close(from side: Side) -> [UInt8] {
        let packet = packet(from: side, flags: Self.fin | Self.ack, payload: [])
        advance(side, by: 1)
        return packet
    }

    mutating func advance(_ side: Side, by count: Int) {
        switch side {
        case .client: clientSequence &+= UInt32(count)
        case .server: serverSequence &+= UInt32(count)
        }
    }

    func packet(from side: Side, flags: UInt8, payload: [UInt8], sequence: UInt32? = nil) -> [UInt8] {
        let (source, destination, sourcePort, destinationPort, ownSequence, peerSequence) = side == .client
            ? (clientAddress, serverAddress, clientPort, serverPort, clientSequence, serverSequence)
            : (serverAddress, clientAddress, serverPort, clientPort, serverSequence, clientSequence)
        var tcp: [UInt8] = []
        tcp += be16(sourcePort) + be16(destinationPort)
        tcp += be32(sequence ?? ownSequence) + be32(flags & Self.ack != 0 ? peerSequence : 0)
        tcp += [0x50, flags] + be16(65_535) + [0, 0, 0, 0]
        tcp += payload
        let ip: [UInt8]
        let isIPv6 = source.count == 16
        if isIPv6 {
            ip = [0x60, 0, 0, 0] + be16(UInt16(tcp.count)) + [6, 64] + source + destination + tcp
        } else {
            ip = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination + tcp
        }
        let etherType: [UInt8] = isIPv6 ? [0x86, 0xDD] : [0x08, 0x00]
        switch link {
        case .ethernet:
            return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + etherType + ip
        case .rawIP:
            return ip
        case .null:
            return (isIPv6 ? [30, 0, 0, 0] : [2, 0, 0, 0]) + ip
        case .linuxSLL:
            return [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0] + etherType + ip
        case .linuxSLL2:
            return etherType + [0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]  + ip
        }
    }

    private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    private func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
}

/// A pcap of `packets` with timestamps one millisecond apart.
func pcap(_ packets: [[UInt8]], linkType: UInt32 = 1) -> [UInt8] {
    var writer = PcapWriter(linkType: linkType)
    for (index, packet) in packets.enumerated() {
        writer.packet(packet, fraction: UInt32(index * 1000))
    }
    return writer.bytes
}
