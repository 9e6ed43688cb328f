import NIOCore

/// Writes `TransportFrame`s (Spark's `MessageEncoder`).
public struct TransportFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = TransportFrame

    public init() {}

    public func encode(data: TransportFrame, out: inout ByteBuffer) throws {
        Self.write(data, into: &out)
    }

    /// Appends one frame, its length prefix included.
    public static func write(_ frame: TransportFrame, into out: inout ByteBuffer) {
        let start = out.writerIndex
        out.writeInteger(Int64(0))
        out.writeInteger(frame.typeId)
        switch frame {
        case .chunkFetchRequest(let streamId, let chunkIndex):
            out.writeInteger(streamId)
            out.writeInteger(chunkIndex)
        case .chunkFetchSuccess(let streamId, let chunkIndex, var body):
            out.writeInteger(streamId)
            out.writeInteger(chunkIndex)
            out.writeBuffer(&body)
        case .chunkFetchFailure(let streamId, let chunkIndex, let error):
            out.writeInteger(streamId)
            out.writeInteger(chunkIndex)
            writeEncodedString(error, into: &out)
        case .rpcRequest(let requestId, var body), .rpcResponse(let requestId, var body):
            out.writeInteger(requestId)
            out.writeInteger(Int32(body.readableBytes))
            out.writeBuffer(&body)
        case .rpcFailure(let requestId, let error):
            out.writeInteger(requestId)
            writeEncodedString(error, into: &out)
        case .streamRequest(let streamId):
            writeEncodedString(streamId, into: &out)
        case .streamResponse(let streamId, let byteCount):
            writeEncodedString(streamId, into: &out)
            out.writeInteger(byteCount)
        case .streamFailure(let streamId, let error):
            writeEncodedString(streamId, into: &out)
            writeEncodedString(error, into: &out)
        case .oneWayMessage(var body):
            out.writeInteger(Int32(body.readableBytes))
            out.writeBuffer(&body)
        case .uploadStream(let requestId, var meta, let bodyByteCount):
            out.writeInteger(requestId)
            out.writeInteger(Int32(meta.readableBytes))
            out.writeBuffer(&meta)
            out.writeInteger(bodyByteCount)
        case .mergedBlockMetaRequest(let requestId, let appId, let shuffleId, let shuffleMergeId, let reduceId):
            out.writeInteger(requestId)
            writeEncodedString(appId, into: &out)
            out.writeInteger(shuffleId)
            out.writeInteger(shuffleMergeId)
            out.writeInteger(reduceId)
        case .mergedBlockMetaSuccess(let requestId, let numChunks, var body):
            out.writeInteger(requestId)
            out.writeInteger(numChunks)
            out.writeBuffer(&body)
        }
        out.setInteger(Int64(out.writerIndex - start), at: start)
    }

    private static func writeEncodedString(_ string: String, into out: inout ByteBuffer) {
        out.writeInteger(Int32(string.utf8.count))
        out.writeString(string)
    }
}
