import NIOCore

/// One TCP segment taken out of a captured packet.
public struct TCPSegment: Sendable {
    /// The TCP flag bits the inspector looks at.
    public struct Flags: OptionSet, Sendable, Hashable {
        /// The flag byte of the TCP header (masked to these flags).
        public let rawValue: UInt8
        /// Flags from the header byte.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The sender has finished sending.
        public static let fin = Flags(rawValue: 0x01)
        /// Synchronize: opens a connection.
        public static let syn = Flags(rawValue: 0x02)
        /// Reset: aborts the connection.
        public static let rst = Flags(rawValue: 0x04)
        /// The acknowledgment number is valid.
        public static let ack = Flags(rawValue: 0x10)
    }

    /// Sender address and port.
    public var source: TCPEndpoint
    /// Receiver address and port.
    public var destination: TCPEndpoint
    /// Sequence number of the first payload byte (or of the SYN).
    public var sequenceNumber: UInt32
    /// The next byte the sender expects from its peer.
    public var acknowledgmentNumber: UInt32
    /// The flags the inspector uses.
    public var flags: Flags
    /// The payload as far as it was captured.
    public var payload: ByteBuffer
    /// Payload bytes the snap length cut off (0 for a whole segment).
    public var missingPayloadBytes: Int

    /// A segment as taken from a packet.
    public init(
        source: TCPEndpoint, destination: TCPEndpoint, sequenceNumber: UInt32, acknowledgmentNumber: UInt32,
        flags: Flags, payload: ByteBuffer, missingPayloadBytes: Int = 0
    ) {
        self.source = source
        self.destination = destination
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.payload = payload
        self.missingPayloadBytes = missingPayloadBytes
    }
}
