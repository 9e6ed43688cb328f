import Foundation
@testable import SparkWebUI
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
        let now: Int64 = 1_800_000_000_000
        #expect(filter.check(authorization: "Bearer " + Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"x"}"#), nowMilliseconds: now) == .allowed)
        for (label, header, payload) in [
            ("critical header", #"{"alg":"HS256","crit":["exp"]}"#, #"{"sub":"x"}"#),
            ("compressed", #"{"alg":"HS256","zip":"DEF"}"#, #"{"sub":"x"}"#),
            ("content type", #"{"alg":"HS256","cty":"JWT"}"#, #"{"sub":"x"}"#),
            ("no algorithm", #"{"typ":"JWT"}"#, #"{"sub":"x"}"#),
            ("header not an object", #"["HS256"]"#, #"{"sub":"x"}"#),
            ("payload not claims", #"{"alg":"HS256"}"#, #""just text""#),
            ("expiry not a number", #"{"alg":"HS256"}"#, #"{"exp":"tomorrow"}"#),
            ("expired a second ago", #"{"alg":"HS256"}"#, #"{"exp":1799999999}"#),
        ] {
            #expect(filter.check(authorization: "Bearer " + Self.token(header: header, payload: payload), nowMilliseconds: now) == .refused("JWT Validate Fail"), "\(label)")
        }
        // HS384 asks for a longer key than this filter's.
        let hs384 = #"{"alg":"HS384"}"#
        let input = Self.encode(Array(hs384.utf8)) + "." + Self.encode(Array("{}".utf8))
        let signed = input + "." + Self.encode(BoringCrypto.hmac(.sha384, key: Self.key, message: Array(input.utf8)))
        #expect(filter.check(authorization: "Bearer " + signed, nowMilliseconds: now) == .refused("JWT Validate Fail"))
        // Unbounded input is not read.
        let long = Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"pad":""# + String(repeating: "x", count: 20_000) + #""}"#)
        #expect(filter.check(authorization: "Bearer " + long, nowMilliseconds: now) == .refused("JWT Validate Fail"))
        #expect(filter.check(authorization: nil, nowMilliseconds: now) == .refused("Authorization header is missing."))
        #expect(filter.check(authorization: "bearer x", nowMilliseconds: now) == .refused("Malformed Authorization header."))
    }

    /// With `requireExpiration`, a good token without `exp` is refused with Spark's own reason; an
    /// expired one is refused as any bad token.
    @Test func requiredExpiration() {
        var filter = JWSFilter(key: Self.key)
        filter.requireExpiration = true
        let now: Int64 = 1_800_000_000_000
        let without = "Bearer " + Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"x"}"#)
        #expect(filter.check(authorization: without, nowMilliseconds: now) == .refused("Authorization token does not carry a required expiration."))
        let within = "Bearer " + Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"exp":1800000001}"#)
        #expect(filter.check(authorization: within, nowMilliseconds: now) == .allowed)
        let expired = "Bearer " + Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"exp":1799999999}"#)
        #expect(filter.check(authorization: expired, nowMilliseconds: now) == .refused("JWT Validate Fail"))
        // Seconds cut to whole ones and wrapped into milliseconds as Java does: 1e300 is long past.
        #expect(JWSFilter.dateMilliseconds(.number(1e300)) == Int64.max &* 1000)
        #expect(JWSFilter.dateMilliseconds(.number(1_800_000_000.9)) == 1_800_000_000_000)
        #expect(JWSFilter.dateMilliseconds(.string("1800000000")) == 1_800_000_000_000)
        #expect(JWSFilter.dateMilliseconds(.string("2027-01-01T00:00:00Z")) == nil)
    }

    @Test func base64URL() {
        #expect(JWSFilter.base64URLDecoded("-_8") == [0xFB, 0xFF])
        #expect(JWSFilter.base64URLDecoded("-_8=") == nil)
        #expect(JWSFilter.base64URLDecoded("-_8=", padding: true) == [0xFB, 0xFF])
        #expect(JWSFilter.base64URLDecoded("+/8") == nil)
        #expect(JWSFilter.base64URLDecoded("A") == nil)
        #expect(JWSFilter.base64URLDecoded("") == [])
    }
}
