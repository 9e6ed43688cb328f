import SparkModel

/// Everything the listing shows about one transport frame.
public struct FrameRecord: Sendable {
    /// Frames numbered from 0 across the whole input.
    public var index: Int
    /// The connection and direction the frame travelled.
    public var flow: FlowReference
    /// Capture time of the packet that completed the frame; `nil` for raw streams.
    public var time: CaptureTime?
    /// Nanoseconds since the first packet of the capture.
    public var elapsedNanoseconds: Int64?
    /// Stream offset of the frame's first byte.
    public var offset: Int64
    /// Spark's frame type name (`RpcRequest`, `OneWayMessage`, ...); `nil` when the frame did not parse.
    public var frameType: String?
    /// The frame length as written, its 8-byte prefix included.
    public var frameLength: Int?
    /// Length of the frame's body (the envelope and Java stream), when it has one.
    public var bodyLength: Int?
    /// The id pairing an `RpcRequest` with its `RpcResponse` or `RpcFailure`.
    public var requestId: Int64?
    /// Envelope of `RpcRequest` and `OneWayMessage` frames.
    public var sender: String?
    /// `host:port` of the receiving RpcEnv; `nil` when it is in client mode.
    public var receiver: String?
    /// The endpoint name the envelope addresses (`Master`, `Worker`, `endpoint-verifier`, ...).
    public var endpoint: String?
    /// The JVM class of the decoded message, e.g. `org.apache.spark.deploy.DeployMessages$RegisterWorker`.
    public var className: String?
    /// Short message name (`RegisterWorker`; the class name for unknown classes).
    public var messageName: String?
    /// Whether the typed codec knew the class.
    public var isTyped: Bool
    /// The typed message, when the codec knew it.
    public var message: SparkMessage?
    /// The message's fields (typed) or object graph (unknown class, or a typed decode that failed).
    public var rendered: RenderedValue?
    /// Why the frame or its message could not be decoded.
    public var error: String?

    /// A record with only its position filled in.
    public init(index: Int, flow: FlowReference, offset: Int64) {
        self.index = index
        self.flow = flow
        self.offset = offset
        self.isTyped = false
    }

    /// Whether the message's class was not one the codec knows.
    public var isUnknownClass: Bool {
        guard let message, case .unknown = message else { return false }
        return true
    }
}
