import NIOCore
import SparkTransport

/// Splits the bytes of one direction of a connection into Spark transport frames.
///
/// Uses `TransportFrameDecoder` for the framing and its size limit, checks the type byte as soon
/// as it arrives, and skips the raw bytes a `StreamResponse` or `UploadStream` announces after its
/// frame. The first failure ends the stream; at offset 0 it means the flow is not Spark RPC.
public struct SparkFrameStream: Sendable {
    /// One decoded frame and where it was.
    public struct Frame: Sendable {
        /// The parsed frame.
        public var frame: TransportFrame
        /// Stream offset of the frame's length prefix.
        public var offset: Int64
        /// The frame length as written, prefix included.
        public var length: Int
    }

    /// What appending bytes produced.
    public enum Output: Sendable {
        case frame(Frame)
        /// The bytes at offset 0 are not a Spark frame.
        case notSpark(String)
        /// A frame after the first could not be read.
        case failure(offset: Int64, message: String)
    }

    /// Largest frame accepted (`TransportFrameDecoder.maxFrameSize`).
    public let maxFrameSize: Int
    private var buffer = ByteBuffer()
    /// Stream offset of `buffer.readerIndex`.
    public private(set) var offset: Int64 = 0
    /// Raw bytes still to skip after a streamed frame.
    private var skipRemaining: Int64 = 0
    /// Frames split off so far.
    public private(set) var frameCount = 0
    /// Whether the stream failed or finished; later bytes are ignored.
    public private(set) var stopped = false

    /// Largest frame Spark defines a type for (`MergedBlockMetaSuccess`).
    static let maxFrameType: UInt8 = 12

    /// A stream refusing frames longer than `maxFrameSize`.
    public init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes of an unfinished frame held so far.
    public var bufferedBytes: Int { buffer.readableBytes }

    /// Adds the next bytes and returns the frames they completed.
    public mutating func append(_ bytes: ByteBuffer) -> [Output] {
        guard !stopped else { return [] }
        var bytes = bytes
        if skipRemaining > 0 {
            let skip = Int(min(Int64(bytes.readableBytes), skipRemaining))
            bytes.moveReaderIndex(forwardBy: skip)
            skipRemaining -= Int64(skip)
            offset += Int64(skip)
        }
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex > 1 << 20 {
            buffer.discardReadBytes()
        }
        buffer.writeBuffer(&bytes)
        // The decoder holds only its limit; it is not Sendable, so it is made here rather than stored.
        var decoder = TransportFrameDecoder(maxFrameSize: maxFrameSize)
        var outputs: [Output] = []
        while !stopped, skipRemaining == 0 {
            if buffer.readableBytes >= 9, let type = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt8.self), type > Self.maxFrameType {
                outputs.append(fail(TransportError(.unknownFrameType, "frame type \(type) is not a Spark message type")))
                break
            }
            let start = buffer.readerIndex
            let length = buffer.getInteger(at: start, endianness: .big, as: Int64.self)
            let frame: TransportFrame?
            do {
                frame = try decoder.decode(buffer: &buffer)
            } catch {
                outputs.append(fail(error))
                break
            }
            guard let frame, let length else { break }
            outputs.append(.frame(Frame(frame: frame, offset: offset, length: Int(length))))
            offset += Int64(length)
            frameCount += 1
            switch frame {
            case .streamResponse(_, let byteCount), .uploadStream(_, _, let byteCount):
                // The announced bytes follow the frame, outside it.
                skipRemaining = max(0, byteCount)
                let skip = Int(min(Int64(buffer.readableBytes), skipRemaining))
                buffer.moveReaderIndex(forwardBy: skip)
                skipRemaining -= Int64(skip)
                offset += Int64(skip)
            case .chunkFetchRequest, .chunkFetchSuccess, .chunkFetchFailure, .rpcRequest, .rpcResponse, .rpcFailure,
                 .streamRequest, .streamFailure, .oneWayMessage, .mergedBlockMetaRequest, .mergedBlockMetaSuccess:
                break
            }
        }
        return outputs
    }

    /// Stops without a report: the bytes that would follow are lost (a TCP gap).
    public mutating func abandon() {
        stopped = true
        buffer = ByteBuffer()
    }

    /// The stream ended; a partial frame left over is a failure.
    public mutating func finish(reason: String) -> Output? {
        guard !stopped else { return nil }
        stopped = true
        defer { buffer = ByteBuffer() }
        guard buffer.readableBytes > 0 else { return nil }
        var message = "\(reason) inside a frame: \(buffer.readableBytes) bytes"
        if let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int64.self) {
            message += " of \(length)"
        }
        message += " received"
        if frameCount == 0 {
            return .notSpark(message)
        }
        return .failure(offset: offset, message: message)
    }

    private mutating func fail(_ error: any Error) -> Output {
        stopped = true
        let message = (error as? TransportError).map { "\($0.message) (\($0.code))" } ?? "\(error)"
        buffer = ByteBuffer()
        if frameCount == 0 {
            return .notSpark(message)
        }
        return .failure(offset: offset, message: message)
    }
}
