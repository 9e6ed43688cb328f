import NIOCore
import NIOEmbedded
import NIOTestUtils
import SparkTransport
import Testing

@Suite struct TransportFrameTests {
    /// Frames of every type, each with its encoding.
    static let frames: [TransportFrame] = [
        .chunkFetchRequest(streamId: 7, chunkIndex: 2),
        .chunkFetchSuccess(streamId: 7, chunkIndex: 2, body: ByteBuffer(string: "chunk")),
        .chunkFetchFailure(streamId: 7, chunkIndex: 2, error: "gone"),
        .rpcRequest(requestId: 0x555D_88A7_F120_4ED0, body: ByteBuffer(bytes: [1, 2, 3])),
        .rpcResponse(requestId: 0x555D_88A7_F120_4ED0, body: ByteBuffer(bytes: [0xAC, 0xED, 0, 5])),
        .rpcFailure(requestId: 42, error: "java.io.InvalidClassException: boom"),
        .streamRequest(streamId: "/jars/app.jar"),
        .streamResponse(streamId: "/jars/app.jar", byteCount: 10),
        .streamFailure(streamId: "/jars/app.jar", error: "missing"),
        .oneWayMessage(body: ByteBuffer(string: "payload")),
        .uploadStream(requestId: 9, meta: ByteBuffer(string: "meta"), bodyByteCount: 4),
        .mergedBlockMetaRequest(requestId: 3, appId: "app-1", shuffleId: 1, shuffleMergeId: 2, reduceId: 3),
        .mergedBlockMetaSuccess(requestId: 3, numChunks: 2, body: ByteBuffer(string: "bitmap")),
    ]

    static func encoded(_ frame: TransportFrame) -> ByteBuffer {
        var buffer = ByteBuffer()
        TransportFrameEncoder.write(frame, into: &buffer)
        return buffer
    }

    @Test func dripFedDecodingOfEveryFrameType() throws {
        let pairs = Self.frames.map { (Self.encoded($0), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: pairs,
            decoderFactory: { TransportFrameDecoder() })
    }

    @Test func checkExistenceRequestHeaderMatchesTheCapture() {
        // Header of the RpcRequest a 4.3.0 worker sends first (rpc-wire notes §10).
        let body = ByteBuffer(repeating: 0, count: 170)
        let buffer = Self.encoded(.rpcRequest(requestId: 0x555D_88A7_F120_4ED0, body: body))
        #expect(Array(buffer.readableBytesView.prefix(21)) == [
            0, 0, 0, 0, 0, 0, 0, 0xBF, 0x03, 0x55, 0x5D, 0x88, 0xA7, 0xF1, 0x20, 0x4E, 0xD0, 0, 0, 0, 0xAA,
        ])
    }

    @Test func unknownFrameTypeIsRefused() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(10))
        buffer.writeBytes([99, 0])
        var decoder = TransportFrameDecoder()
        let error = #expect(throws: TransportError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .unknownFrameType)
    }

    @Test func oversizedFramesAreRefusedBeforeTheyArrive() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(1 << 30))
        var decoder = TransportFrameDecoder(maxFrameSize: 1 << 20)
        let error = #expect(throws: TransportError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func nonPositiveLengthsAreRefused() throws {
        for length: Int64 in [0, 8, -5, Int64.max] {
            var buffer = ByteBuffer()
            buffer.writeInteger(length)
            var decoder = TransportFrameDecoder()
            let error = #expect(throws: TransportError.self) { try decoder.decode(buffer: &buffer) }
            #expect(error?.code == .badFrameLength || error?.code == .frameTooLarge)
        }
    }

    @Test func bodyLengthMustMatchTheFrame() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(8 + 1 + 4 + 3))
        buffer.writeInteger(UInt8(9))
        buffer.writeInteger(Int32(100))
        buffer.writeBytes([1, 2, 3])
        var decoder = TransportFrameDecoder()
        let error = #expect(throws: TransportError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .malformedFrame)
    }

    @Test func truncatedHeadersInsideACompleteFrameAreMalformed() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(8 + 1 + 3))
        buffer.writeInteger(UInt8(3))
        buffer.writeBytes([0, 0, 0])
        var decoder = TransportFrameDecoder()
        let error = #expect(throws: TransportError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .malformedFrame)
    }

    @Test func aPipelineClosesOnGarbage() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(TransportFrameDecoder()))
        var garbage = ByteBuffer()
        garbage.writeInteger(Int64(-1))
        #expect(throws: TransportError.self) { try channel.writeInbound(garbage) }
        _ = try? channel.finish()
    }
}
