import Foundation
import NIOCore
import NIOHTTP1
import SparkTestKit
import Testing

@testable import SpaceProxy

extension ProxyIntegration {
    /// The proxy in-process on loopback in front of a Hummingbird backend, driven by a NIO client.
    @Suite("proxy end to end", .serialized, .timeLimit(.minutes(3)))
    struct ProxyEndToEndTests {
        static func cookie(_ response: TestResponse) -> String? {
            response.header("Set-Cookie")?.split(separator: ";").first.map(String.init)
        }

        @Test("401 on every route without or with wrong credentials")
        func authenticationEverywhere() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { backend, proxy in
                let wrongPassword = "Basic " + Data("spark:wrong".utf8).base64EncodedString()
                let unknownUser = "Basic " + Data("nobody:space".utf8).base64EncodedString()
                for path in ["/", "/echo", "/set-backend/127.0.0.1:\(backend.port)", "/set-backend/example.com:80", "/set-backend", "/anything?x=1"] {
                    for header in [nil, wrongPassword, unknownUser, "Basic !!!", "Bearer token", "Basic " + Data("spark".utf8).base64EncodedString()] {
                        var request = TestRequest(.GET, path, authenticated: false)
                        if let header { request.headers = [("Authorization", header)] }
                        let response = try await TestHTTPClient.send(port: proxy.port, request)
                        #expect(response.status == 401, "\(path) with \(header ?? "no credentials")")
                        #expect(response.header("WWW-Authenticate") == "Basic realm=\"Spark in Space\", charset=\"UTF-8\"")
                        #expect(response.header("Set-Cookie") == nil)
                    }
                }
                let head = try await TestHTTPClient.send(port: proxy.port, TestRequest(.HEAD, "/", authenticated: false))
                #expect(head.status == 401)
                #expect(head.bodyBytes == 0)
                // An unauthenticated upload is answered and the connection closed, not drained.
                // (Lingering close: the refused body is read and discarded, so the client always gets its 401.)
                for chunked in [false, true, false, true, false, true] {
                    let upload = try await TestHTTPClient.send(
                        port: proxy.port, TestRequest(.POST, "/upload", body: .pattern(chunks: 8, chunked: chunked), authenticated: false))
                    #expect(upload.status == 401)
                    #expect(upload.header("Connection") == "close")
                }
                // Nothing reached the backend.
                #expect(backend.requests.withLockedValue { $0 }.isEmpty)
                // The log has the outcome, never the credentials.
                let line = try await proxy.logs.waitForRequestLine(containing: ["proxy/status=401", "rejected user \"spark\""])
                #expect(!line.contains("wrong"))
                #expect(!proxy.logs.all.joined().contains("c3Bhcms6"))
            }
        }

        @Test("/set-backend sets the cookie and redirects; later requests go to that backend")
        func setBackendFlow() async throws {
            try await withBackendAndProxy { backend, proxy in
                // No cookie, no default: the chooser page.
                let chooser = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/"))
                #expect(chooser.status == 200)
                #expect(chooser.body.contains("/set-backend/"))
                #expect(chooser.header("Content-Type") == "text/html; charset=utf-8")

                let set = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/set-backend/127.0.0.1:\(backend.port)"))
                #expect(set.status == 302)
                #expect(set.header("Location") == "/")
                #expect(set.header("Set-Cookie") == "space-proxy-backend=127.0.0.1:\(backend.port); Path=/; HttpOnly; SameSite=Lax")
                let cookie = try #require(Self.cookie(set))

                let page = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/", headers: [("Cookie", cookie)]))
                #expect(page.status == 200)
                #expect(page.body.contains("Spark Master at spark://test:7077"))
                let line = try await proxy.logs.waitForRequestLine(containing: ["proxy/backend=127.0.0.1:\(backend.port)", "proxy/status=200"])
                #expect(line.contains("proxy/method=GET"))
                #expect(line.contains("proxy/path=/"))
                #expect(line.contains("proxy/duration-ms="))
                #expect(line.contains("proxy/user=spark"))

                // The bcrypt user works too (verified off the event loop, then remembered).
                let ops = "Basic " + Data("ops:bcrypt-secret".utf8).base64EncodedString()
                for _ in 0..<3 {
                    let response = try await TestHTTPClient.send(
                        port: proxy.port, TestRequest(.GET, "/target", headers: [("Cookie", cookie), ("Authorization", ops)], authenticated: false))
                    #expect(response.status == 200)
                    #expect(response.body == "target reached\n")
                }
            }
        }

        @Test("backends outside the space are refused with 403")
        func offSpaceBackends() async throws {
            try await withBackendAndProxy { backend, proxy in
                for target in ["example.com:80", "10.0.0.1:22", "169.254.169.254:80", "localhost:\(backend.port)", "app.localspace:80"] {
                    let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/set-backend/\(target)"))
                    #expect(response.status == 403, "\(target)")
                    #expect(response.body.contains("outside the private space"))
                    #expect(response.header("Set-Cookie") == nil)
                }
                for target in ["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "exa%20mple.com:80"] {
                    let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/set-backend/\(target)"))
                    #expect(response.status == 400, "\(target)")
                }
                // A forged cookie gets the same answer, and is cleared.
                let forged = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/", headers: [("Cookie", "space-proxy-backend=example.com:80")]))
                #expect(forged.status == 403)
                #expect(forged.header("Set-Cookie")?.contains("Max-Age=0") == true)
                #expect(backend.requests.withLockedValue { $0 }.isEmpty)
            }
        }

        @Test("the default backend serves requests without a cookie; Location headers become relative")
        func defaultBackendAndLocation() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_ALLOWED_BACKENDS": ""] }) { backend, proxy in
                let page = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/"))
                #expect(page.status == 200)
                #expect(page.body.contains("Spark Master"))

                let redirect = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/redirect"))
                #expect(redirect.status == 302)
                #expect(redirect.header("Location") == "/target?from=redirect")

                let away = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/redirect-away"))
                #expect(away.header("Location") == "http://example.com/elsewhere")

                // Only the default itself is allowed, not other ports on its host.
                let other = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/set-backend/127.0.0.1:\(backend.port + 1)"))
                #expect(other.status == 403)
            }
        }

        @Test("what the backend sees: no credentials, no proxy cookie, no hop-by-hop headers; Host and X-Forwarded-*")
        func forwardedHeaders() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { backend, proxy in
                let response = try await TestHTTPClient.send(
                    port: proxy.port,
                    TestRequest(
                        .GET, "/echo?q=1&r=%20",
                        headers: [
                            ("Host", "my-app.herokuapp.com"), ("Cookie", "JSESSIONID=abc; space-proxy-backend=127.0.0.1:\(backend.port)"),
                            ("Connection", "keep-alive, X-Hop"), ("X-Hop", "secret-hop"), ("Keep-Alive", "timeout=5"),
                            ("Proxy-Authorization", "Basic eDp5"), ("X-Forwarded-Proto", "https"), ("Accept", "text/html"),
                        ]))
                #expect(response.status == 200)
                let lines = Set(response.body.split(separator: "\n").map(String.init))
                #expect(lines.contains("method: GET"))
                #expect(lines.contains("target: /echo?q=1&r=%20"))
                #expect(lines.contains("authority: 127.0.0.1:\(backend.port)"))
                #expect(lines.contains("cookie: JSESSIONID=abc"))
                #expect(lines.contains("accept: text/html"))
                #expect(lines.contains("x-forwarded-for: 127.0.0.1"))
                #expect(lines.contains("x-forwarded-proto: https"))
                #expect(lines.contains("x-forwarded-host: my-app.herokuapp.com"))
                #expect(!response.body.contains("authorization"))
                #expect(!response.body.contains("c3Bhcms6c3BhY2U="))
                #expect(!response.body.contains("space-proxy-backend"))
                #expect(!response.body.contains("secret-hop"))
                #expect(!response.body.contains("keep-alive"))
            }
        }

        @Test("502 when the backend is unreachable")
        func unreachable() async throws {
            let closedPort = try freePort()
            try await ProxyUnderTest.run(environment: ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\(closedPort)"]) { proxy in
                let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/"))
                #expect(response.status == 502)
                #expect(response.body.contains("127.0.0.1:\(closedPort)"))
                #expect(response.body.contains("connection refused"))
                let line = try await proxy.logs.waitForRequestLine(containing: ["proxy/status=502"])
                #expect(line.contains("proxy/problem=connection refused"))
                // An upload to an unreachable backend gets its 502 too.
            let upload = try await TestHTTPClient.send(port: proxy.port, TestRequest(.POST, "/upload", body: .pattern(chunks: 8, chunked: false)))
            #expect(upload.status == 502)
            // The connection stays usable after a 502.
                let again = try await TestHTTPClient.exchange(port: proxy.port, [TestRequest(.GET, "/"), TestRequest(.GET, "/x")])
                #expect(again.map(\.status) == [502, 502])
            }
        }

        @Test("502 for an in-space name that does not resolve")
        func unresolvable() async throws {
            try await ProxyUnderTest.run(environment: ["SPACE_PROXY_CONNECT_TIMEOUT": "3"]) { proxy in
                let set = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/set-backend/1.master.no-such-app.app.localspace:8080"))
                #expect(set.status == 302)
                let cookie = try #require(Self.cookie(set))
                let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/", headers: [("Cookie", cookie)]))
                #expect([502, 504].contains(response.status))
            }
        }

        @Test("504 when the backend is too slow")
        func slowBackend() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_BACKEND_TIMEOUT": "1"] }) { _, proxy in
                let start = ContinuousClock.now
                let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/slow?seconds=3"))
                let elapsed = ContinuousClock.now - start
                #expect(response.status == 504)
                #expect(response.body.contains("no response within 1 s"))
                #expect(elapsed < .seconds(2.9))
                // A fast request right after is fine.
                #expect(try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/target")).status == 200)
            }
        }

        @Test("50 MiB streams through without being held in memory")
        func largeDownload() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { _, proxy in
                for chunked in [false, true] {
                    let baseline = ProcessMemory.read()?.residentBytes ?? 0
                    let peak = RSSSampler()
                    let start = ContinuousClock.now
                    let response = try await peak.sampling {
                        try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/large?mb=50\(chunked ? "&chunked=1" : "")"), timeout: .seconds(120))
                    }
                    let elapsed = ContinuousClock.now - start
                    #expect(response.status == 200)
                    #expect(response.bodyBytes == 50 * 1024 * 1024)
                    #expect(response.checksum == TestBackend.chunkChecksum * 800)
                    if chunked {
                        #expect(response.header("Transfer-Encoding") == "chunked")
                    } else {
                        #expect(response.header("Content-Length") == "\(50 * 1024 * 1024)")
                    }
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    let growth = max(0, peak.maximum - baseline)
                    print("space-proxy: 50 MiB \(chunked ? "chunked" : "content-length") in-process in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", 50 / seconds)) MiB/s), test-process RSS growth \(growth / 1024 / 1024) MiB")
                    // Backend, proxy and client share this process; holding the body anywhere would add 50 MiB.
                    #expect(growth < 40 * 1024 * 1024)
                }
            }
        }

        @Test("uploads stream to the backend: Content-Length, chunked, Expect: 100-continue")
        func uploads() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { _, proxy in
                let sized = try await TestHTTPClient.send(port: proxy.port, TestRequest(.POST, "/upload", body: .pattern(chunks: 320, chunked: false)), timeout: .seconds(60))
                #expect(sized.status == 200)
                #expect(sized.body == "\(320 * 65536) \(TestBackend.chunkChecksum * 320)\n")

                let chunked = try await TestHTTPClient.send(port: proxy.port, TestRequest(.PUT, "/upload", body: .pattern(chunks: 40, chunked: true)), timeout: .seconds(60))
                #expect(chunked.status == 200)
                #expect(chunked.body == "\(40 * 65536) \(TestBackend.chunkChecksum * 40)\n")

                let head = "POST /echo HTTP/1.1\r\nHost: p\r\nAuthorization: \(ProxyUnderTest.authorization)\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
                let raw = try await RawClient.exchange(port: proxy.port, [head, "hello"], pause: .milliseconds(300))
                #expect(raw.received.hasPrefix("HTTP/1.1 100 Continue\r\n"))
                #expect(raw.received.contains("HTTP/1.1 200 OK"))
                #expect(raw.received.contains("body-bytes: 5"))
                #expect(!raw.received.contains("expect:"))
            }
        }

        @Test("keep-alive: several requests on one client connection; HEAD")
        func keepAlive() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { _, proxy in
                let responses = try await TestHTTPClient.exchange(
                    port: proxy.port,
                    [TestRequest(.GET, "/target"), TestRequest(.HEAD, "/"), TestRequest(.GET, "/redirect"), TestRequest(.GET, "/large?mb=1"), TestRequest(.GET, "/target")])
                #expect(responses.map(\.status) == [200, 200, 302, 200, 200])
                #expect(responses[1].bodyBytes == 0)
                #expect(responses[1].header("Content-Length") == "1234")
                #expect(responses[3].bodyBytes == 1 << 20)
                #expect(responses.allSatisfy { $0.header("Connection") != "close" })
            }
        }

        @Test("graceful shutdown lets the request in flight finish and stops accepting")
        func gracefulShutdown() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { _, proxy in
                async let slow = TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/slow?seconds=1.5"))
                try await Task.sleep(for: .milliseconds(400))
                await proxy.shutdown()
                let response = try await slow
                #expect(response.status == 200)
                #expect(response.body == "slow answer\n")
                try await Task.sleep(for: .milliseconds(200))
                await #expect(throws: (any Error).self) {
                    try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/target"), timeout: .seconds(5))
                }
            }
        }

        @Test("HTTP/1.0 clients get HTTP/1.0 answers and a close")
        func http10() async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)"] }) { _, proxy in
                let raw = try await RawClient.exchange(port: proxy.port, ["GET /large?mb=1&chunked=1 HTTP/1.0\r\nAuthorization: \(ProxyUnderTest.authorization)\r\n\r\n"])
                #expect(raw.received.hasPrefix("HTTP/1.0 200 OK\r\n"))
                #expect(raw.closedByServer)
                let separator: [UInt8] = Array("\r\n\r\n".utf8)
                let headEnd = try #require((0..<raw.receivedBytes.count).first { Array(raw.receivedBytes[$0..<min($0 + 4, raw.receivedBytes.count)]) == separator })
                #expect(raw.receivedBytes.count - headEnd - 4 == 1 << 20)
                #expect(!raw.received.lowercased().contains("transfer-encoding"))

                // Keep-alive asked for: kept when the length is known, closed when the body is close-delimited.
                let auth = "Authorization: \(ProxyUnderTest.authorization)\r\nConnection: keep-alive\r\n"
                let kept = try await RawClient.exchange(
                    port: proxy.port, ["GET /target HTTP/1.0\r\n\(auth)\r\n", "GET /target HTTP/1.0\r\n\(auth)\r\n"], pause: .milliseconds(200),
                    readTimeout: .seconds(2))
                #expect(kept.received.components(separatedBy: "target reached").count == 3)
                #expect(kept.received.lowercased().contains("connection: keep-alive"))
                let delimited = try await RawClient.exchange(port: proxy.port, ["GET /large?mb=1&chunked=1 HTTP/1.0\r\n\(auth)\r\n"])
                #expect(delimited.closedByServer)
                #expect(delimited.received.lowercased().contains("connection: close"))
            }
        }
    }
}

/// Samples this process's resident set while an operation runs.
final class RSSSampler: @unchecked Sendable {
    // Written by the sampling task only, read after it ended.
    private(set) var maximum = 0

    func sampling<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    if let rss = ProcessMemory.read()?.residentBytes, rss > self.maximum { self.maximum = rss }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            defer { group.cancelAll() }
            let result = try await operation()
            group.cancelAll()
            try await group.waitForAll()
            return result
        }
    }
}
