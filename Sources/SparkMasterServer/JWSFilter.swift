#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkConfig
import SparkRPC

/// Spark's `org.apache.spark.ui.JWSFilter` in front of the REST submission server
/// (`spark.master.rest.filters=org.apache.spark.ui.JWSFilter`): every request must carry
/// `Authorization: Bearer <JWS>`, a JSON Web Signature (RFC 7515, compact form) made with the key in
/// `spark.org.apache.spark.ui.JWSFilter.param.secretKey` (base64url, at least 256 bits).
///
/// Checked as Spark's filter has the jjwt library check it: HS256, HS384 or HS512 with a key long
/// enough for it; the payload a JSON object of claims, whose `exp` must not have passed and whose
/// `nbf` must have come; no unsigned tokens, no compressed or unencoded payloads, no critical
/// headers. A refused request gets 403 with Spark's reason; every answer, refused or not, says not
/// to cache it, as the filter's do.
struct JWSFilter: Sendable, Equatable {
    static let className = "org.apache.spark.ui.JWSFilter"
    static let secretKeyName = "spark.\(className).param.secretKey"
    /// The filter's `Cache-Control`, on what it lets through.
    static let cacheControl = "no-cache, no-store, must-revalidate"
    /// What Jetty's error page for a refusal says instead.
    static let refusalCacheControl = "must-revalidate,no-cache,no-store"
    /// Tokens longer than this are refused unread.
    static let maximumTokenLength = 16 * 1024

    let key: [UInt8]

    /// The filter `spark.master.rest.filters` asks for, nil when it asks for none. Filters other
    /// than JWSFilter are JVM classes this master cannot run, and a key that is missing, not
    /// base64url or shorter than 256 bits stops the master, as the filter's start stops Spark's
    /// server.
    static func configured(by conf: SparkConf) throws(SparkConfError) -> JWSFilter? {
        let value = conf["spark.master.rest.filters"] ?? ""
        let filters = value.split(separator: ",")
            .map { String($0.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()) }
            .filter { !$0.isEmpty }
        guard !filters.isEmpty else { return nil }
        guard filters.allSatisfy({ $0 == className }) else {
            throw SparkConfError(
                key: "spark.master.rest.filters", value: value,
                expected: "\(className) only: other servlet filters cannot run here (set spark.master.rest.enabled=false "
                    + "to start without the REST server)")
        }
        guard let encoded = conf[secretKeyName], let key = base64URLDecoded(encoded), key.count >= 32 else {
            throw SparkConfError(
                key: secretKeyName, value: conf[secretKeyName] == nil ? "" : "(hidden)",
                expected: "a base64url-encoded key of at least 256 bits (32 bytes), e.g. from `openssl rand 64 | basenc --base64url -w0`")
        }
        return JWSFilter(key: key)
    }

    enum Verdict: Sendable, Equatable {
        case allowed
        /// 403, with this reason.
        case refused(String)
    }

    /// Spark: `JWSFilter.doFilter`; `now` in seconds since the epoch.
    func check(authorization: String?, now: Double) -> Verdict {
        guard let authorization else { return .refused("Authorization header is missing.") }
        guard authorization.hasPrefix("Bearer ") else { return .refused("Malformed Authorization header.") }
        // Spark does not say why a token failed, and neither does this.
        return verify(String(authorization.dropFirst("Bearer ".count)), now: now) ? .allowed : .refused("JWT Validate Fail")
    }

    struct Header: Decodable {
        var alg: String?
        var crit: [String]?
        var zip: String?
        var b64: Bool?
    }

    struct Claims: Decodable {
        var exp: Double?
        var nbf: Double?
    }

    func verify(_ token: String, now: Double) -> Bool {
        guard token.utf8.count <= Self.maximumTokenLength else { return false }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Self.base64URLDecoded(parts[0]),
              let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)),
              header.crit == nil, header.zip == nil, header.b64 == nil
        else { return false }
        let digest: BoringCrypto.Digest
        let minimumKeyBytes: Int
        switch header.alg {
        case "HS256": (digest, minimumKeyBytes) = (.sha256, 32)
        case "HS384": (digest, minimumKeyBytes) = (.sha384, 48)
        case "HS512": (digest, minimumKeyBytes) = (.sha512, 64)
        default: return false  // "none" and the public-key algorithms among them
        }
        guard key.count >= minimumKeyBytes, let signature = Self.base64URLDecoded(parts[2]) else { return false }
        let expected = BoringCrypto.hmac(digest, key: key, message: Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)))
        guard BoringCrypto.constantTimeEquals(signature, expected) else { return false }
        guard let payload = Self.base64URLDecoded(parts[1]), let claims = try? JSONDecoder().decode(Claims.self, from: Data(payload))
        else { return false }
        if let exp = claims.exp, now > exp { return false }
        if let nbf = claims.nbf, now < nbf { return false }
        return true
    }

    /// Base64url without padding (RFC 4648 §5), trailing `=` tolerated; nil for anything else.
    static func base64URLDecoded(_ text: some StringProtocol) -> [UInt8]? {
        var body = Substring(text)
        while body.hasSuffix("=") { body = body.dropLast() }
        guard body.utf8.allSatisfy({ $0.isBase64URLDigit }), body.utf8.count % 4 != 1 else { return nil }
        var standard = String(body.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}

extension UInt8 {
    fileprivate var isBase64URLDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D || self == 0x5F
    }
}
