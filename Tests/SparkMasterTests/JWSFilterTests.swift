import Foundation
@testable import SparkMasterServer
import SparkRPC
import Testing

/// What the REST server's JWSFilter refuses beyond what jjwt can be made to sign (tokens from jjwt
/// are checked against Spark's own master in `RestJWSFilterTests`).
@Suite struct JWSFilterTests {
    static let key = (0..<32).map { UInt8($0 * 7 % 256) }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token signed with our HMAC: only to build the refusals below.
    static func token(header: String, payload: String, key: [UInt8] = key) -> String {
        let input = encode(Array(header.utf8)) + "." + encode(Array(payload.utf8))
        return input + "." + encode(BoringCrypto.hmac(.sha256, key: key, message: Array(input.utf8)))
    }

    @Test func refusesWhatSparksFilterRefuses() {
        let filter = JWSFilter(key: Self.key)
        let now = 1_800_000_000.0
        #expect(filter.check(authorization: "Bearer " + Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"x"}"#), now: now) == .allowed)
        for (label, header, payload) in [
            ("critical header", #"{"alg":"HS256","crit":["exp"]}"#, #"{"sub":"x"}"#),
            ("compressed", #"{"alg":"HS256","zip":"DEF"}"#, #"{"sub":"x"}"#),
            ("unencoded payload", #"{"alg":"HS256","b64":false}"#, #"{"sub":"x"}"#),
            ("no algorithm", #"{"typ":"JWT"}"#, #"{"sub":"x"}"#),
            ("header not an object", #"["HS256"]"#, #"{"sub":"x"}"#),
            ("payload not claims", #"{"alg":"HS256"}"#, #""just text""#),
            ("expiry not a number", #"{"alg":"HS256"}"#, #"{"exp":"tomorrow"}"#),
            ("expired a second ago", #"{"alg":"HS256"}"#, #"{"exp":1799999999}"#),
        ] {
            #expect(filter.check(authorization: "Bearer " + Self.token(header: header, payload: payload), now: now) == .refused("JWT Validate Fail"), "\(label)")
        }
        // HS384 asks for a longer key than this filter's.
        let hs384 = #"{"alg":"HS384"}"#
        let input = Self.encode(Array(hs384.utf8)) + "." + Self.encode(Array("{}".utf8))
        let signed = input + "." + Self.encode(BoringCrypto.hmac(.sha384, key: Self.key, message: Array(input.utf8)))
        #expect(filter.check(authorization: "Bearer " + signed, now: now) == .refused("JWT Validate Fail"))
        // Unbounded input is not read.
        let long = Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"pad":""# + String(repeating: "x", count: 20_000) + #""}"#)
        #expect(filter.check(authorization: "Bearer " + long, now: now) == .refused("JWT Validate Fail"))
        #expect(filter.check(authorization: nil, now: now) == .refused("Authorization header is missing."))
        #expect(filter.check(authorization: "bearer x", now: now) == .refused("Malformed Authorization header."))
    }

    @Test func base64URL() {
        #expect(JWSFilter.base64URLDecoded("-_8") == [0xFB, 0xFF])
        #expect(JWSFilter.base64URLDecoded("-_8=") == [0xFB, 0xFF])
        #expect(JWSFilter.base64URLDecoded("+/8") == nil)
        #expect(JWSFilter.base64URLDecoded("A") == nil)
        #expect(JWSFilter.base64URLDecoded("") == [])
    }
}
