import Crypto
import _CryptoExtras
import NIOCore

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
    private let key: SymmetricKey
    private var counterHigh: UInt64
    private var counterLow: UInt64
    /// The key stream of the block started and not used up, and how much of it is used.
    private var block = [UInt8](repeating: 0, count: 16)
    private var used = 16

    init(key: [UInt8], iv: [UInt8]) {
        precondition(iv.count == 16 && [16, 24, 32].contains(key.count))
        self.key = SymmetricKey(data: key)
        counterHigh = iv[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        counterLow = iv[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    private var nonce: AES._CTR.Nonce {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: counterHigh >> (56 - 8 * index))
            bytes[8 + index] = UInt8(truncatingIfNeeded: counterLow >> (56 - 8 * index))
        }
        // 16 bytes is always a valid nonce.
        return try! AES._CTR.Nonce(nonceBytes: bytes)
    }

    private mutating func advance(blocks: Int) {
        let (low, overflow) = counterLow.addingReportingOverflow(UInt64(blocks))
        counterLow = low
        if overflow { counterHigh &+= 1 }
    }

    /// Encrypts (or decrypts: the same operation) `bytes` in place.
    mutating func apply(_ bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while used < 16, offset < bytes.count {
            bytes[offset] ^= block[used]
            used += 1
            offset += 1
        }
        let whole = (bytes.count - offset) / 16 * 16
        if whole > 0 {
            let region = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + whole)])
            // The key has a valid size (checked at init), so this does not throw.
            let output = try! AES._CTR.encrypt(region, using: key, nonce: nonce)
            output.withUnsafeBytes { bytes.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: whole) }
            advance(blocks: whole / 16)
            offset += whole
        }
        if offset < bytes.count {
            block = Array(try! AES._CTR.encrypt([UInt8](repeating: 0, count: 16), using: key, nonce: nonce))
            advance(blocks: 1)
            used = 0
            while offset < bytes.count {
                bytes[offset] ^= block[used]
                used += 1
                offset += 1
            }
        }
    }

    mutating func apply(_ buffer: inout ByteBuffer) {
        buffer.withUnsafeMutableReadableBytes { apply($0) }
    }
}

/// Encrypts everything the connection writes and decrypts everything it reads, below Spark's frame
/// codec (Spark's `CtrTransportCipher` handlers, which it puts first in the pipeline). Added once the
/// AES handshake is through; the handshake's own messages are not encrypted.
final class CtrCipherHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// How much of a file region is read, encrypted and written at a time.
    static let filePieceSize = 1 << 20

    private var encryptor: CtrStream
    private var decryptor: CtrStream

    init(keys: AuthEngine.SessionKeys) {
        encryptor = CtrStream(key: keys.key, iv: keys.encryptionIV)
        decryptor = CtrStream(key: keys.key, iv: keys.decryptionIV)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        decryptor.apply(&buffer)
        context.fireChannelRead(wrapInboundOut(buffer))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .byteBuffer(var buffer):
            encryptor.apply(&buffer)
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .fileRegion(let region):
            // A file's bytes cannot go to the socket untouched (no `sendfile`): read, encrypt, write,
            // a piece at a time (Spark's `EncryptedMessage` does the same through a buffer).
            do {
                var position = region.readerIndex
                let end = region.endIndex
                repeat {
                    let length = min(Self.filePieceSize, end - position)
                    var piece = context.channel.allocator.buffer(capacity: length)
                    try region.fileHandle.withUnsafeFileDescriptor { descriptor in
                        try piece.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
                            var done = 0
                            while done < length {
                                let count = pread(descriptor, target.baseAddress! + done, length - done, off_t(position + done))
                                if count < 0, errno == EINTR { continue }
                                guard count > 0 else { throw IOError(errnoCode: count < 0 ? errno : EIO, reason: "pread") }
                                done += count
                            }
                            return length
                        }
                    }
                    encryptor.apply(&piece)
                    position += length
                    context.write(wrapOutboundOut(.byteBuffer(piece)), promise: position >= end ? promise : nil)
                } while position < end
            } catch {
                // The stream cannot go on past a piece that was not sent: the connection ends.
                promise?.fail(error)
                context.close(promise: nil)
            }
        }
    }
}
