/// Totals printed after the listing.
public struct DecodeSummary: Sendable {
    /// Frame counts of one connection.
    public struct ConnectionEntry: Sendable {
        /// The connection's number in the listing (`c0`, `c1`, ...).
        public var connectionIndex: Int
        /// `client -> server`.
        public var connection: String
        /// Frames the client sent.
        public var clientToServerFrames = 0
        /// Frames the server sent.
        public var serverToClientFrames = 0
        /// Frames of a raw stream given without a direction.
        public var otherFrames = 0
        /// Directions reported as not Spark RPC.
        public var skippedDirections: [FlowReference.Direction] = []

        /// An entry without frames yet.
        public init(connectionIndex: Int, connection: String) {
            self.connectionIndex = connectionIndex
            self.connection = connection
        }

        /// Frames in both directions.
        public var frames: Int { clientToServerFrames + serverToClientFrames + otherFrames }
    }

    /// What was read: `pcap (EN10MB, microsecond timestamps)` or `raw stream`.
    public var inputDescription = ""
    /// Capture records read.
    public var packets = 0
    /// Records that held a TCP segment.
    public var tcpSegments = 0
    /// Packets without a usable TCP segment, by reason.
    public var skippedPackets: [String: Int] = [:]
    /// Segments dropped as retransmissions of bytes already delivered.
    public var duplicateSegments = 0
    /// Segments that arrived ahead of a hole and were held.
    public var outOfOrderSegments = 0
    /// Connections left out by `--port` or the connection limit.
    public var ignoredConnections = 0
    /// Every decoded connection, by index.
    public var connections: [ConnectionEntry] = []
    /// Transport frames split off.
    public var frames = 0
    /// Message counts by short name (`RegisterWorker`; the JVM class name for unknown classes).
    public var messagesByClass: [String: Int] = [:]
    /// Messages whose class the typed codec does not know, by JVM class name.
    public var unknownClasses: [String: Int] = [:]
    /// Frames whose message failed to decode, plus flow and capture errors.
    public var failures = 0
    /// Flow directions skipped as not Spark RPC.
    public var skippedFlows = 0

    /// An empty summary.
    public init() {}

    /// 0 when every frame decoded, 1 otherwise.
    public var exitStatus: Int32 { failures > 0 ? 1 : 0 }

    mutating func record(_ event: InspectorEvent) {
        switch event {
        case .frame(let record):
            if record.error != nil { failures += 1 }
            guard record.frameType != nil else { return }
            frames += 1
            if let name = record.messageName { messagesByClass[name, default: 0] += 1 }
            if record.isUnknownClass, let className = record.className { unknownClasses[className, default: 0] += 1 }
            let index = record.flow.connectionIndex
            if connections.indices.contains(index), connections[index].connectionIndex == index {
                switch record.flow.direction {
                case .clientToServer: connections[index].clientToServerFrames += 1
                case .serverToClient: connections[index].serverToClientFrames += 1
                case .unknown: connections[index].otherFrames += 1
                }
            }
        case .issue(let issue):
            switch issue.severity {
            case .error: failures += 1
            case .notice: break
            }
        }
    }
}
