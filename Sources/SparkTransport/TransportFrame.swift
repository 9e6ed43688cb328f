import NIOCore

/// One frame of Spark's network transport (`org.apache.spark.network.protocol.Message`).
///
/// On the wire: `int64 frameLength` (counting itself), `int8 type`, the type's header, the body.
public enum TransportFrame: Sendable, Equatable {
    case chunkFetchRequest(streamId: Int64, chunkIndex: Int32)
    case chunkFetchSuccess(streamId: Int64, chunkIndex: Int32, body: ByteBuffer)
    case chunkFetchFailure(streamId: Int64, chunkIndex: Int32, error: String)
    /// An `ask`: exactly one `rpcResponse` or `rpcFailure` with the same id answers it.
    case rpcRequest(requestId: Int64, body: ByteBuffer)
    case rpcResponse(requestId: Int64, body: ByteBuffer)
    case rpcFailure(requestId: Int64, error: String)
    case streamRequest(streamId: String)
    /// `byteCount` raw bytes follow the frame, outside it.
    case streamResponse(streamId: String, byteCount: Int64)
    case streamFailure(streamId: String, error: String)
    /// A `send`: no reply at any layer.
    case oneWayMessage(body: ByteBuffer)
    /// `bodyByteCount` raw bytes follow the frame, outside it.
    case uploadStream(requestId: Int64, meta: ByteBuffer, bodyByteCount: Int64)
    case mergedBlockMetaRequest(requestId: Int64, appId: String, shuffleId: Int32, shuffleMergeId: Int32, reduceId: Int32)
    case mergedBlockMetaSuccess(requestId: Int64, numChunks: Int32, body: ByteBuffer)

    /// The `Message.Type` id.
    public var typeId: UInt8 {
        switch self {
        case .chunkFetchRequest: 0
        case .chunkFetchSuccess: 1
        case .chunkFetchFailure: 2
        case .rpcRequest: 3
        case .rpcResponse: 4
        case .rpcFailure: 5
        case .streamRequest: 6
        case .streamResponse: 7
        case .streamFailure: 8
        case .oneWayMessage: 9
        case .uploadStream: 10
        case .mergedBlockMetaRequest: 11
        case .mergedBlockMetaSuccess: 12
        }
    }

    /// Spark's name for the frame type.
    public var typeName: String {
        switch self {
        case .chunkFetchRequest: "ChunkFetchRequest"
        case .chunkFetchSuccess: "ChunkFetchSuccess"
        case .chunkFetchFailure: "ChunkFetchFailure"
        case .rpcRequest: "RpcRequest"
        case .rpcResponse: "RpcResponse"
        case .rpcFailure: "RpcFailure"
        case .streamRequest: "StreamRequest"
        case .streamResponse: "StreamResponse"
        case .streamFailure: "StreamFailure"
        case .oneWayMessage: "OneWayMessage"
        case .uploadStream: "UploadStream"
        case .mergedBlockMetaRequest: "MergedBlockMetaRequest"
        case .mergedBlockMetaSuccess: "MergedBlockMetaSuccess"
        }
    }
}

/// A transport-level failure: the connection carrying it must be closed.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case badFrameLength, frameTooLarge, unknownFrameType, malformedFrame, unsupportedFrame, budgetExceeded
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The frame length is not positive or exceeds what Java can represent.
        public static let badFrameLength = Code(.badFrameLength)
        /// The frame is larger than the configured maximum.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A frame type id Spark does not define.
        public static let unknownFrameType = Code(.unknownFrameType)
        /// A frame whose header does not fit its length.
        public static let malformedFrame = Code(.malformedFrame)
        /// A well-formed frame this endpoint does not serve (streams, chunks, uploads).
        public static let unsupportedFrame = Code(.unsupportedFrame)
        /// The connection held the most of a server's bytes in incomplete frames when their sum
        /// went past its `IncompleteFrameBudget`.
        public static let budgetExceeded = Code(.budgetExceeded)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "spark transport \(code): \(message)" }
}
