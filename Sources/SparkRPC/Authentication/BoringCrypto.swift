import CNIOBoringSSL

/// The primitives of Spark's AES-based authentication and encryption (`spark.network.crypto`), on
/// BoringSSL's C API: the copy swift-nio-ssl builds. swift-crypto's Swift API would do the same
/// work but imports Foundation, whose CoreFoundation initialises itself at every start of a daemon
/// that links it, encrypting or not; this keeps the daemons free of Foundation.
package enum BoringCrypto {
    /// Bytes from BoringSSL's generator (the system's, reseeded).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let done = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, $0.count) }
        precondition(done == 1, "BoringSSL's RAND_bytes failed")
        return bytes
    }

    /// A fresh X25519 key pair, 32 bytes each.
    static func x25519KeyPair() -> (privateKey: [UInt8], publicKey: [UInt8]) {
        var publicKey = [UInt8](repeating: 0, count: 32)
        var privateKey = [UInt8](repeating: 0, count: 32)
        X25519_keypair(&publicKey, &privateKey)
        return (privateKey, publicKey)
    }

    /// The X25519 shared secret; nil when either key is not 32 bytes or the peer's key is of low
    /// order (the secret would be all zeros, known to anyone).
    static func x25519(privateKey: [UInt8], peerPublicKey: [UInt8]) -> [UInt8]? {
        guard privateKey.count == 32, peerPublicKey.count == 32 else { return nil }
        var shared = [UInt8](repeating: 0, count: 32)
        guard X25519(&shared, privateKey, peerPublicKey) == 1, shared.contains(where: { $0 != 0 }) else { return nil }
        return shared
    }

    /// The hash functions `hmac` offers.
    package enum Digest: Sendable {
        case sha256, sha384, sha512
    }

    /// HMAC (RFC 2104) of `message` under `key`.
    package static func hmac(_ digest: Digest, key: [UInt8], message: [UInt8]) -> [UInt8] {
        let function: OpaquePointer? = switch digest {
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = output.withUnsafeMutableBufferPointer { out in
            key.withUnsafeBufferPointer { key in
                message.withUnsafeBufferPointer { message in
                    HMAC(function, key.baseAddress, key.count, message.baseAddress, message.count, out.baseAddress, &length)
                }
            }
        }
        precondition(done != nil, "BoringSSL's HMAC failed")
        return Array(output.prefix(Int(length)))
    }

    /// Whether two byte strings are equal, in time that depends on their lengths only.
    package static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 } }
    }

    /// HKDF-SHA256 (RFC 5869) of `count` bytes.
    static func hkdfSHA256(secret: [UInt8], salt: [UInt8], info: [UInt8], count: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        let done = output.withUnsafeMutableBufferPointer { out in
            secret.withUnsafeBufferPointer { secret in
                salt.withUnsafeBufferPointer { salt in
                    info.withUnsafeBufferPointer { info in
                        HKDF(out.baseAddress, count, EVP_sha256(), secret.baseAddress, secret.count, salt.baseAddress, salt.count,
                             info.baseAddress, info.count)
                    }
                }
            }
        }
        precondition(done == 1, "BoringSSL's HKDF failed")
        return output
    }

    /// AES-GCM with a 16-byte key (AES-128) or a 32-byte one (AES-256), 12-byte nonces and 16-byte
    /// tags written after the ciphertext.
    final class AESGCM {
        static let nonceSize = 12
        static let tagSize = 16
        private var context = EVP_AEAD_CTX()

        /// Nil for a key of another size.
        init?(key: [UInt8]) {
            let aead: OpaquePointer?
            switch key.count {
            case 16: aead = EVP_aead_aes_128_gcm()
            case 32: aead = EVP_aead_aes_256_gcm()
            default: return nil
            }
            let done = key.withUnsafeBufferPointer { key in
                EVP_AEAD_CTX_init(&context, aead, key.baseAddress, key.count, Self.tagSize, nil)
            }
            guard done == 1 else { return nil }
        }

        deinit { EVP_AEAD_CTX_cleanup(&context) }

        /// `plaintext` sealed under `nonce`: its ciphertext, then the tag.
        func seal(nonce: [UInt8], _ plaintext: UnsafeRawBufferPointer, additionalData: [UInt8] = []) -> [UInt8] {
            precondition(nonce.count == Self.nonceSize)
            let sealed = run(EVP_AEAD_CTX_seal, nonce: nonce, plaintext, outputCount: plaintext.count + Self.tagSize, additionalData)
            precondition(sealed != nil, "BoringSSL's AES-GCM seal failed")
            return sealed!
        }

        /// The plaintext of `sealed` (ciphertext, then tag); nil when it does not authenticate.
        func open(nonce: [UInt8], _ sealed: UnsafeRawBufferPointer, additionalData: [UInt8] = []) -> [UInt8]? {
            guard nonce.count == Self.nonceSize, sealed.count >= Self.tagSize else { return nil }
            return run(EVP_AEAD_CTX_open, nonce: nonce, sealed, outputCount: sealed.count - Self.tagSize, additionalData)
        }

        /// `EVP_AEAD_CTX_seal` or `EVP_AEAD_CTX_open` (the same arguments) into `outputCount` bytes;
        /// nil when it fails or writes another count.
        private func run(
            _ operation: (UnsafePointer<EVP_AEAD_CTX>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int>?, Int,
                          UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int, UnsafePointer<UInt8>?, Int) -> Int32,
            nonce: [UInt8], _ input: UnsafeRawBufferPointer, outputCount: Int, _ additionalData: [UInt8]
        ) -> [UInt8]? {
            var output = [UInt8](repeating: 0, count: outputCount)
            var written = 0
            let done = output.withUnsafeMutableBufferPointer { out in
                nonce.withUnsafeBufferPointer { nonce in
                    additionalData.withUnsafeBufferPointer { additional in
                        operation(
                            &context, out.baseAddress, &written, out.count, nonce.baseAddress, nonce.count,
                            input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, additional.baseAddress, additional.count)
                    }
                }
            }
            guard done == 1, written == outputCount else { return nil }
            return output
        }
    }
}
