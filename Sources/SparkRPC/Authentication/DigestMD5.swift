/// SASL DIGEST-MD5 (RFC 2831) as Spark's RPC authentication uses it (`spark.authenticate=true` with
/// `spark.network.crypto.enabled=false`, the default): realm `default`, quality of protection `auth`
/// only (authentication, no integrity or privacy layer), `md5-sess`, UTF-8. Both sides hold the same
/// secret; the user name and password are Spark's encodings of `sparkSaslUser` and of the secret.
public enum DigestMD5 {
    public static let realm = "default"
    /// What Spark's SASL client names the service: no protocol, server name `default`.
    static let digestURI = "null/default"
    /// Challenges and responses are short; anything longer is refused unread.
    static let maxTokenSize = 4096
    static let maxDirectives = 32

    /// The user and password both sides derive from the shared secret.
    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: String

        /// Spark: `SparkSaslServer.encodeIdentifier("sparkSaslUser")` and `encodePassword(secret)`, which
        /// use Netty's base64: a line break after every 76 characters (none at the very end), so a
        /// secret of 58 bytes or more has one in its password.
        public init(secret: String) {
            self.init(user: Base64.encode(Array("sparkSaslUser".utf8)), password: Base64.encodeBrokenIntoLines(Array(secret.utf8)))
        }

        init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { "SASL DIGEST-MD5: \(message)" }
    }

    /// `key=value` and `key="quoted value"` directives separated by commas; nil when malformed.
    static func directives(_ token: [UInt8]) -> [String: String]? {
        guard token.count <= maxTokenSize else { return nil }
        let text = String(decoding: token, as: UTF8.self)
        // Invalid UTF-8 was replaced while decoding: refuse it.
        guard text.utf8.elementsEqual(token) else { return nil }
        var result: [String: String] = [:]
        var characters = Substring(text)
        while true {
            characters = characters.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard !characters.isEmpty else { return result }
            guard result.count < maxDirectives, let equals = characters.firstIndex(of: "=") else { return nil }
            let key = characters[..<equals].trimmingSpaces.lowercased()
            guard !key.isEmpty, !key.contains(where: { $0 == "," || $0 == "\"" }) else { return nil }
            characters = characters[characters.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if characters.first == "\"" {
                characters = characters.dropFirst()
                var closed = false
                while let character = characters.first {
                    characters = characters.dropFirst()
                    if character == "\\" {
                        guard let escaped = characters.first else { return nil }
                        value.append(escaped)
                        characters = characters.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
                characters = characters.drop { $0 == " " || $0 == "\t" }
                guard characters.isEmpty || characters.first == "," else { return nil }
            } else {
                let end = characters.firstIndex(of: ",") ?? characters.endIndex
                value = String(characters[..<end].trimmingSpaces)
                characters = characters[end...]
            }
            // RFC 2831: a directive given twice makes the whole message invalid.
            guard result.updateValue(value, forKey: key) == nil else { return nil }
        }
    }

    /// A reason safe to log: printable ASCII, at most 200 characters (peers choose part of it).
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(200).map { (0x20...0x7e).contains($0.value) ? Character($0) : "?" })
    }

    /// The `response` (client) or `rspauth` (server) value: 32 lowercase hex digits.
    static func digest(
        _ credentials: Credentials, realm: String, nonce: String, cnonce: String, nonceCount: String, qop: String,
        digestURI: String, forServer: Bool
    ) -> String {
        let secret = MD5.digest(Array("\(credentials.user):\(realm):\(credentials.password)".utf8))
        let a1 = secret + Array(":\(nonce):\(cnonce)".utf8)
        let a2 = (forServer ? ":" : "AUTHENTICATE:") + digestURI
        let value = "\(hex(MD5.digest(a1))):\(nonce):\(nonceCount):\(cnonce):\(qop):\(hex(MD5.digest(Array(a2.utf8))))"
        return hex(MD5.digest(Array(value.utf8)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// A random nonce of 30 bytes in base64 (what Java's mechanism sends).
    static func makeNonce<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        Base64.encode((0..<30).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// The server side of one handshake: a challenge for the client's empty first token, then `rspauth`
/// for a valid response.
public struct DigestMD5Server: Sendable {
    private enum State: Sendable {
        case initial
        case challenged(nonce: String)
        case complete
        case failed
    }

    private let credentials: DigestMD5.Credentials
    private let nonce: String
    private var state = State.initial

    public init(credentials: DigestMD5.Credentials, nonce: String) {
        self.credentials = credentials
        self.nonce = nonce
    }

    public var isComplete: Bool { if case .complete = state { true } else { false } }
    /// Whether the client's first token has been answered.
    public var hasStarted: Bool { if case .initial = state { false } else { true } }

    /// The token to send back for `token`; throws when the client is not to be trusted.
    public mutating func evaluate(_ token: [UInt8]) throws(DigestMD5.Failure) -> [UInt8] {
        switch state {
        case .initial:
            guard token.isEmpty else { try fail("the first message must be empty (\(token.count) bytes)") }
            state = .challenged(nonce: nonce)
            let challenge = "realm=\(DigestMD5.quoted(DigestMD5.realm)),nonce=\(DigestMD5.quoted(nonce)),qop=\"auth\",charset=utf-8,algorithm=md5-sess"
            return Array(challenge.utf8)
        case .challenged(let nonce):
            guard let fields = DigestMD5.directives(token) else { try fail("malformed response") }
            guard fields["username"] == credentials.user else { try fail("unknown user") }
            guard fields["realm"] == DigestMD5.realm else { try fail("wrong realm") }
            guard fields["nonce"] == nonce else { try fail("wrong nonce") }
            guard fields["nc"] == "00000001" else { try fail("wrong nonce count") }
            let qop = fields["qop"] ?? "auth"
            guard qop == "auth" else { try fail("quality of protection \(DigestMD5.printable(qop)) is not offered (only auth)") }
            guard let cnonce = fields["cnonce"], !cnonce.isEmpty, let uri = fields["digest-uri"], let response = fields["response"]
            else { try fail("incomplete response") }
            // As Java's server: a response computed for another service is not accepted here.
            guard uri == DigestMD5.digestURI else { try fail("digest-uri \(DigestMD5.printable(uri)) is not \(DigestMD5.digestURI)") }
            guard fields["authzid"] == nil || fields["authzid"] == credentials.user else { try fail("another authorization id") }
            let expected = DigestMD5.digest(
                credentials, realm: DigestMD5.realm, nonce: nonce, cnonce: cnonce, nonceCount: "00000001", qop: qop,
                digestURI: uri, forServer: false)
            guard ConstantTimeEquality.equal(Array(response.lowercased().utf8), Array(expected.utf8)) else {
                try fail("the response does not match the shared secret")
            }
            state = .complete
            let rspauth = DigestMD5.digest(
                credentials, realm: DigestMD5.realm, nonce: nonce, cnonce: cnonce, nonceCount: "00000001", qop: qop,
                digestURI: uri, forServer: true)
            return Array("rspauth=\(rspauth)".utf8)
        case .complete, .failed:
            try fail("no more messages are expected")
        }
    }

    private mutating func fail(_ message: String) throws(DigestMD5.Failure) -> Never {
        state = .failed
        throw DigestMD5.Failure(message: message)
    }
}

/// The client side of one handshake: an empty first token, a response to the challenge, then a check
/// of the server's `rspauth` (the server proves it holds the secret too).
public struct DigestMD5Client: Sendable {
    private enum State: Sendable {
        case initial
        case responded(rspauth: String)
        case complete
        case failed
    }

    private let credentials: DigestMD5.Credentials
    private let cnonce: String
    private var state = State.initial

    public init(credentials: DigestMD5.Credentials, cnonce: String) {
        self.credentials = credentials
        self.cnonce = cnonce
    }

    public var isComplete: Bool { if case .complete = state { true } else { false } }

    /// The first token: DIGEST-MD5 has no initial response.
    public var firstToken: [UInt8] { [] }

    /// The token answering `token`, or nil once the server is verified and the handshake complete.
    public mutating func evaluate(_ token: [UInt8]) throws(DigestMD5.Failure) -> [UInt8]? {
        switch state {
        case .initial:
            guard let fields = DigestMD5.directives(token) else { try fail("malformed challenge") }
            guard let nonce = fields["nonce"], !nonce.isEmpty else { try fail("the challenge has no nonce") }
            guard fields["algorithm"] == "md5-sess" else {
                try fail("algorithm \(DigestMD5.printable(fields["algorithm"] ?? "none")) is not md5-sess")
            }
            let offered = (fields["qop"] ?? "auth").split(separator: ",").map { $0.trimmingSpaces }
            guard offered.contains("auth") else {
                try fail("the server offers \(DigestMD5.printable(offered.joined(separator: ","))) only; SASL encryption is not supported")
            }
            let realm = fields["realm"] ?? DigestMD5.realm
            let response = DigestMD5.digest(
                credentials, realm: realm, nonce: nonce, cnonce: cnonce, nonceCount: "00000001", qop: "auth",
                digestURI: DigestMD5.digestURI, forServer: false)
            state = .responded(rspauth: DigestMD5.digest(
                credentials, realm: realm, nonce: nonce, cnonce: cnonce, nonceCount: "00000001", qop: "auth",
                digestURI: DigestMD5.digestURI, forServer: true))
            // RFC 2831: charset only when the server offered it (Spark's always does).
            let charset: [String] = fields["charset"]?.lowercased() == "utf-8" ? ["charset=utf-8"] : []
            let directives: [String] = [
                "username=\(DigestMD5.quoted(credentials.user))", "realm=\(DigestMD5.quoted(realm))",
                "nonce=\(DigestMD5.quoted(nonce))", "nc=00000001", "cnonce=\(DigestMD5.quoted(cnonce))",
                "digest-uri=\(DigestMD5.quoted(DigestMD5.digestURI))", "maxbuf=65536", "response=\(response)", "qop=auth",
            ]
            let text = (charset + directives).joined(separator: ",")
            return Array(text.utf8)
        case .responded(let expected):
            guard let fields = DigestMD5.directives(token), let rspauth = fields["rspauth"] else {
                try fail("malformed server proof")
            }
            guard ConstantTimeEquality.equal(Array(rspauth.lowercased().utf8), Array(expected.utf8)) else {
                try fail("the server does not hold the shared secret")
            }
            state = .complete
            return nil
        case .complete, .failed:
            try fail("no more messages are expected")
        }
    }

    private mutating func fail(_ message: String) throws(DigestMD5.Failure) -> Never {
        state = .failed
        throw DigestMD5.Failure(message: message)
    }
}

/// Compares without stopping at the first difference.
enum ConstantTimeEquality {
    static func equal(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

/// Standard base64 with padding.
enum Base64 {
    /// Netty's `Base64.encode(ByteBuf)` (the standard dialect): lines of 76 characters joined by `\n`.
    static func encodeBrokenIntoLines(_ bytes: [UInt8]) -> String {
        let plain = Array(encode(bytes))
        return stride(from: 0, to: plain.count, by: 76).map { String(plain[$0..<min($0 + 76, plain.count)]) }.joined(separator: "\n")
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var text = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
            for position in 0..<4 {
                if position <= chunk.count {
                    text.append(alphabet[Int((value >> UInt32(18 - 6 * position)) & 0x3f)])
                } else {
                    text.append("=")
                }
            }
            index += 3
        }
        return text
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self { if character == target { result += replacement } else { result.append(character) } }
        return result
    }
}
