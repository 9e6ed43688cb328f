import JavaSerialization
import SparkTransport

/// What `spark-space decode` reads and prints.
public struct InspectorOptions: Sendable, Equatable {
    /// The kind of input file.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// A classic libpcap capture of TCP traffic.
        case pcap
        /// The bytes of one direction of one connection, frames back to back.
        case raw
    }

    /// Which directions of each connection to decode.
    public enum DirectionFilter: String, Sendable, Equatable, CaseIterable {
        case both
        /// Frames the connection's initiator sent.
        case client
        /// Frames the accepting side sent.
        case server
    }

    /// `nil`: detect from the first bytes.
    public var format: Format?
    /// JSON Lines instead of the text listing.
    public var json: Bool
    /// Which directions to decode.
    public var direction: DirectionFilter
    /// Decode only connections with an endpoint on one of these ports; empty: all.
    public var ports: Set<UInt16>
    /// Largest transport frame accepted, including its 8-byte length.
    public var maxFrameSize: Int
    /// Out-of-order bytes buffered per TCP direction while waiting for a hole to fill.
    public var maxReassemblyBytes: Int
    /// Connections tracked at once; further ones are ignored with a notice.
    public var maxConnections: Int
    /// Bounds for each Java serialization stream.
    public var readerLimits: JavaReaderLimits
    /// Nesting printed before an object graph is elided.
    public var maxRenderDepth: Int

    /// Options with the command's defaults.
    public init(
        format: Format? = nil,
        json: Bool = false,
        direction: DirectionFilter = .both,
        ports: Set<UInt16> = [],
        maxFrameSize: Int = TransportFrameDecoder.defaultMaxFrameSize,
        maxReassemblyBytes: Int = 16 << 20,
        maxConnections: Int = 65_536,
        readerLimits: JavaReaderLimits = .default,
        maxRenderDepth: Int = 32
    ) {
        self.format = format
        self.json = json
        self.direction = direction
        self.ports = ports
        self.maxFrameSize = maxFrameSize
        self.maxReassemblyBytes = maxReassemblyBytes
        self.maxConnections = maxConnections
        self.readerLimits = readerLimits
        self.maxRenderDepth = maxRenderDepth
    }

    /// Checks that the bounds are usable.
    public func validate() throws(InspectorError) {
        guard maxFrameSize > 8 else {
            throw InspectorError(.usage, "the frame size limit must exceed 8 bytes (got \(maxFrameSize))")
        }
        guard maxFrameSize <= Int(Int32.max) else {
            throw InspectorError(.usage, "the frame size limit must be at most \(Int32.max) bytes (got \(maxFrameSize))")
        }
        guard maxReassemblyBytes > 0 else {
            throw InspectorError(.usage, "the reassembly buffer limit must be positive (got \(maxReassemblyBytes))")
        }
        guard maxConnections > 0 else {
            throw InspectorError(.usage, "the connection limit must be positive (got \(maxConnections))")
        }
        guard maxRenderDepth > 0 else {
            throw InspectorError(.usage, "the render depth must be positive (got \(maxRenderDepth))")
        }
    }
}
