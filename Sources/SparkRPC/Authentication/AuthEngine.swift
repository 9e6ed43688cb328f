import NIOCore

/// `spark.network.crypto.enabled=true`: Spark's AES-based authentication and the encryption of the
/// connection after it (Spark's `AuthEngine`). Both sides must be configured alike: none of this is
/// negotiated on the wire.
public struct NetworkCrypto: Sendable, Equatable {
    /// `spark.network.crypto.cipher`.
    public enum Cipher: Sendable, Equatable {
        /// `AES/CTR/NoPadding` (Spark's default).
        case ctr
        /// `AES/GCM/NoPadding`.
        case gcm
    }

    public var cipher: Cipher
    /// `spark.network.crypto.authEngineVersion`: with 1 (Spark's default) the session key is the raw
    /// X25519 secret (AES-256); with 2 it is derived from it and the handshake's transcript by HKDF (AES-128).
    public var authEngineVersion: Int
    /// `spark.network.crypto.saslFallback` (on by default): a server also accepts SASL clients, and a
    /// client whose AES challenge is refused goes on with SASL on the same connection.
    public var saslFallback: Bool

    public init(cipher: Cipher = .ctr, authEngineVersion: Int = 1, saslFallback: Bool = true) {
        self.cipher = cipher
        self.authEngineVersion = authEngineVersion
        self.saslFallback = saslFallback
    }
}

/// Spark's `AuthMessage`, the body of both handshake requests: tag `0xFB`, the application id
/// (int32 length + UTF-8), a salt and a ciphertext (int32 length + bytes each).
struct AuthMessage: Equatable {
    static let tag: UInt8 = 0xFB
    static let maxAppIdSize = 1024
    /// Spark sends a 16-byte salt and a 60-byte ciphertext (nonce, 32-byte key, tag).
    static let maxFieldSize = 256

    var appId: String
    var salt: [UInt8]
    var ciphertext: [UInt8]

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.tag)
        buffer.writeInteger(Int32(appId.utf8.count))
        buffer.writeString(appId)
        buffer.writeInteger(Int32(salt.count))
        buffer.writeBytes(salt)
        buffer.writeInteger(Int32(ciphertext.count))
        buffer.writeBytes(ciphertext)
    }

    var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    static func decode(_ body: ByteBuffer) throws(AuthEngine.Failure) -> AuthMessage {
        var body = body
        guard body.readInteger(as: UInt8.self) == tag else { throw AuthEngine.Failure("expected an AuthMessage") }
        func field(_ limit: Int) throws(AuthEngine.Failure) -> [UInt8] {
            guard let length = body.readInteger(as: Int32.self), length >= 0, length <= limit,
                  let bytes = body.readBytes(length: Int(length))
            else { throw AuthEngine.Failure("malformed AuthMessage") }
            return bytes
        }
        let appId = String(decoding: try field(maxAppIdSize), as: UTF8.self)
        let salt = try field(maxFieldSize)
        let ciphertext = try field(maxFieldSize)
        guard body.readableBytes == 0 else { throw AuthEngine.Failure("malformed AuthMessage") }
        return AuthMessage(appId: appId, salt: salt, ciphertext: ciphertext)
    }
}

/// One side of Spark's AES-based handshake. The client sends its ephemeral X25519 public key
/// encrypted (AES-GCM) under a key derived from the shared secret, so only a holder of the secret
/// can read it or answer; the server answers with its own, encrypted the same way and bound to the
/// challenge. Both then derive the session's AES-CTR key and IVs from the X25519 secret and the
/// transcript of the two messages.
struct AuthEngine {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The session cipher's parameters for one side: what it encrypts with and what it decrypts with.
    struct SessionKeys: Equatable {
        var key: [UInt8]
        var encryptionIV: [UInt8]
        var decryptionIV: [UInt8]
    }

    static let derivedKeyInfo = Array("derivedKey".utf8)
    static let inputIVInfo = Array("inputIv".utf8)
    static let outputIVInfo = Array("outputIv".utf8)
    static let keySize = 16

    let appId: String
    private let secret: [UInt8]
    private let skipFinalHKDF: Bool
    private var clientPrivateKey: [UInt8]?

    init(appId: String, secret: String, crypto: NetworkCrypto) {
        self.appId = appId
        self.secret = Array(secret.utf8)
        skipFinalHKDF = crypto.authEngineVersion == 1
    }

    /// The client's first message.
    mutating func challenge() throws(Failure) -> AuthMessage {
        let (privateKey, publicKey) = BoringCrypto.x25519KeyPair()
        clientPrivateKey = privateKey
        return try encrypt(publicKey: publicKey, transcript: [])
    }

    /// The server's answer to `challenge`, and its session keys. Throws when the challenge was not made
    /// with the same secret (or is not a challenge at all).
    func respond(to challenge: AuthMessage) throws(Failure) -> (AuthMessage, SessionKeys) {
        guard challenge.appId == appId else { throw Failure("the application id is different") }
        let clientPublicKey = try decrypt(challenge, transcript: [])
        let (privateKey, publicKey) = BoringCrypto.x25519KeyPair()
        let response = try encrypt(publicKey: publicKey, transcript: Self.transcript(challenge))
        let keys = try sessionKeys(
            privateKey: privateKey, peerPublicKey: clientPublicKey, isClient: false, transcript: Self.transcript(challenge, response))
        return (response, keys)
    }

    /// The client's session keys from the server's `response` to its `challenge`.
    func finish(challenge: AuthMessage, response: AuthMessage) throws(Failure) -> SessionKeys {
        guard let clientPrivateKey else { throw Failure("no challenge was made") }
        guard response.appId == appId else { throw Failure("the application id is different") }
        let serverPublicKey = try decrypt(response, transcript: Self.transcript(challenge))
        return try sessionKeys(
            privateKey: clientPrivateKey, peerPublicKey: serverPublicKey, isClient: true, transcript: Self.transcript(challenge, response))
    }

    static func transcript(_ messages: AuthMessage...) -> [UInt8] {
        var buffer = ByteBuffer()
        for message in messages { message.encode(into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    /// AES-128-GCM under HKDF-SHA256(secret, salt, info: the additional data).
    private func keyEncryptingKey(salt: [UInt8], additionalData: [UInt8]) -> BoringCrypto.AESGCM {
        // A 16-byte key always makes a cipher.
        BoringCrypto.AESGCM(key: BoringCrypto.hkdfSHA256(secret: secret, salt: salt, info: additionalData, count: Self.keySize))!
    }

    /// The ciphertext is Tink's (and swift-crypto's) combined form: a random 12-byte nonce, the
    /// encrypted key, the tag.
    private func encrypt(publicKey: [UInt8], transcript: [UInt8]) throws(Failure) -> AuthMessage {
        let salt = BoringCrypto.randomBytes(Self.keySize)
        let additionalData = Array(appId.utf8) + salt + transcript
        let nonce = BoringCrypto.randomBytes(BoringCrypto.AESGCM.nonceSize)
        let sealed = publicKey.withUnsafeBytes {
            keyEncryptingKey(salt: salt, additionalData: additionalData).seal(nonce: nonce, $0, additionalData: additionalData)
        }
        return AuthMessage(appId: appId, salt: salt, ciphertext: nonce + sealed)
    }

    private func decrypt(_ message: AuthMessage, transcript: [UInt8]) throws(Failure) -> [UInt8] {
        let additionalData = Array(message.appId.utf8) + message.salt + transcript
        let nonceSize = BoringCrypto.AESGCM.nonceSize
        // A wrong secret ends here too: the tag does not match.
        guard message.ciphertext.count >= nonceSize + BoringCrypto.AESGCM.tagSize,
              let publicKey = message.ciphertext[nonceSize...].withUnsafeBytes({
                  keyEncryptingKey(salt: message.salt, additionalData: additionalData)
                      .open(nonce: Array(message.ciphertext[..<nonceSize]), $0, additionalData: additionalData)
              })
        else { throw Failure("the peer's key does not decrypt with this secret") }
        guard publicKey.count == 32 else { throw Failure("the peer's key is not an X25519 key") }
        return publicKey
    }

    private func sessionKeys(
        privateKey: [UInt8], peerPublicKey: [UInt8], isClient: Bool, transcript: [UInt8]
    ) throws(Failure) -> SessionKeys {
        // A low-order public key gives an all-zero secret, known to anyone (Tink refuses such keys).
        guard let shared = BoringCrypto.x25519(privateKey: privateKey, peerPublicKey: peerPublicKey) else {
            throw Failure("the peer's key is of low order")
        }
        func derive(_ info: [UInt8]) -> [UInt8] {
            BoringCrypto.hkdfSHA256(secret: shared, salt: transcript, info: info, count: Self.keySize)
        }
        let key = skipFinalHKDF ? shared : derive(Self.derivedKeyInfo)
        let input = derive(Self.inputIVInfo)
        let output = derive(Self.outputIVInfo)
        // The client writes with "outputIv" and reads with "inputIv"; the server the other way round.
        return isClient
            ? SessionKeys(key: key, encryptionIV: output, decryptionIV: input)
            : SessionKeys(key: key, encryptionIV: input, decryptionIV: output)
    }
}
