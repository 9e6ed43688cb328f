/// A bcrypt hash, `$2a$`, `$2b$` or `$2y$` (what `htpasswd -B` writes): the expensive Blowfish key
/// schedule run 2^cost times over the password and a 16-byte salt, then "OrpheanBeholderScryDoubt"
/// encrypted 64 times.
///
/// The three prefixes name fixes of old implementation bugs (8-bit characters, passwords over 255
/// bytes); this implementation has neither bug, so it verifies all three the same way: the password
/// bytes plus a terminating zero byte, cut at 72 bytes.
public struct Bcrypt: Sendable, Equatable {
    public enum Revision: String, Sendable, Equatable {
        case a = "2a"
        case b = "2b"
        case y = "2y"
    }

    var revision: Revision
    /// log2 of the number of key-schedule rounds, 4...31.
    var cost: Int
    /// The salt as the 22 characters it is stored as.
    var encodedSalt: [UInt8]
    /// The 31-character encoded checksum.
    var checksum: [UInt8]

    static let costRange = 4...31
    static let encodedSaltLength = 22
    static let checksumLength = 31
    static let maximumKeyLength = 72

    /// Parses `$2y$<cost>$<22 salt characters><31 checksum characters>`.
    init(parsing text: String) throws {
        let bytes = Array(text.utf8)
        // "$2y$05$" + 22 + 31 = 60 characters.
        guard bytes.count == 7 + Self.encodedSaltLength + Self.checksumLength, bytes[0] == UInt8(ascii: "$"),
            bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$")
        else {
            throw SpaceProxyError(.invalidCredentials, "bcrypt hash must look like $2y$NN$ followed by 53 characters")
        }
        guard let revision = Revision(rawValue: String(decoding: bytes[1..<3], as: UTF8.self)) else {
            throw SpaceProxyError(.invalidCredentials, "unsupported bcrypt revision (expected $2a$, $2b$ or $2y$)")
        }
        guard let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), Self.costRange.contains(cost) else {
            throw SpaceProxyError(.invalidCredentials, "bcrypt cost must be two digits between 04 and 31")
        }
        let salt = Array(bytes[7..<(7 + Self.encodedSaltLength)])
        let checksum = Array(bytes[(7 + Self.encodedSaltLength)...])
        guard BcryptBase64.decode(salt, byteCount: 16) != nil, BcryptBase64.decode(checksum, byteCount: 23) != nil else {
            throw SpaceProxyError(.invalidCredentials, "bcrypt salt or checksum has characters outside [./A-Za-z0-9]")
        }
        self.revision = revision
        self.cost = cost
        self.encodedSalt = salt
        self.checksum = checksum
    }

    func verify(_ password: [UInt8]) -> Bool {
        guard let salt = BcryptBase64.decode(encodedSalt, byteCount: 16) else { return false }
        let computed = Self.hash(password: password, salt: salt, cost: cost)
        return ConstantTime.equals(BcryptBase64.encode(computed), checksum)
    }

    /// The 23 checksum bytes bcrypt stores for `password` under `salt` (16 bytes) at `cost`.
    static func hash(password: [UInt8], salt: [UInt8], cost: Int) -> [UInt8] {
        precondition(salt.count == 16 && costRange.contains(cost))
        var key = password
        key.append(0)
        if key.count > maximumKeyLength { key.removeLast(key.count - maximumKeyLength) }

        let state = BlowfishState()
        state.expandKey(key: key, salt: salt)
        let rounds = UInt64(1) << UInt64(cost)
        var round: UInt64 = 0
        while round < rounds {
            state.expandKey(key: key, salt: nil)
            state.expandKey(key: salt, salt: nil)
            round += 1
        }

        // "OrpheanBeholderScryDoubt" as six big-endian words.
        var text: [UInt32] = [0x4F72_7068, 0x6561_6E42, 0x6568_6F6C, 0x6465_7253, 0x6372_7944, 0x6F75_6274]
        for _ in 0..<64 {
            for pair in stride(from: 0, to: 6, by: 2) {
                (text[pair], text[pair + 1]) = state.encrypt(text[pair], text[pair + 1])
            }
        }
        var output: [UInt8] = []
        output.reserveCapacity(24)
        for word in text {
            output.append(UInt8(truncatingIfNeeded: word >> 24))
            output.append(UInt8(truncatingIfNeeded: word >> 16))
            output.append(UInt8(truncatingIfNeeded: word >> 8))
            output.append(UInt8(truncatingIfNeeded: word))
        }
        // bcrypt keeps 23 of the 24 bytes.
        output.removeLast()
        return output
    }
}

/// Blowfish's mutable key schedule: the 18-word P-array and four 256-word S-boxes, in one allocation.
final class BlowfishState {
    private let words: UnsafeMutablePointer<UInt32>
    private static let sBoxOffset = 18
    private static let wordCount = 18 + 4 * 256

    init() {
        words = .allocate(capacity: Self.wordCount)
        BlowfishInitialState.p.withUnsafeBufferPointer { words.initialize(from: $0.baseAddress!, count: 18) }
        BlowfishInitialState.s.withUnsafeBufferPointer {
            (words + Self.sBoxOffset).initialize(from: $0.baseAddress!, count: 4 * 256)
        }
    }

    deinit { words.deallocate() }

    @inline(__always)
    private func feistel(_ x: UInt32) -> UInt32 {
        let s = words + Self.sBoxOffset
        let a = s[Int(x >> 24)]
        let b = s[256 + Int((x >> 16) & 0xff)]
        let c = s[512 + Int((x >> 8) & 0xff)]
        let d = s[768 + Int(x & 0xff)]
        return ((a &+ b) ^ c) &+ d
    }

    /// Encrypts one 64-bit block given as two halves.
    @inline(__always)
    func encrypt(_ leftIn: UInt32, _ rightIn: UInt32) -> (UInt32, UInt32) {
        var left = leftIn
        var right = rightIn
        var index = 0
        while index < 16 {
            left ^= words[index]
            right ^= feistel(left)
            right ^= words[index + 1]
            left ^= feistel(right)
            index += 2
        }
        return (right ^ words[17], left ^ words[16])
    }

    /// Reads the next 32 bits of `data`, which repeats cyclically.
    @inline(__always)
    private static func nextWord(_ data: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> UInt32 {
        var word: UInt32 = 0
        for _ in 0..<4 {
            word = word << 8 | UInt32(data[position])
            position += 1
            if position == data.count { position = 0 }
        }
        return word
    }

    /// Mixes `key` into the P-array, then re-derives the whole state by encrypting a running block,
    /// XORed with the cyclic `salt` stream when one is given (the "expensive" variant bcrypt needs).
    func expandKey(key: [UInt8], salt: [UInt8]?) {
        key.withUnsafeBufferPointer { key in
            var keyPosition = 0
            for index in 0..<18 {
                words[index] ^= Self.nextWord(key, &keyPosition)
            }
        }
        var left: UInt32 = 0
        var right: UInt32 = 0
        if let salt {
            salt.withUnsafeBufferPointer { salt in
                var saltPosition = 0
                var index = 0
                while index < Self.wordCount {
                    left ^= Self.nextWord(salt, &saltPosition)
                    right ^= Self.nextWord(salt, &saltPosition)
                    (left, right) = encrypt(left, right)
                    words[index] = left
                    words[index + 1] = right
                    index += 2
                }
            }
        } else {
            var index = 0
            while index < Self.wordCount {
                (left, right) = encrypt(left, right)
                words[index] = left
                words[index + 1] = right
                index += 2
            }
        }
    }
}

/// bcrypt's own base64: alphabet `./A-Za-z0-9`, no padding, big-endian bit order like standard base64.
enum BcryptBase64 {
    static let alphabet: [UInt8] = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let first = bytes[index]
            output.append(alphabet[Int(first >> 2)])
            var carry = (first & 0x03) << 4
            guard index + 1 < bytes.count else {
                output.append(alphabet[Int(carry)])
                break
            }
            let second = bytes[index + 1]
            output.append(alphabet[Int(carry | (second >> 4))])
            carry = (second & 0x0f) << 2
            guard index + 2 < bytes.count else {
                output.append(alphabet[Int(carry)])
                break
            }
            let third = bytes[index + 2]
            output.append(alphabet[Int(carry | (third >> 6))])
            output.append(alphabet[Int(third & 0x3f)])
            index += 3
        }
        return output
    }

    /// Decodes exactly `byteCount` bytes from `characters`; nil on a character outside the alphabet or a
    /// length that does not match.
    static func decode(_ characters: [UInt8], byteCount: Int) -> [UInt8]? {
        guard characters.count == (byteCount * 4 + 2) / 3 else { return nil }
        var sextets: [UInt8] = []
        sextets.reserveCapacity(characters.count)
        for character in characters {
            let value = reverse[Int(character)]
            guard value >= 0 else { return nil }
            sextets.append(UInt8(value))
        }
        var output: [UInt8] = []
        output.reserveCapacity(byteCount)
        var index = 0
        while output.count < byteCount {
            let a = sextets[index]
            let b = index + 1 < sextets.count ? sextets[index + 1] : 0
            let c = index + 2 < sextets.count ? sextets[index + 2] : 0
            let d = index + 3 < sextets.count ? sextets[index + 3] : 0
            output.append(a << 2 | b >> 4)
            if output.count < byteCount { output.append((b & 0x0f) << 4 | c >> 2) }
            if output.count < byteCount { output.append((c & 0x03) << 6 | d) }
            index += 4
        }
        return output
    }
}
