#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
import Hummingbird
import NIOCore
import SparkConfig
import SparkRPC

/// Spark's `org.apache.spark.ui.JWSFilter` in front of the REST submission server
/// (`spark.master.rest.filters=org.apache.spark.ui.JWSFilter`) or a daemon's web UI
/// (`spark.ui.filters=org.apache.spark.ui.JWSFilter`): every request must carry
/// `Authorization: Bearer <JWS>`, a JSON Web Signature (RFC 7515, compact form) made with the key in
/// `spark.org.apache.spark.ui.JWSFilter.param.secretKey` (base64url, at least 256 bits); with
/// `...param.requireExpiration=true` the token must also carry an `exp` claim.
///
/// Checked as Spark's filter has the jjwt library check it: HS256, HS384 or HS512 with a key long
/// enough for it; the payload a JSON object of claims (no `cty`), whose registered claims have
/// their types (`iss`, `sub`, `jti` strings, `aud` a string or strings, `exp`, `nbf`, `iat`
/// seconds), whose `exp` must not have passed and whose `nbf` must have come; no unsigned tokens,
/// no critical headers, no blanks in the segments (trailing `=` padding is tolerated, as by jjwt). Unlike jjwt, compressed payloads
/// (`zip`), dates written as ISO 8601 text and repeated JSON keys are not told apart from other
/// refusals or acceptances: compressed payloads and ISO dates are refused, and a repeated key
/// counts once. A refused request gets 403 with Spark's reason; every answer, refused or not, says
/// not to cache it, as the filter's do.
package struct JWSFilter: Sendable, Equatable {
    package static let className = "org.apache.spark.ui.JWSFilter"
    package static let secretKeyName = "spark.\(className).param.secretKey"
    package static let requireExpirationName = "spark.\(className).param.requireExpiration"
    /// The filter's `Cache-Control`, on what it lets through.
    package static let cacheControl = "no-cache, no-store, must-revalidate"
    /// What Jetty's error page for a refusal says instead.
    package static let refusalCacheControl = "must-revalidate,no-cache,no-store"
    /// Tokens longer than this are refused unread: the request header limit of the server the
    /// filter guards (Jetty's 8 KiB unless `spark.ui.requestHeaderSize` raises it), which the
    /// server's decoder enforces before the filter sees the request.
    package var maximumTokenLength = 8 * 1024

    package let key: [UInt8]
    package var requireExpiration = false

    package init(key: [UInt8], requireExpiration: Bool = false) {
        self.key = key
        self.requireExpiration = requireExpiration
    }

    /// Where a daemon reads its filters: the list's key, and what to do instead of a filter that
    /// cannot run here.
    package enum Placement: Sendable {
        /// `spark.master.rest.filters`, the master's REST submission server.
        case restServer
        /// `spark.ui.filters`, the master's and the workers' web UIs.
        case webUI

        package var listKey: String {
            switch self {
            case .restServer: "spark.master.rest.filters"
            case .webUI: "spark.ui.filters"
            }
        }

        var instead: String {
            switch self {
            case .restServer: "set spark.master.rest.enabled=false to start without the REST server"
            case .webUI: "JWSFilter is the one filter served here; without a filter the web UI is open to anyone who reaches its port"
            }
        }
    }

    /// The filter the list at `placement` asks for, nil when it asks for none. Filters other than
    /// JWSFilter are JVM classes this daemon cannot run, and a key that is missing, not base64url
    /// or shorter than 256 bits stops the daemon, as the filter's start stops Spark's server.
    /// Both places read the filter's parameters from the same keys, as Spark does.
    package static func configured(by conf: SparkConf, at placement: Placement) throws(SparkConfError) -> JWSFilter? {
        let value = conf[placement.listKey] ?? ""
        let filters = conf.list(placement.listKey)
        guard !filters.isEmpty else { return nil }
        guard filters.allSatisfy({ $0 == className }) else {
            throw SparkConfError(
                key: placement.listKey, value: value,
                expected: "\(className) only: other servlet filters cannot run here (\(placement.instead))")
        }
        guard let encoded = conf[secretKeyName], let key = base64URLDecoded(encoded, padding: true), key.count >= 32 else {
            throw SparkConfError(
                key: secretKeyName, value: conf[secretKeyName] == nil ? "" : "(hidden)",
                expected: "a base64url-encoded key of at least 256 bits (32 bytes), e.g. from `openssl rand 64 | basenc --base64url -w0`")
        }
        return JWSFilter(key: key, requireExpiration: conf[requireExpirationName]?.lowercased() == "true")
    }

    package enum Verdict: Sendable, Equatable {
        case allowed
        /// 403, with this reason.
        case refused(String)
    }

    /// Spark: `JWSFilter.doFilter` (`authorization`: the first `Authorization` header, as a
    /// servlet's `getHeader` gives it); `nowMilliseconds` since the epoch.
    package func check(authorization: String?, nowMilliseconds: Int64) -> Verdict {
        guard let authorization else { return .refused("Authorization header is missing.") }
        guard authorization.hasPrefix("Bearer ") else { return .refused("Malformed Authorization header.") }
        // Spark does not say why a token failed, and neither does this.
        guard let claims = verify(String(authorization.dropFirst("Bearer ".count)), nowMilliseconds: nowMilliseconds) else {
            return .refused("JWT Validate Fail")
        }
        if requireExpiration, claims.expirationMilliseconds == nil {
            return .refused("Authorization token does not carry a required expiration.")
        }
        return .allowed
    }

    /// The refusal as Jetty's `sendError(403, reason)` gives it to a client that does not ask for
    /// HTML, with the error page's cache header.
    package static func refusal(_ reason: String) -> Response {
        let text = "HTTP ERROR 403 \(reason)\n"
        var headers = HTTPFields()
        headers[.contentType] = "text/plain;charset=utf-8"
        headers[.contentLength] = String(text.utf8.count)
        headers[.cacheControl] = refusalCacheControl
        return Response(status: .forbidden, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// What a verified token says that the filter looks at.
    struct VerifiedClaims: Equatable {
        var expirationMilliseconds: Int64?
    }

    func verify(_ token: String, nowMilliseconds: Int64) -> VerifiedClaims? {
        guard token.utf8.count <= maximumTokenLength else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Self.base64URLDecoded(parts[0], padding: true),
              case .object(let header)? = try? JSONDecoder().decode(JSONAny.self, from: Data(headerBytes))
        else { return nil }
        // Critical extensions, compression and a content type (a payload that is not claims) are
        // refused; typed parameters must have their types.
        guard header["crit"] == nil, header["zip"] == nil, header["cty"] == nil,
              header["typ"]?.string != nil || header["typ"] == nil, header["kid"]?.string != nil || header["kid"] == nil,
              header["b64"] == nil || header["b64"]?.bool != nil
        else { return nil }
        let digest: BoringCrypto.Digest
        let minimumKeyBytes: Int
        switch header["alg"]?.string {
        case "HS256": (digest, minimumKeyBytes) = (.sha256, 32)
        case "HS384": (digest, minimumKeyBytes) = (.sha384, 48)
        case "HS512": (digest, minimumKeyBytes) = (.sha512, 64)
        default: return nil  // "none" and the public-key algorithms among them
        }
        guard key.count >= minimumKeyBytes, let signature = Self.base64URLDecoded(parts[2], padding: true) else { return nil }
        let signed = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard BoringCrypto.constantTimeEquals(signature, BoringCrypto.hmac(digest, key: key, message: signed)) else { return nil }
        guard let payload = Self.base64URLDecoded(parts[1], padding: true),
              case .object(let claims)? = try? JSONDecoder().decode(JSONAny.self, from: Data(payload))
        else { return nil }
        for name in ["iss", "sub", "jti"] where claims[name] != nil && claims[name]?.string == nil { return nil }
        if let audience = claims["aud"] {
            guard audience.string != nil || audience.array?.allSatisfy({ $0.string != nil }) == true else { return nil }
        }
        var dates: [String: Int64] = [:]
        for name in ["exp", "nbf", "iat"] {
            guard let value = claims[name] else { continue }
            guard let milliseconds = Self.dateMilliseconds(value) else { return nil }
            dates[name] = milliseconds
        }
        if let expiration = dates["exp"], nowMilliseconds > expiration { return nil }
        if let notBefore = dates["nbf"], nowMilliseconds < notBefore { return nil }
        return VerifiedClaims(expirationMilliseconds: dates["exp"])
    }

    /// A NumericDate as jjwt reads it: seconds, a number or a string of digits, cut to whole seconds
    /// and multiplied into milliseconds with Java's wrapping arithmetic.
    static func dateMilliseconds(_ value: JSONAny) -> Int64? {
        let seconds: Int64
        switch value {
        case .number(let number):
            seconds = number.isNaN ? 0 : number >= 9.223372036854775807e18 ? .max : number <= -9.223372036854775808e18 ? .min : Int64(number)
        case .string(let text):
            guard let parsed = Int64(text) else { return nil }
            seconds = parsed
        default:
            return nil
        }
        return seconds &* 1000
    }

    /// Base64url without padding (RFC 4648 §5); with `padding`, trailing `=` are tolerated (a key
    /// as tools print it, a token's segments as jjwt reads them). Nil for anything else.
    static func base64URLDecoded(_ text: some StringProtocol, padding: Bool = false) -> [UInt8]? {
        var body = Substring(text)
        if padding { while body.hasSuffix("=") { body = body.dropLast() } }
        guard body.utf8.allSatisfy({ $0.isBase64URLDigit }), body.utf8.count % 4 != 1 else { return nil }
        var standard = String(body.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}

/// Any JSON value, for looking at a token's header and claims.
enum JSONAny: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONAny])
    case object([String: JSONAny])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONAny].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONAny].self))
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [JSONAny]? { if case .array(let value) = self { value } else { nil } }
}

extension UInt8 {
    fileprivate var isBase64URLDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D || self == 0x5F
    }
}
