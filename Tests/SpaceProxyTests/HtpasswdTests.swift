import Foundation
import Testing

@testable import SpaceProxy

/// Known vectors, generated on Debian 12 with apache2-utils 2.4.x (`htpasswd -nb…`) and OpenSSL 3
/// (`openssl passwd -apr1 -salt …`); {SSHA} with Python's hashlib (sha1(password + salt) + salt).
@Suite("htpasswd formats")
struct HtpasswdTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var hash: String
        var password: String
        var testDescription: String { "\(hash.prefix(12))… / \(password.prefix(12))" }
    }

    static let vectors: [Vector] = [
        // htpasswd -nbm
        Vector(hash: "$apr1$bPPz.4Pw$j9KB13PrB5A0D4fJBAVpN.", password: "apr-secret"),
        Vector(hash: "$apr1$.Eeb45Rt$FUnG2p9J5w0R1OmBL3E9d0", password: "p@ss:w0rd!"),
        Vector(hash: "$apr1$zSZ1Lrjj$V8LcZQfT7cFa3zIYRuxpx1", password: "pässwörd€"),
        Vector(hash: "$apr1$KKk3pIfG$.F2dnnZNExHNccLIWpEap1", password: ""),
        Vector(hash: "$apr1$yIKdjXL6$.DDOpBMb.EDEIypdtHEVP1", password: String(repeating: "b", count: 100)),
        // openssl passwd -apr1 -salt
        Vector(hash: "$apr1$saltsalt$n6qUKCNNvxqzX5YOsYI.P.", password: "openssl-apr"),
        Vector(hash: "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0", password: ""),
        // htpasswd -nbs
        Vector(hash: "{SHA}KkPcK3XYeA35EhWhKYmaCyAgadY=", password: "sha-secret"),
        Vector(hash: "{SHA}2jmj7l5rSw0yVb/vlWAYkK/YBwk=", password: ""),
        // sha1(password + salt) + salt, base64
        Vector(hash: "{SSHA}gBAauuPj63sY9hC+n9AwDbIBP7ABAgME", password: "ssha-secret"),
        Vector(hash: "{SSHA}gQIctjhs/4fFwQx48sxBuhbZIT1zYWx0eTEyMw==", password: "another"),
        // htpasswd -nbB -C <cost>
        Vector(hash: "$2y$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG", password: "bcrypt-secret"),
        Vector(hash: "$2y$04$1l7SdAO0unut51HC0DIHj.N990ZKqjn7TbAuAZrkjpxZBFCEoE6OK", password: "x"),
        Vector(hash: "$2y$04$mMwRplZfa7s3gQ17sEPuRuNwE42L/bBfUILuxLEk2tUJVesEw6iMa", password: "pässwörd€"),
        Vector(hash: "$2y$04$5Bv5Kl.VxITVxmolh1j80eovC8BvhHXNQFbRFAJ3zAYszMkuKCnta", password: ""),
        // 80 bytes: bcrypt only uses the first 72
        Vector(hash: "$2y$04$Da/jjbZdMrew3TvBKS6shu2LgRh.HoJ1RlKa7suN4qRLhwqDJOMR2", password: String(repeating: "a", count: 80)),
        // The classic OpenBSD vector, $2a$
        Vector(hash: "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", password: "U*U"),
        // {PLAIN}, as in the seed app
        Vector(hash: "{PLAIN}space", password: "space"),
        Vector(hash: "{PLAIN}", password: ""),
    ]

    @Test("verifies the right password", arguments: vectors)
    func verifiesRightPassword(_ vector: Vector) throws {
        let hash = try PasswordHash(parsing: vector.hash)
        #expect(hash.verify(Array(vector.password.utf8)))
    }

    @Test("rejects wrong passwords", arguments: vectors)
    func rejectsWrongPasswords(_ vector: Vector) throws {
        let hash = try PasswordHash(parsing: vector.hash)
        for wrong in [vector.password + "x", "x" + vector.password, String(vector.password.dropLast()), vector.password.uppercased() + "!"]
        where wrong != vector.password && !(hash.isExpensive && Array(wrong.utf8.prefix(72)) == Array(vector.password.utf8.prefix(72))) {
            // (bcrypt ignores bytes after the 72nd, so those variations are not wrong.)
            #expect(!hash.verify(Array(wrong.utf8)), "accepted \(wrong.debugDescription)")
        }
    }

    @Test("bcrypt cost 10, as htpasswd -B writes by default")
    func bcryptDefaultCost() throws {
        let hash = try PasswordHash(parsing: "$2y$10$Xcf0mYmyah6qwhsL8xUrfOZ1lUEzeVhtj36hqcMDpeR88qE70Y6vG")
        #expect(hash.isExpensive)
        #expect(hash.verify(Array("correct horse battery staple".utf8)))
        #expect(!hash.verify(Array("correct horse battery stapler".utf8)))
    }

    @Test("$2a$, $2b$ and $2y$ verify alike; 72-byte truncation")
    func bcryptRevisions() throws {
        let body = "$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG"
        for revision in ["$2a", "$2b", "$2y"] {
            #expect(try PasswordHash(parsing: revision + body).verify(Array("bcrypt-secret".utf8)))
        }
        let long = try PasswordHash(parsing: "$2y$04$Da/jjbZdMrew3TvBKS6shu2LgRh.HoJ1RlKa7suN4qRLhwqDJOMR2")
        #expect(long.verify(Array(String(repeating: "a", count: 72).utf8)))
        #expect(long.verify(Array((String(repeating: "a", count: 72) + "anything").utf8)))
        #expect(!long.verify(Array(String(repeating: "a", count: 71).utf8)))
    }

    @Test("bcrypt base64 round-trips")
    func bcryptBase64() {
        let bytes: [UInt8] = (0..<23).map { UInt8($0 * 11 & 0xff) }
        let encoded = BcryptBase64.encode(bytes)
        #expect(encoded.count == 31)
        #expect(BcryptBase64.decode(encoded, byteCount: 23) == bytes)
        #expect(BcryptBase64.decode(Array("!!!!!!!!!!!!!!!!!!!!!!".utf8), byteCount: 16) == nil)
    }

    @Test("the Blowfish state is π")
    func blowfishInitialState() {
        #expect(BlowfishInitialState.p.count == 18)
        #expect(BlowfishInitialState.s.count == 1024)
        #expect(BlowfishInitialState.p.first == 0x243F_6A88)
        #expect(BlowfishInitialState.p.last == 0x8979_FB1B)
        #expect(BlowfishInitialState.s.first == 0xD131_0BA6)
        #expect(BlowfishInitialState.s.last == 0x3AC3_72E6)
    }

    static let malformed: [(String, String)] = [
        ("no colon", "spark{PLAIN}space"),
        ("empty user", ":{PLAIN}space"),
        ("unknown scheme", "spark:space"),
        ("DES crypt", "spark:rl0fU2UiMa7.6"),
        ("SHA-512 crypt", "spark:$6$salt$abcdef"),
        ("{SHA} not base64", "spark:{SHA}not base64!"),
        ("{SHA} wrong length", "spark:{SHA}AAAA"),
        ("{SSHA} without salt", "spark:{SSHA}KkPcK3XYeA35EhWhKYmaCyAgadY="),
        ("apr1 without checksum", "spark:$apr1$saltsalt"),
        ("apr1 long salt", "spark:$apr1$saltsaltsalt$n6qUKCNNvxqzX5YOsYI.P."),
        ("apr1 short checksum", "spark:$apr1$saltsalt$n6qUKCNNvxqzX5YOsYI.P"),
        ("apr1 bad character", "spark:$apr1$saltsalt$n6qUKCNNvxqzX5YOsYI.P!"),
        ("bcrypt truncated", "spark:$2y$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhB"),
        ("bcrypt cost 03", "spark:$2y$03$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG"),
        ("bcrypt cost 32", "spark:$2y$32$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG"),
        ("bcrypt $2x$", "spark:$2x$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG"),
        ("bcrypt bad character", "spark:$2y$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhB!"),
        ("duplicate user", "spark:{PLAIN}a\nspark:{PLAIN}b"),
        ("only comments", "# nobody\n\n"),
    ]

    @Test("malformed entries are errors that name the entry but never the hash", arguments: malformed)
    func malformedEntries(_ name: String, _ text: String) throws {
        let error = try #require(throws: SpaceProxyError.self) { try HtpasswdFile(parsing: text) }
        #expect(error.code == .invalidCredentials)
        let hashPart = text.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
        if hashPart.count > 6 { #expect(!error.description.contains(hashPart), "leaks the hash: \(error)") }
    }

    @Test("entries split on newlines, else on commas; comments and blanks skipped")
    func separators() throws {
        let commas = try HtpasswdFile(parsing: "alice:{PLAIN}a, bob:{SHA}KkPcK3XYeA35EhWhKYmaCyAgadY=")
        #expect(commas.entries.map(\.user) == ["alice", "bob"])
        #expect(commas.verify(user: "bob", password: "sha-secret"))

        let lines = try HtpasswdFile(parsing: "# operators\nalice:{PLAIN}a,b\r\n\n  bob:$apr1$bPPz.4Pw$j9KB13PrB5A0D4fJBAVpN.  \n")
        #expect(lines.entries.map(\.user) == ["alice", "bob"])
        #expect(lines.verify(user: "alice", password: "a,b"))
        #expect(lines.verify(user: "bob", password: "apr-secret"))
        #expect(!lines.verify(user: "carol", password: "a,b"))
        #expect(!lines.verify(user: "alice", password: "a"))
    }

    @Test("error names the position and user")
    func errorContext() throws {
        let error = try #require(throws: SpaceProxyError.self) {
            try HtpasswdFile(parsing: "alice:{PLAIN}a\nbob:$apr1$bad")
        }
        #expect(error.context == "entry 2 (user \"bob\")")
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.digestsEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.digestsEqual(Array("abc".utf8), Array("abcd".utf8)))
    }
}

@Suite("Basic authenticator")
struct BasicAuthenticatorTests {
    static let users = try! HtpasswdFile(
        parsing: "spark:{PLAIN}space\nops:$2y$04$1l7SdAO0unut51HC0DIHj.N990ZKqjn7TbAuAZrkjpxZBFCEoE6OK")

    static func basic(_ credentials: String) -> String { "Basic " + Data(credentials.utf8).base64EncodedString() }

    @Test("outcomes")
    func outcomes() async {
        let authenticator = BasicAuthenticator(users: Self.users)
        #expect(await authenticator.authenticate(authorization: []) == .missingCredentials)
        #expect(await authenticator.authenticate(authorization: ["Bearer abc"]) == .missingCredentials)
        #expect(await authenticator.authenticate(authorization: ["Basic !!!"]) == .malformedCredentials)
        #expect(await authenticator.authenticate(authorization: [Self.basic("no-colon")]) == .malformedCredentials)
        #expect(await authenticator.authenticate(authorization: [Self.basic("spark:space")]) == .allowed(user: "spark"))
        #expect(await authenticator.authenticate(authorization: ["basic " + Data("spark:space".utf8).base64EncodedString()]) == .allowed(user: "spark"))
        #expect(await authenticator.authenticate(authorization: [Self.basic("spark:wrong")]) == .rejected(user: "spark"))
        #expect(await authenticator.authenticate(authorization: [Self.basic("nobody:space")]) == .rejected(user: "nobody"))
        // A password may contain colons: only the first separates the user.
        #expect(await authenticator.authenticate(authorization: [Self.basic("ops:x")]) == .allowed(user: "ops"))
        #expect(await authenticator.authenticate(authorization: [Self.basic("ops:x:")]) == .rejected(user: "ops"))
    }

    @Test("passwords longer than htpasswd's are rejected before any hashing")
    func overlongPasswords() async {
        let users = try! HtpasswdFile(parsing: "long:{PLAIN}" + String(repeating: "p", count: 1025) + "\nok:{PLAIN}" + String(repeating: "p", count: 1024))
        let authenticator = BasicAuthenticator(users: users, maximumConcurrentSlowChecks: 0)
        #expect(await authenticator.authenticate(authorization: [Self.basic("long:" + String(repeating: "p", count: 1025))]) == .rejected(user: "long"))
        #expect(await authenticator.authenticate(authorization: [Self.basic("ok:" + String(repeating: "p", count: 1024))]) == .allowed(user: "ok"))
        // Not even a bcrypt check is started (no slot would answer busy).
        let bcrypt = BasicAuthenticator(users: Self.users, maximumConcurrentSlowChecks: 0)
        #expect(await bcrypt.authenticate(authorization: [Self.basic("ops:" + String(repeating: "x", count: 30_000))]) == .rejected(user: "ops"))
    }

    @Test("anonymous mode lets everyone in")
    func anonymous() async {
        let authenticator = BasicAuthenticator(users: nil)
        #expect(await authenticator.authenticate(authorization: []) == .allowed(user: nil))
    }

    @Test("no slot for an expensive check → busy")
    func busy() async {
        let authenticator = BasicAuthenticator(users: Self.users, maximumConcurrentSlowChecks: 0)
        #expect(await authenticator.authenticate(authorization: [Self.basic("ops:x")]) == .busy)
        // Cheap schemes never wait for a slot.
        #expect(await authenticator.authenticate(authorization: [Self.basic("spark:space")]) == .allowed(user: "spark"))
    }

    @Test("an unknown name costs what a configured user of some scheme costs, the same every time")
    func unknownUsersLookLikeKnownOnes() async {
        // No slot for bcrypt: a name checked against the bcrypt entry is told busy, one checked against
        // the plain entry is rejected at once.
        let authenticator = BasicAuthenticator(users: Self.users, maximumConcurrentSlowChecks: 0)
        var outcomes: [String: BasicAuthenticator.Outcome] = [:]
        for index in 0..<64 {
            let name = "nobody-\(index)"
            outcomes[name] = await authenticator.authenticate(authorization: [Self.basic("\(name):space")])
        }
        let slow = outcomes.values.filter { $0 == .busy }.count
        let fast = outcomes.filter { $0.value == .rejected(user: $0.key) }.count
        #expect(slow + fast == 64)
        // 64 fair draws: both kinds, each between 12 and 52 (a chance below one in a million otherwise).
        #expect((12...52).contains(slow), "\(slow) of 64 unknown names took the bcrypt path")
        for (name, outcome) in outcomes {
            #expect(await authenticator.authenticate(authorization: [Self.basic("\(name):other")]) == outcome, "\(name)")
        }
    }

    @Test("verified credentials are remembered, boundedly")
    func cache() {
        var cache = VerifiedCredentials(capacity: 2)
        cache.insert([1])
        cache.insert([2])
        cache.insert([2])
        #expect(cache.count == 2)
        cache.insert([3])
        #expect(cache.count == 2)
        #expect(!cache.contains([1]))
        #expect(cache.contains([2]) && cache.contains([3]))
    }
}
