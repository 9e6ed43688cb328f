/// The state of one TCP connection: both directions reassembled and split into frames.
struct TCPConnection: Sendable {
    /// One direction of the connection.
    struct Flow: Sendable {
        var reference: FlowReference
        /// `false` when `--direction` leaves this direction out.
        var enabled: Bool
        var reassembler: TCPStreamReassembler
        var frames: SparkFrameStream
        /// Whether this side sent a FIN (tracked even when the direction is not decoded).
        var sawFIN = false

        init(reference: FlowReference, enabled: Bool, options: InspectorOptions) {
            self.reference = reference
            self.enabled = enabled
            self.reassembler = TCPStreamReassembler(maxBufferedBytes: options.maxReassemblyBytes)
            self.frames = SparkFrameStream(maxFrameSize: options.maxFrameSize)
        }

        var isDone: Bool {
            enabled ? reassembler.isFinished || reassembler.stopped : sawFIN
        }
    }

    /// The unordered endpoint pair a connection is found by.
    struct Key: Sendable, Hashable {
        var low: TCPEndpoint
        var high: TCPEndpoint

        init(_ one: TCPEndpoint, _ other: TCPEndpoint) {
            if one < other {
                (low, high) = (one, other)
            } else {
                (low, high) = (other, one)
            }
        }
    }

    let index: Int
    let client: TCPEndpoint
    let server: TCPEndpoint
    var clientToServer: Flow
    var serverToClient: Flow
    var closed = false

    init(index: Int, client: TCPEndpoint, server: TCPEndpoint, options: InspectorOptions) {
        self.index = index
        self.client = client
        self.server = server
        let name = "\(client) -> \(server)"
        self.clientToServer = Flow(
            reference: FlowReference(connectionIndex: index, connection: name, direction: .clientToServer),
            enabled: options.direction != .server, options: options)
        self.serverToClient = Flow(
            reference: FlowReference(connectionIndex: index, connection: name, direction: .serverToClient),
            enabled: options.direction != .client, options: options)
    }

    var name: String { clientToServer.reference.connection }

    /// Whether neither direction has anything left to decode.
    var isDone: Bool { clientToServer.isDone && serverToClient.isDone }

    /// Whether either direction delivered payload (so a new SYN starts a new connection).
    var hasData: Bool {
        clientToServer.reassembler.deliveredBytes > 0 || serverToClient.reassembler.deliveredBytes > 0
            || clientToServer.reassembler.pendingBytes > 0 || serverToClient.reassembler.pendingBytes > 0
    }

    /// Which side opened the connection, judged from its first segment.
    ///
    /// A SYN names the client; without one a port in `serverPorts` names the server, else the
    /// lower port is taken to be the server's (clients use ephemeral ports).
    static func roles(of segment: TCPSegment, serverPorts: Set<UInt16>) -> (client: TCPEndpoint, server: TCPEndpoint) {
        let source = segment.source
        let destination = segment.destination
        if segment.flags.contains(.syn) {
            return segment.flags.contains(.ack) ? (destination, source) : (source, destination)
        }
        if serverPorts.contains(destination.port) { return (source, destination) }
        if serverPorts.contains(source.port) { return (destination, source) }
        return destination.port <= source.port ? (source, destination) : (destination, source)
    }
}
