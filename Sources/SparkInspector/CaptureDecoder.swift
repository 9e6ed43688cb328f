import NIOCore

/// Decodes a pcap capture or a raw Spark RPC byte stream, fed in pieces, into listing events.
///
/// No I/O: the caller reads the input and hands over the bytes, then calls `finish()`. Problems
/// that make the input unreadable throw `InspectorError`; everything else is an event.
public struct CaptureDecoder: Sendable {
    private enum Mode: Sendable {
        case detecting
        case pcap
        case raw
        case finished
    }

    /// What to decode and the bounds to apply.
    public let options: InspectorOptions
    /// Names the raw stream's flow in the listing.
    public let inputName: String
    private var mode = Mode.detecting
    private var head = ByteBuffer()
    private var pcap = PcapReader()
    private var linkLayer = LinkLayer.ethernet
    private var rawStream: SparkFrameStream
    private var builder: FlowEventBuilder
    private var connections: [TCPConnection] = []
    private var lookup: [TCPConnection.Key: Int] = [:]
    private var ignored: Set<TCPConnection.Key> = []
    private var openConnections = 0
    private var connectionLimitReported = false
    private var lastTime: CaptureTime?

    /// Bytes needed to tell the formats apart (a pcap global header).
    static let detectionLength = 24

    /// A decoder for one input; `inputName` labels a raw stream in the listing.
    public init(options: InspectorOptions, inputName: String) {
        self.options = options
        self.inputName = inputName
        self.rawStream = SparkFrameStream(maxFrameSize: options.maxFrameSize)
        let renderer = JavaValueRenderer(maxDepth: options.maxRenderDepth)
        self.builder = FlowEventBuilder(
            inspector: FrameInspector(readerLimits: options.readerLimits, renderer: renderer), isRawInput: false)
    }

    /// Totals so far; complete after `finish()`.
    public var summary: DecodeSummary { builder.summary }

    /// The flow a raw stream is listed under.
    public var rawFlow: FlowReference {
        let direction: FlowReference.Direction
        switch options.direction {
        case .both: direction = .unknown
        case .client: direction = .clientToServer
        case .server: direction = .serverToClient
        }
        return FlowReference(connectionIndex: 0, connection: inputName, direction: direction)
    }

    /// Feeds the next bytes of the input.
    public mutating func feed(_ bytes: ByteBuffer) throws(InspectorError) -> [InspectorEvent] {
        switch mode {
        case .detecting:
            var bytes = bytes
            head.writeBuffer(&bytes)
            guard head.readableBytes >= Self.detectionLength else { return [] }
            try detect()
            let start = head
            head = ByteBuffer()
            return try feed(start)
        case .pcap:
            pcap.append(bytes)
            return try drainPcap()
        case .raw:
            var events: [InspectorEvent] = []
            builder.frameOutputs(rawStream.append(bytes), flow: rawFlow, sawSYN: true, time: nil, into: &events)
            return events
        case .finished:
            return []
        }
    }

    /// The input ended: reports cut records, holes and unfinished frames.
    public mutating func finish() throws(InspectorError) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        switch mode {
        case .detecting:
            guard head.readableBytes > 0 else {
                throw InspectorError(.unrecognizedInput, "the input is empty")
            }
            try detect()
            let start = head
            head = ByteBuffer()
            events = try feed(start)
            events += try finish()
            return events
        case .pcap:
            guard pcap.header != nil else {
                throw InspectorError(
                    .badCaptureHeader,
                    "the file ends inside the pcap global header (\(pcap.unconsumedBytes) of \(PcapReader.headerSize) bytes)")
            }
            if pcap.unconsumedBytes > 0 {
                builder.issue(
                    .error,
                    "the capture is cut short: it ends inside record \(pcap.recordCount) (byte \(pcap.offset), \(pcap.unconsumedBytes) bytes of it present)",
                    flow: nil, time: lastTime, into: &events)
            }
            for index in connections.indices where !connections[index].closed {
                close(index, reason: "the capture ends", time: lastTime, into: &events)
            }
        case .raw:
            if let output = rawStream.finish(reason: "the input ends") {
                builder.frameOutputs([output], flow: rawFlow, sawSYN: true, time: nil, into: &events)
            }
        case .finished:
            break
        }
        mode = .finished
        return events
    }

    // MARK: - Format

    private mutating func detect() throws(InspectorError) {
        let start = Array(head.readableBytesView.prefix(Self.detectionLength))
        let magic = PcapReader.magic(of: start)
        if magic == .pcapng {
            throw InspectorError(
                .unsupportedFormat,
                "this is a pcapng file; convert it to classic pcap first, e.g. `editcap -F pcap in.pcapng out.pcap` or `tcpdump -r in.pcapng -w out.pcap`")
        }
        switch options.format {
        case .pcap?:
            mode = .pcap
        case .raw?:
            mode = .raw
        case nil:
            if magic == .pcap {
                mode = .pcap
            } else if Self.looksLikeSparkFrame(start) {
                mode = .raw
            } else {
                let hex = start.prefix(16).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                throw InspectorError(
                    .unrecognizedInput,
                    "the input is neither a pcap capture nor a Spark RPC byte stream (first bytes: \(hex.joined(separator: " "))); use --format to force one")
            }
        }
        switch mode {
        case .raw:
            builder = FlowEventBuilder(inspector: builder.inspector, isRawInput: true)
            builder.summary.inputDescription = "raw Spark RPC stream"
            builder.summary.connections = [DecodeSummary.ConnectionEntry(connectionIndex: 0, connection: inputName)]
        case .pcap, .detecting, .finished:
            break
        }
    }

    /// Whether bytes start like a Spark transport frame: a plausible length and a known type.
    static func looksLikeSparkFrame(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 9 else { return false }
        let length = bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length > 8 && length - 8 < UInt64(Int32.max) && bytes[8] <= SparkFrameStream.maxFrameType
    }

    // MARK: - Packets

    private mutating func drainPcap() throws(InspectorError) -> [InspectorEvent] {
        var events: [InspectorEvent] = []
        let hadHeader = pcap.header != nil
        while true {
            let step = try pcap.next()
            if !hadHeader, let header = pcap.header, builder.summary.inputDescription.isEmpty {
                linkLayer = header.linkLayer
                builder.summary.inputDescription =
                    "pcap (\(header.linkLayer.name), \(header.isNanosecondPrecision ? "nanosecond" : "microsecond") timestamps)"
            }
            switch step {
            case .needMoreData:
                return events
            case .corrupt(let message):
                builder.issue(.error, message, flow: nil, time: lastTime, into: &events)
                return events
            case .record(let record):
                packet(record, into: &events)
            }
        }
    }

    private mutating func packet(_ record: PcapReader.Record, into events: inout [InspectorEvent]) {
        builder.summary.packets += 1
        if builder.firstTime == nil { builder.firstTime = record.time }
        lastTime = record.time
        switch PacketParser.parse(record.data, linkLayer: linkLayer, originalLength: record.originalLength) {
        case .skipped(let skip):
            let reason: String
            switch skip {
            case .notIP: reason = "not IP"
            case .notTCP: reason = "not TCP"
            case .fragment: reason = "IP fragment"
            case .malformed: reason = "malformed"
            }
            builder.summary.skippedPackets[reason, default: 0] += 1
        case .segment(let segment):
            builder.summary.tcpSegments += 1
            self.segment(segment, time: record.time, into: &events)
        }
    }

    private mutating func segment(_ segment: TCPSegment, time: CaptureTime, into events: inout [InspectorEvent]) {
        let key = TCPConnection.Key(segment.source, segment.destination)
        let opensConnection = segment.flags.contains(.syn) && !segment.flags.contains(.ack)
        var found = lookup[key]
        if let index = found {
            if connections[index].closed {
                // Stray packets after the close are ignored; a new SYN starts a new connection.
                guard opensConnection else { return }
                found = nil
            } else if opensConnection, connections[index].hasData {
                close(index, reason: "a new connection reused its ports", time: time, into: &events)
                found = nil
            }
        }
        let index: Int
        if let found {
            index = found
        } else {
            guard let created = open(segment, key: key, time: time, into: &events) else { return }
            index = created
        }
        if segment.source == connections[index].client {
            builder.segment(segment, flow: &connections[index].clientToServer, time: time, into: &events)
            if segment.flags.contains(.ack) {
                connections[index].serverToClient.reassembler.peerAcknowledged(segment.acknowledgmentNumber)
            }
        } else {
            builder.segment(segment, flow: &connections[index].serverToClient, time: time, into: &events)
            if segment.flags.contains(.ack) {
                connections[index].clientToServer.reassembler.peerAcknowledged(segment.acknowledgmentNumber)
            }
        }
        if segment.flags.contains(.rst) {
            close(index, reason: "the connection was reset", time: time, into: &events)
        } else if connections[index].isDone {
            close(index, reason: "the connection closed", time: time, into: &events)
        }
    }

    private mutating func open(_ segment: TCPSegment, key: TCPConnection.Key, time: CaptureTime, into events: inout [InspectorEvent]) -> Int? {
        guard !ignored.contains(key) else { return nil }
        let ports = options.ports
        if !ports.isEmpty, !ports.contains(segment.source.port), !ports.contains(segment.destination.port) {
            if ignored.count < options.maxConnections {
                ignored.insert(key)
                builder.summary.ignoredConnections += 1
            }
            return nil
        }
        guard openConnections < options.maxConnections else {
            if !connectionLimitReported {
                connectionLimitReported = true
                builder.issue(
                    .error, "more than \(options.maxConnections) connections are open at once; further connections are not decoded",
                    flow: nil, time: time, into: &events)
            }
            if ignored.count < options.maxConnections {
                ignored.insert(key)
                builder.summary.ignoredConnections += 1
            }
            return nil
        }
        let roles = TCPConnection.roles(of: segment, serverPorts: ports)
        let connection = TCPConnection(index: connections.count, client: roles.client, server: roles.server, options: options)
        connections.append(connection)
        lookup[key] = connection.index
        openConnections += 1
        builder.summary.connections.append(DecodeSummary.ConnectionEntry(connectionIndex: connection.index, connection: connection.name))
        return connection.index
    }

    private mutating func close(_ index: Int, reason: String, time: CaptureTime?, into events: inout [InspectorEvent]) {
        guard !connections[index].closed else { return }
        connections[index].closed = true
        openConnections -= 1
        builder.close(&connections[index].clientToServer, reason: reason, time: time, into: &events)
        builder.close(&connections[index].serverToClient, reason: reason, time: time, into: &events)
    }
}
