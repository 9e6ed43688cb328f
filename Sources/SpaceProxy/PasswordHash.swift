import Crypto
import Foundation

/// One stored password in a format nginx's `auth_basic_user_file` accepts.
public enum PasswordHash: Sendable, Equatable {
    /// `{PLAIN}secret`
    case plain([UInt8])
    /// `{SHA}base64(sha1(password))` (`htpasswd -s`)
    case sha1(digest: [UInt8])
    /// `{SSHA}base64(sha1(password + salt) + salt)` (LDAP style, `slappasswd`)
    case saltedSHA1(digest: [UInt8], salt: [UInt8])
    /// `$apr1$salt$checksum` (`htpasswd -m`, `openssl passwd -apr1`) or `$1$salt$checksum`
    case md5Crypt(MD5Crypt)
    /// `$2y$cost$…`, `$2a$`, `$2b$` (`htpasswd -B`)
    case bcrypt(Bcrypt)

    /// Parses the part of an htpasswd line after `user:`.
    public init(parsing text: String) throws {
        if text.hasPrefix("{PLAIN}") {
            self = .plain(Array(text.utf8.dropFirst("{PLAIN}".utf8.count)))
        } else if text.hasPrefix("{SHA}") {
            let encoded = String(text.dropFirst("{SHA}".count))
            guard let digest = Data(base64Encoded: encoded), digest.count == Insecure.SHA1.byteCount else {
                throw SpaceProxyError(.invalidCredentials, "{SHA} must be followed by the base64 of a 20-byte SHA-1 digest")
            }
            self = .sha1(digest: Array(digest))
        } else if text.hasPrefix("{SSHA}") {
            let encoded = String(text.dropFirst("{SSHA}".count))
            guard let decoded = Data(base64Encoded: encoded), decoded.count > Insecure.SHA1.byteCount else {
                throw SpaceProxyError(
                    .invalidCredentials, "{SSHA} must be followed by the base64 of a 20-byte SHA-1 digest and a salt")
            }
            let bytes = Array(decoded)
            self = .saltedSHA1(
                digest: Array(bytes[0..<Insecure.SHA1.byteCount]), salt: Array(bytes[Insecure.SHA1.byteCount...]))
        } else if text.hasPrefix("$apr1$") || text.hasPrefix("$1$") {
            self = .md5Crypt(try MD5Crypt(parsing: text))
        } else if text.hasPrefix("$2") {
            self = .bcrypt(try Bcrypt(parsing: text))
        } else if text.hasPrefix("$5$") || text.hasPrefix("$6$") {
            throw SpaceProxyError(
                .invalidCredentials, "SHA-crypt ($5$/$6$) hashes are not supported; use htpasswd -B (bcrypt) or -m (apr1)")
        } else {
            throw SpaceProxyError(
                .invalidCredentials,
                "unrecognised password format (supported: {PLAIN}, {SHA}, {SSHA}, $apr1$, $1$, $2a$/$2b$/$2y$)")
        }
    }

    /// Whether checking a password costs enough CPU to be worth doing off the event loop (bcrypt).
    public var isExpensive: Bool {
        switch self {
        case .bcrypt: return true
        case .plain, .sha1, .saltedSHA1, .md5Crypt: return false
        }
    }

    /// The format name, for logs and errors; never the hash itself.
    public var schemeName: String {
        switch self {
        case .plain: return "{PLAIN}"
        case .sha1: return "{SHA}"
        case .saltedSHA1: return "{SSHA}"
        case .md5Crypt(let crypt): return crypt.variant.rawValue
        case .bcrypt(let bcrypt): return "$\(bcrypt.revision.rawValue)$"
        }
    }

    /// Checks `password` (its UTF-8 bytes); digests are compared in constant time.
    public func verify(_ password: [UInt8]) -> Bool {
        switch self {
        case .plain(let stored):
            return ConstantTime.digestsEqual(stored, password)
        case .sha1(let digest):
            return ConstantTime.equals(Array(Insecure.SHA1.hash(data: password)), digest)
        case .saltedSHA1(let digest, let salt):
            return ConstantTime.equals(Array(Insecure.SHA1.hash(data: password + salt)), digest)
        case .md5Crypt(let crypt):
            return crypt.verify(password)
        case .bcrypt(let bcrypt):
            return bcrypt.verify(password)
        }
    }
}
