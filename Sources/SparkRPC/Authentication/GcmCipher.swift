import NIOCore

/// `spark.network.crypto.cipher=AES/GCM/NoPadding`, as Spark's `GcmTransportCipher` frames it: each
/// message written to the connection becomes one independently keyed AES-GCM stream (Tink's
/// `AesGcmHkdfStreaming` segments, 32 KiB of ciphertext each), so every byte of a message is
/// authenticated. As in Spark, messages are not bound to their order or direction: whole messages
/// could be dropped, replayed or reflected by someone on the path without this noticing.
///
/// One message on the wire: its whole length (int64, big-endian, these 8 bytes included), a header
/// (its length byte, a random salt as long as the key, a random 7-byte nonce prefix), then segments
/// of 32 752 plaintext bytes, each sealed with AES-GCM under `HKDF-SHA256(key, salt, info: the length
/// bytes)` and the nonce `prefix ‖ segment number (uint32) ‖ 1 for the last segment, else 0`; the last
/// segment is shorter unless the plaintext fills it.
struct GcmMessageCipher {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let ciphertextSegmentSize = 32 * 1024
    static let tagSize = 16
    static let plaintextSegmentSize = ciphertextSegmentSize - tagSize
    static let noncePrefixSize = 7
    static let lengthSize = 8

    private let key: [UInt8]
    private let keySize: Int
    var headerLength: Int { 1 + keySize + Self.noncePrefixSize }

    init(key: [UInt8]) {
        precondition(key.count == 16 || key.count == 32)
        self.key = key
        keySize = key.count
    }

    /// The AES-GCM key of one message: HKDF-SHA256 of the session key, its salt and its length.
    private func segmentKey(salt: some Sequence<UInt8>, length: Int64) -> BoringCrypto.AESGCM {
        // The key has the session key's size, 16 or 32 bytes (checked at init).
        BoringCrypto.AESGCM(key: BoringCrypto.hkdfSHA256(secret: key, salt: Array(salt), info: Self.lengthBytes(length), count: keySize))!
    }

    static func lengthBytes(_ length: Int64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: length >> (56 - 8 * $0)) }
    }

    static func nonce(prefix: [UInt8], segment: UInt32, last: Bool) -> [UInt8] {
        prefix + [UInt8(segment >> 24), UInt8(truncatingIfNeeded: segment >> 16), UInt8(truncatingIfNeeded: segment >> 8),
                  UInt8(truncatingIfNeeded: segment), last ? 1 : 0]
    }

    /// The bytes `plaintext` becomes on the wire.
    func seal(_ plaintext: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let count = plaintext.readableBytes
        let full = count / Self.plaintextSegmentSize, partial = count % Self.plaintextSegmentSize
        let length = Self.lengthSize + headerLength + full * Self.ciphertextSegmentSize + (partial > 0 ? partial + Self.tagSize : 0)
        let salt = BoringCrypto.randomBytes(keySize)
        let prefix = BoringCrypto.randomBytes(Self.noncePrefixSize)
        let key = segmentKey(salt: salt, length: Int64(length))
        var output = allocator.buffer(capacity: length)
        output.writeInteger(Int64(length))
        output.writeInteger(UInt8(headerLength))
        output.writeBytes(salt)
        output.writeBytes(prefix)
        var plaintext = plaintext
        var segment: UInt32 = 0
        while plaintext.readableBytes > 0 {
            let size = min(Self.plaintextSegmentSize, plaintext.readableBytes)
            let piece = plaintext.readSlice(length: size)!
            let nonce = Self.nonce(prefix: prefix, segment: segment, last: plaintext.readableBytes == 0)
            output.writeBytes(piece.withUnsafeReadableBytes { key.seal(nonce: nonce, $0) })
            segment += 1
        }
        return output
    }

    /// Reads messages from a connection's bytes as they come; what they decrypt to comes out in order.
    struct Opener {
        let cipher: GcmMessageCipher
        private var length: Int64 = -1
        private var read: Int64 = 0
        private var pending = ByteBuffer()
        private var key: BoringCrypto.AESGCM?
        private var prefix: [UInt8] = []
        private var segment: UInt32 = 0

        init(cipher: GcmMessageCipher) { self.cipher = cipher }

        /// Takes `input` and appends to `output` the plaintext of every segment it completes; throws on
        /// a malformed or forged message (the connection must then end).
        mutating func open(_ input: inout ByteBuffer, into output: inout ByteBuffer) throws {
            while input.readableBytes > 0 {
                if length < 0 {
                    guard fill(&input, to: GcmMessageCipher.lengthSize) else { return }
                    let value = pending.readInteger(as: Int64.self)!
                    pending.clear()
                    guard value >= Int64(GcmMessageCipher.lengthSize + cipher.headerLength) else {
                        throw Failure(description: "invalid encrypted message length \(value)")
                    }
                    length = value
                    read = Int64(GcmMessageCipher.lengthSize)
                }
                if key == nil {
                    guard fill(&input, to: cipher.headerLength) else { return }
                    let header = Array(pending.readableBytesView)
                    pending.clear()
                    guard Int(header[0]) == cipher.headerLength else { throw Failure(description: "invalid encrypted message header") }
                    key = cipher.segmentKey(salt: header[1...cipher.keySize], length: length)
                    prefix = Array(header[(1 + cipher.keySize)...])
                    read += Int64(cipher.headerLength)
                    segment = 0
                    if read == length { finishMessage() }
                    continue
                }
                // A segment: a whole one, or what is left of the message; `pending` holds its start.
                let wanted = Int(min(Int64(GcmMessageCipher.ciphertextSegmentSize), length - read)) - pending.readableBytes
                let take = min(wanted, input.readableBytes)
                var slice = input.readSlice(length: take)!
                pending.writeBuffer(&slice)
                guard take == wanted else { return }
                read += Int64(pending.readableBytes)
                let last = read == length
                guard pending.readableBytes >= GcmMessageCipher.tagSize else { throw Failure(description: "encrypted segment too short") }
                let nonce = GcmMessageCipher.nonce(prefix: prefix, segment: segment, last: last)
                guard let plaintext = pending.withUnsafeReadableBytes({ key!.open(nonce: nonce, $0) }) else {
                    throw Failure(description: "an encrypted segment does not authenticate")
                }
                output.writeBytes(plaintext)
                pending.clear()
                guard segment < UInt32.max else { throw Failure(description: "too many segments") }
                segment += 1
                if last { finishMessage() }
            }
        }

        private mutating func finishMessage() {
            length = -1
            key = nil
            prefix = []
        }

        /// Moves bytes of `input` into `pending` until it holds `count`; whether it does.
        private mutating func fill(_ input: inout ByteBuffer, to count: Int) -> Bool {
            let take = min(count - pending.readableBytes, input.readableBytes)
            var slice = input.readSlice(length: take)!
            pending.writeBuffer(&slice)
            return pending.readableBytes == count
        }
    }
}
