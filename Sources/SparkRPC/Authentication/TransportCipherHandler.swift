import CNIOBoringSSL
import NIOCore
import SparkTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// AES in counter mode over a byte stream, as Spark's `CtrTransportCipher` runs it (Commons Crypto's
/// `AES/CTR/NoPadding`): one key stream for the whole direction of a connection, the IV its first
/// 128-bit big-endian counter block, so the bytes of a message may be split anywhere.
struct CtrStream {
    private var key = AES_KEY()
    /// The next counter block, the key stream of the block in use and how much of it is used
    /// (BoringSSL's `AES_ctr128_encrypt` state: the counter carries over all 128 bits).
    private var counter: [UInt8]
    private var keyStream = [UInt8](repeating: 0, count: 16)
    private var used: UInt32 = 0

    init(key: [UInt8], iv: [UInt8]) {
        precondition(iv.count == 16 && [16, 24, 32].contains(key.count))
        let done = AES_set_encrypt_key(key, UInt32(key.count * 8), &self.key)
        precondition(done == 0, "BoringSSL's AES_set_encrypt_key failed")
        counter = iv
    }

    /// Encrypts (or decrypts: the same operation) `bytes` in place.
    mutating func apply(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else { return }
        AES_ctr128_encrypt(base, base, bytes.count, &key, &counter, &keyStream, &used)
    }

    mutating func apply(_ buffer: inout ByteBuffer) {
        buffer.withUnsafeMutableReadableBytes { apply($0) }
    }
}

/// Encrypts everything the connection writes and decrypts everything it reads, below Spark's frame
/// codec (Spark's `CtrTransportCipher` and `GcmTransportCipher` handlers, which it puts first in the
/// pipeline). Added once the AES handshake is through; the handshake's own messages are not
/// encrypted. Bytes that do not decrypt (GCM) end the connection.
final class TransportCipherHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How much of a file region is read, encrypted and written at a time.
    static let filePieceSize = 1 << 20

    // One of the two ciphers, kept in stored properties so that they change in place (no copy of
    // a partly read GCM segment on each read).
    /// `AES/CTR/NoPadding` (Spark's default): one key stream each way, no integrity.
    private var ctrEncryptor: CtrStream?
    private var ctrDecryptor: CtrStream?
    /// `AES/GCM/NoPadding`: each write its own authenticated message.
    private let gcm: GcmMessageCipher?
    private var gcmOpener: GcmMessageCipher.Opener?
    private var failed = false

    init(keys: AuthEngine.SessionKeys, cipher: NetworkCrypto.Cipher) {
        switch cipher {
        case .ctr:
            ctrEncryptor = CtrStream(key: keys.key, iv: keys.encryptionIV)
            ctrDecryptor = CtrStream(key: keys.key, iv: keys.decryptionIV)
            gcm = nil
        case .gcm:
            let sealer = GcmMessageCipher(key: keys.key)
            gcm = sealer
            gcmOpener = GcmMessageCipher.Opener(cipher: sealer)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        if ctrDecryptor != nil {
            ctrDecryptor!.apply(&buffer)
            context.fireChannelRead(wrapInboundOut(buffer))
            return
        }
        var plaintext = context.channel.allocator.buffer(capacity: buffer.readableBytes)
        do {
            try gcmOpener!.open(&buffer, into: &plaintext)
        } catch {
            failed = true
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        if plaintext.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(plaintext)) }
    }

    private func encrypt(_ buffer: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        if let gcm { return try gcm.seal(buffer, allocator: allocator) }
        var buffer = buffer
        ctrEncryptor!.apply(&buffer)
        return buffer
    }

    /// A file region being sent a piece at a time, and the writes that came after it, in order.
    private var region: (region: FileRegion, position: Int, promise: EventLoopPromise<Void>?)?
    private var queued = CircularBuffer<(IOData, EventLoopPromise<Void>?)>()
    /// Set while queued writes are being sent, so that a region finished among them does not start
    /// another round (no recursion through one-piece regions).
    private var draining = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !failed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        // Bytes are encrypted in the order they go out: behind a region being sent, writes wait.
        guard region == nil else {
            queued.append((unwrapOutboundIn(data), promise))
            return
        }
        send(unwrapOutboundIn(data), promise: promise, context: context)
    }

    private func send(_ data: IOData, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        switch data {
        case .byteBuffer(let buffer):
            do {
                context.write(wrapOutboundOut(.byteBuffer(try encrypt(buffer, allocator: context.channel.allocator))), promise: promise)
            } catch {
                abort(context, error, promise)
            }
        case .fileRegion(let fileRegion):
            // A file's bytes cannot go to the socket untouched (no `sendfile`): a piece at a time is
            // read, encrypted (with GCM, each piece its own message) and written once the last one
            // has gone, so a large block holds one piece in memory, not the whole block.
            region = (fileRegion, fileRegion.readerIndex, promise)
            sendNextPiece(context: context)
        }
    }

    private func sendNextPiece(context: ChannelHandlerContext) {
        guard let current = region, !failed else { return }
        let end = current.region.endIndex
        let length = min(Self.filePieceSize, end - current.position)
        var piece = context.channel.allocator.buffer(capacity: length)
        do {
            let position = current.position
            let read = try current.region.fileHandle.withUnsafeFileDescriptor { descriptor in
                try piece.writeFileRange(descriptor, at: Int64(position), count: length)
            }
            // The file is shorter than the region said: the frame's length cannot be kept.
            guard read == length else { throw IOError(errnoCode: EIO, reason: "file region past the end of its file") }
            piece = try encrypt(piece, allocator: context.channel.allocator)
        } catch {
            region = nil
            abort(context, error, current.promise)
            return
        }
        let position = current.position + length
        guard position < end else {
            // The last piece: the region's own promise, then what waited behind it.
            region = nil
            context.write(wrapOutboundOut(.byteBuffer(piece)), promise: current.promise)
            guard !draining else { return }  // The round in progress goes on with the rest.
            draining = true
            while region == nil, !failed, let (data, promise) = queued.popFirst() {
                send(data, promise: promise, context: context)
            }
            draining = false
            context.flush()
            return
        }
        region = (current.region, position, current.promise)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(piece))).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                // A write the socket took at once completes here, within the flush: the next piece
                // goes from the event loop's next turn, not from deeper in this stack.
                context.eventLoop.assumeIsolated().execute { [self] in sendNextPiece(context: context) }
            case .failure(let error):
                guard region != nil else { return }  // Already failed and given back.
                region = nil
                abort(context, error, current.promise)
            }
        }
    }

    /// The stream cannot go on past what was not sent: everything waiting fails and the connection ends.
    private func abort(_ context: ChannelHandlerContext, _ error: any Error, _ promise: EventLoopPromise<Void>?) {
        failed = true
        promise?.fail(error)
        while let (_, waiting) = queued.popFirst() { waiting?.fail(error) }
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        region?.promise?.fail(ChannelError.ioOnClosedChannel)
        region = nil
        while let (_, waiting) = queued.popFirst() { waiting?.fail(ChannelError.ioOnClosedChannel) }
    }
}
