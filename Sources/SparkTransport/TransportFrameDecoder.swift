import NIOCore

/// Splits a byte stream into `TransportFrame`s (Spark's `TransportFrameDecoder` + `MessageDecoder`).
///
/// Waits for a whole frame, refuses lengths outside `1..<maxFrameSize`, and parses the frame's
/// exact slice: a header that does not fit is an error, never a partial read.
public struct TransportFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = TransportFrame

    /// Largest frame accepted, including the 8-byte length.
    public let maxFrameSize: Int

    /// 128 MiB plus headroom: Spark's `spark.rpc.message.maxSize` default.
    public static let defaultMaxFrameSize = 128 * 1024 * 1024 + 64 * 1024

    /// Bytes the decoder holds after the frame it last returned, read by a handler that must know
    /// nothing else came with that frame (the switch to an encrypted connection). Used on the
    /// channel's event loop only.
    public final class Backlog: @unchecked Sendable {
        public internal(set) var bytes = 0
        public init() {}
    }

    let backlog: Backlog?
    /// This connection's share of its server's budget for incomplete frames.
    let account: IncompleteFrameBudget.Account?

    public init(
        maxFrameSize: Int = TransportFrameDecoder.defaultMaxFrameSize, backlog: Backlog? = nil,
        account: IncompleteFrameBudget.Account? = nil
    ) {
        self.maxFrameSize = maxFrameSize
        self.backlog = backlog
        self.account = account
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> TransportFrame? {
        guard let frameLength = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int64.self) else {
            try account?.hold(buffer.readableBytes)
            return nil
        }
        guard frameLength > 8, frameLength - 8 < Int64(Int32.max) else {
            throw TransportError(.badFrameLength, "frame length \(frameLength) is out of range")
        }
        guard frameLength <= Int64(maxFrameSize) else {
            throw TransportError(.frameTooLarge, "frame of \(frameLength) bytes exceeds the \(maxFrameSize)-byte limit")
        }
        guard buffer.readableBytes >= Int(frameLength) else {
            try account?.hold(buffer.readableBytes)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 8)
        var frame = buffer.readSlice(length: Int(frameLength) - 8)!
        backlog?.bytes = buffer.readableBytes
        // The handler calls again while bytes are left, and that call reports them; none left, no call.
        if buffer.readableBytes == 0 { try account?.hold(0) }
        return try Self.parse(frame: &frame)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> TransportFrame? {
        try decode(buffer: &buffer)
    }

    /// Parses one frame without its length prefix; `frame` must hold exactly that frame.
    public static func parse(frame: inout ByteBuffer) throws -> TransportFrame {
        guard let type = frame.readInteger(as: UInt8.self) else {
            throw TransportError(.malformedFrame, "empty frame")
        }
        let result: TransportFrame
        switch type {
        case 0:
            result = .chunkFetchRequest(streamId: try frame.readInt64(), chunkIndex: try frame.readInt32())
        case 1:
            result = .chunkFetchSuccess(streamId: try frame.readInt64(), chunkIndex: try frame.readInt32(), body: frame.readSlice(length: frame.readableBytes)!)
        case 2:
            result = .chunkFetchFailure(streamId: try frame.readInt64(), chunkIndex: try frame.readInt32(), error: try frame.readEncodedString())
        case 3:
            let requestId = try frame.readInt64()
            let body = try frame.readBody()
            result = .rpcRequest(requestId: requestId, body: body)
        case 4:
            let requestId = try frame.readInt64()
            let body = try frame.readBody()
            result = .rpcResponse(requestId: requestId, body: body)
        case 5:
            result = .rpcFailure(requestId: try frame.readInt64(), error: try frame.readEncodedString())
        case 6:
            result = .streamRequest(streamId: try frame.readEncodedString())
        case 7:
            result = .streamResponse(streamId: try frame.readEncodedString(), byteCount: try frame.readInt64())
        case 8:
            result = .streamFailure(streamId: try frame.readEncodedString(), error: try frame.readEncodedString())
        case 9:
            result = .oneWayMessage(body: try frame.readBody())
        case 10:
            let requestId = try frame.readInt64()
            let metaLength = try frame.readInt32()
            guard metaLength >= 0, let meta = frame.readSlice(length: Int(metaLength)) else {
                throw TransportError(.malformedFrame, "UploadStream meta of \(metaLength) bytes does not fit")
            }
            result = .uploadStream(requestId: requestId, meta: meta, bodyByteCount: try frame.readInt64())
        case 11:
            result = .mergedBlockMetaRequest(
                requestId: try frame.readInt64(), appId: try frame.readEncodedString(),
                shuffleId: try frame.readInt32(), shuffleMergeId: try frame.readInt32(), reduceId: try frame.readInt32())
        case 12:
            let requestId = try frame.readInt64()
            let numChunks = try frame.readInt32()
            result = .mergedBlockMetaSuccess(requestId: requestId, numChunks: numChunks, body: frame.readSlice(length: frame.readableBytes)!)
        default:
            throw TransportError(.unknownFrameType, "frame type \(type) is not a Spark message type")
        }
        guard frame.readableBytes == 0 else {
            throw TransportError(.malformedFrame, "\(result.typeName) frame has \(frame.readableBytes) bytes after its content")
        }
        return result
    }
}

extension ByteBuffer {
    fileprivate mutating func readInt64() throws -> Int64 {
        guard let value = readInteger(endianness: .big, as: Int64.self) else {
            throw TransportError(.malformedFrame, "frame ends inside an int64")
        }
        return value
    }

    fileprivate mutating func readInt32() throws -> Int32 {
        guard let value = readInteger(endianness: .big, as: Int32.self) else {
            throw TransportError(.malformedFrame, "frame ends inside an int32")
        }
        return value
    }

    /// `Encoders.Strings`: int32 byte length + UTF-8.
    fileprivate mutating func readEncodedString() throws -> String {
        let length = try readInt32()
        guard length >= 0, let string = readString(length: Int(length)) else {
            throw TransportError(.malformedFrame, "string of \(length) bytes does not fit the frame")
        }
        return string
    }

    /// An int32 body length followed by exactly that many bytes, ending the frame.
    fileprivate mutating func readBody() throws -> ByteBuffer {
        let length = try readInt32()
        guard length >= 0, length == readableBytes else {
            throw TransportError(.malformedFrame, "body length \(length) does not match the \(readableBytes) bytes left in the frame")
        }
        return readSlice(length: Int(length))!
    }
}
