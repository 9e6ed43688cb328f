import Crypto

/// The MD5-based crypt scheme: Apache's `$apr1$` (what `htpasswd -m` writes) and the original `$1$`, which
/// differ only in the magic string mixed into the first digest.
public struct MD5Crypt: Sendable, Equatable {
    public enum Variant: String, Sendable, Equatable {
        case apache = "$apr1$"
        case freeBSD = "$1$"
    }

    var variant: Variant
    /// Up to eight salt characters.
    var salt: [UInt8]
    /// The 22-character encoded digest after the salt.
    var checksum: [UInt8]

    static let maximumSaltLength = 8
    static let checksumLength = 22

    /// Parses `$apr1$<salt>$<checksum>` (or `$1$…`).
    init(parsing text: String) throws {
        let variant: Variant
        if text.hasPrefix(Variant.apache.rawValue) {
            variant = .apache
        } else if text.hasPrefix(Variant.freeBSD.rawValue) {
            variant = .freeBSD
        } else {
            throw SpaceProxyError(.invalidCredentials, "not an MD5-crypt hash (expected $apr1$ or $1$)")
        }
        let rest = text.utf8.dropFirst(variant.rawValue.utf8.count)
        guard let dollar = rest.firstIndex(of: UInt8(ascii: "$")) else {
            throw SpaceProxyError(.invalidCredentials, "\(variant.rawValue) hash has no '$' after its salt")
        }
        let salt = Array(rest[rest.startIndex..<dollar])
        let checksum = Array(rest[rest.index(after: dollar)...])
        guard salt.count <= Self.maximumSaltLength, salt.allSatisfy(CryptBase64.isAlphabetCharacter) else {
            throw SpaceProxyError(.invalidCredentials, "\(variant.rawValue) salt must be at most 8 characters of [./0-9A-Za-z]")
        }
        guard checksum.count == Self.checksumLength, checksum.allSatisfy(CryptBase64.isAlphabetCharacter) else {
            throw SpaceProxyError(.invalidCredentials, "\(variant.rawValue) checksum must be 22 characters of [./0-9A-Za-z]")
        }
        self.variant = variant
        self.salt = salt
        self.checksum = checksum
    }

    func verify(_ password: [UInt8]) -> Bool {
        ConstantTime.equals(Self.checksum(password: password, salt: salt, variant: variant), checksum)
    }

    /// The 22-character checksum of `password` with `salt`.
    static func checksum(password: [UInt8], salt: [UInt8], variant: Variant) -> [UInt8] {
        let magic = Array(variant.rawValue.utf8)

        // The "alternate" digest: password, salt, password.
        var alternate = Insecure.MD5()
        alternate.update(data: password)
        alternate.update(data: salt)
        alternate.update(data: password)
        let alternateDigest = Array(alternate.finalize())

        var context = Insecure.MD5()
        context.update(data: password)
        context.update(data: magic)
        context.update(data: salt)
        // As many bytes of the alternate digest as the password is long, 16 at a time.
        var remaining = password.count
        while remaining > 0 {
            context.update(data: alternateDigest[0..<min(16, remaining)])
            remaining -= 16
        }
        // Then one byte per bit of the password length: a zero byte for a set bit, the password's first
        // byte for a clear one (the scheme's well-known quirk, kept for compatibility).
        var length = password.count
        while length != 0 {
            if length & 1 != 0 {
                context.update(data: [0])
            } else {
                context.update(data: password[0..<1])
            }
            length >>= 1
        }
        var digest = Array(context.finalize())

        // A thousand rounds to slow down guessing.
        for round in 0..<1000 {
            var roundContext = Insecure.MD5()
            if round & 1 != 0 { roundContext.update(data: password) } else { roundContext.update(data: digest) }
            if round % 3 != 0 { roundContext.update(data: salt) }
            if round % 7 != 0 { roundContext.update(data: password) }
            if round & 1 != 0 { roundContext.update(data: digest) } else { roundContext.update(data: password) }
            digest = Array(roundContext.finalize())
        }

        // The digest bytes are emitted in a fixed shuffled order, three at a time, least significant
        // six bits first.
        var output: [UInt8] = []
        output.reserveCapacity(checksumLength)
        func emit(_ a: UInt8, _ b: UInt8, _ c: UInt8, characters: Int) {
            var value = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
            for _ in 0..<characters {
                output.append(CryptBase64.alphabet[Int(value & 0x3f)])
                value >>= 6
            }
        }
        emit(digest[0], digest[6], digest[12], characters: 4)
        emit(digest[1], digest[7], digest[13], characters: 4)
        emit(digest[2], digest[8], digest[14], characters: 4)
        emit(digest[3], digest[9], digest[15], characters: 4)
        emit(digest[4], digest[10], digest[5], characters: 4)
        emit(0, 0, digest[11], characters: 2)
        return output
    }
}

/// The `./0-9A-Za-z` alphabet of the crypt(3) family (MD5-crypt); bcrypt orders the same characters
/// differently (see `BcryptBase64`).
enum CryptBase64 {
    static let alphabet: [UInt8] = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func isAlphabetCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            return true
        default:
            return false
        }
    }
}
