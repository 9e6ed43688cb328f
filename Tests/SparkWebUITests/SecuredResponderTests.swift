import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SparkConfig
import SparkRPC
@testable import SparkWebUI
import Testing

/// What the daemons' web UIs put in front of every route: `spark.ui.filters` (JWSFilter) and the
/// headers of Spark's `HttpSecurityFilter`. (Compared with Spark's own daemons in `WebUIFilterTests`.)
@Suite struct SecuredResponderTests {
    static let key = (0..<32).map { UInt8($0 * 11 % 256) }

    /// A page of ours, a JSON document, and a page relayed from a backend with its own headers.
    static func routes() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { _, _ in WebResponses.html("<p>page</p>") }
        router.get("/json") { _, _ in WebResponses.json(.object([("a", .number(1))])) }
        router.get("/proxy/worker-1/") { _, _ -> Response in
            var headers = HTTPFields()
            headers[HTTPField.Name("Content-Security-Policy")!] = "default-src *"
            headers[.cacheControl] = "max-age=60"
            headers[HTTPField.Name("X-Frame-Options")!] = "ALLOW-FROM https://example.com"
            headers[.contentType] = "text/html"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<p>relayed</p>")))
        }
        router.get("/fails") { _, _ -> Response in throw CancellationError() }
        return router
    }

    static func serve<T: Sendable>(
        _ headers: WebUIHeaderSettings, filter: JWSFilter? = nil, _ body: (Int) async throws -> T
    ) async throws -> T {
        let responder = SecuredResponder(routes().buildResponder(), headers: headers, filter: filter, now: { 1_800_000_000_000 })
        return try await TestServer.run(responder: responder, body)
    }

    @Test func defaultHeadersOnEveryAnswer() async throws {
        try await Self.serve(WebUIHeaderSettings()) { port in
            let page = try await HTTP.request(port: port, "/")
            #expect(page.status == 200)
            #expect(page.header("Content-Security-Policy") == WebPage.contentSecurityPolicy)
            #expect(WebPage.contentSecurityPolicy.hasSuffix("; frame-ancestors 'self'"))
            let json = try await HTTP.request(port: port, "/json")
            #expect(json.header("Content-Security-Policy") == WebPage.contentSecurityPolicy)
            let missing = try await HTTP.request(port: port, "/no-such-page")
            #expect(missing.status == 404)
            let failing = try await HTTP.request(port: port, "/fails")
            #expect(failing.status == 500)
            for answer in [page, json, missing, failing] {
                #expect(answer.header("X-Frame-Options") == "SAMEORIGIN")
                #expect(answer.header("X-XSS-Protection") == "0")
                #expect(answer.header("X-Content-Type-Options") == "nosniff")
                #expect(answer.header("Cache-Control") == "no-cache, no-store, must-revalidate")
            }
            // A relayed page keeps its own policy; Spark's caching and framing rules go beside its own.
            let relayed = try await HTTP.request(port: port, "/proxy/worker-1/")
            #expect(relayed.header("Content-Security-Policy") == "default-src *")
            #expect(relayed.headers.filter { $0.0.lowercased() == "cache-control" }.map(\.1) == ["max-age=60", "no-cache, no-store, must-revalidate"])
            #expect(relayed.headers.filter { $0.0.lowercased() == "x-frame-options" }.map(\.1) == ["ALLOW-FROM https://example.com", "SAMEORIGIN"])
        }
    }

    @Test func configuredHeaders() async throws {
        var settings = WebUIHeaderSettings()
        settings.frameAncestors = WebUIHeaderSettings.frameAncestors(allowFramingFrom: "https://ops.example.com")
        settings.xssProtection = "1; mode=block"
        settings.contentTypeOptions = false
        try await Self.serve(settings) { port in
            let page = try await HTTP.request(port: port, "/")
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(policy.hasSuffix("; frame-ancestors 'self' https://ops.example.com"))
            #expect(policy.hasPrefix("default-src 'none'; "))
            #expect(page.header("X-XSS-Protection") == "1; mode=block")
            #expect(page.header("X-Content-Type-Options") == nil)
            let relayed = try await HTTP.request(port: port, "/proxy/worker-1/")
            #expect(relayed.header("Content-Security-Policy") == "default-src *")
        }
        settings.frameAncestors = nil
        try await Self.serve(settings) { port in
            let page = try await HTTP.request(port: port, "/")
            let policy = try #require(page.header("Content-Security-Policy"))
            #expect(!policy.contains("frame-ancestors"))
        }
        settings.contentSecurityPolicy = false
        try await Self.serve(settings) { port in
            let page = try await HTTP.request(port: port, "/")
            #expect(page.header("Content-Security-Policy") == nil)
        }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(_ payload: String) -> String {
        let input = encode(Array(#"{"alg":"HS256"}"#.utf8)) + "." + encode(Array(payload.utf8))
        return input + "." + encode(BoringCrypto.hmac(.sha256, key: key, message: Array(input.utf8)))
    }

    @Test func theFilterGuardsEveryRoute() async throws {
        try await Self.serve(WebUIHeaderSettings(), filter: JWSFilter(key: Self.key)) { port in
            for path in ["/", "/json", "/proxy/worker-1/", "/no-such-page"] {
                let refused = try await HTTP.request(port: port, path)
                #expect(refused.status == 403, "\(path)")
                #expect(refused.text == "HTTP ERROR 403 Authorization header is missing.\n", "\(path)")
                #expect(refused.header("Cache-Control") == "must-revalidate,no-cache,no-store")
                #expect(refused.header("X-Frame-Options") == nil)
                let head = try await HTTP.request("HEAD", port: port, path)
                #expect(head.status == 403 && head.text.isEmpty, "\(path)")
            }
            let expired = try await HTTP.request(port: port, "/", headers: [("Authorization", "Bearer " + Self.token(#"{"exp":1700000000}"#))])
            #expect(expired.status == 403)
            #expect(expired.text == "HTTP ERROR 403 JWT Validate Fail\n")
            let admitted = try await HTTP.request(port: port, "/", headers: [("Authorization", "Bearer " + Self.token(#"{"exp":1900000000}"#))])
            #expect(admitted.status == 200)
            #expect(admitted.text == "<p>page</p>")
            #expect(admitted.header("X-Frame-Options") == "SAMEORIGIN")
        }
    }
}
