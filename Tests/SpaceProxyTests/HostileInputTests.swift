import Foundation
import NIOCore
import SparkTestKit
import Testing

@testable import SpaceProxy

extension ProxyIntegration {
    /// Garbage, oversized and slow requests get a clean 4xx or a close, never a crash; the proxy keeps
    /// serving afterwards.
    @Suite("hostile input", .serialized, .timeLimit(.minutes(3)))
    struct HostileInputTests {
        static let auth = "Authorization: \(ProxyUnderTest.authorization)\r\n"

        /// Runs `body` against a proxy with a 1 s client timeout, then checks the proxy still answers.
        func withProxy(_ body: @Sendable (TestBackend, ProxyUnderTest) async throws -> Void) async throws {
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_CLIENT_TIMEOUT": "1"] }) { backend, proxy in
                try await body(backend, proxy)
                let after = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/target"))
                #expect(after.status == 200, "the proxy stopped answering")
            }
        }

        static func statusLine(_ exchange: RawExchange) -> String {
            String(exchange.received.split(separator: "\r\n", maxSplits: 1).first ?? "")
        }

        @Test("oversized headers, too many headers → 400 and close")
        func oversizedHeaders() async throws {
            try await withProxy { backend, proxy in
                let huge = "GET / HTTP/1.1\r\nHost: x\r\n\(Self.auth)X-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n"
                let overLimit = "GET / HTTP/1.1\r\nHost: x\r\n\(Self.auth)X-Big: \(String(repeating: "a", count: 40_000))\r\n\r\n"
                let many = "GET / HTTP/1.1\r\nHost: x\r\n\(Self.auth)" + (0..<150).map { "X-H\($0): v\r\n" }.joined() + "\r\n"
                let longLine = "GET /\(String(repeating: "p", count: 200_000)) HTTP/1.1\r\nHost: x\r\n\r\n"
                for request in [huge, overLimit, many, longLine] {
                    let exchange = try await RawClient.exchange(port: proxy.port, [request])
                    #expect(Self.statusLine(exchange) == "HTTP/1.1 400 Bad Request", "\(request.prefix(40))")
                    #expect(exchange.closedByServer)
                }
                #expect(backend.requests.withLockedValue { $0 }.isEmpty)
            }
        }

        @Test("malformed request lines and binary junk → 400 or close")
        func malformed() async throws {
            try await withProxy { _, proxy in
                let inputs = [
                    "NOT A REQUEST\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    "\u{0}\u{1}\u{2}\u{ff}garbage\r\n\r\n", "\r\n\r\n\r\n\r\n",
                ]
                for input in inputs {
                    let exchange = try await RawClient.exchange(port: proxy.port, [input], readTimeout: .seconds(5))
                    let status = Self.statusLine(exchange)
                    #expect(status.isEmpty || status.hasPrefix("HTTP/1.1 4"), "\(input.debugDescription) → \(status)")
                    #expect(exchange.closedByServer, "\(input.debugDescription) left open")
                }
            }
        }

        @Test("absolute-form targets and CONNECT are refused: not an open proxy")
        func openProxyAttempts() async throws {
            try await withProxy { backend, proxy in
                let absolute = try await RawClient.exchange(
                    port: proxy.port, ["GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\(Self.auth)\r\n"])
                #expect(Self.statusLine(absolute) == "HTTP/1.1 400 Bad Request")
                #expect(absolute.received.contains("not an open proxy"))
                #expect(absolute.closedByServer)

                let connect = try await RawClient.exchange(port: proxy.port, ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\(Self.auth)\r\n"])
                #expect(Self.statusLine(connect) == "HTTP/1.1 405 Method Not Allowed")
                #expect(connect.closedByServer)

                let asterisk = try await RawClient.exchange(port: proxy.port, ["OPTIONS * HTTP/1.1\r\nHost: x\r\n\(Self.auth)\r\n"])
                #expect(Self.statusLine(asterisk) == "HTTP/1.1 400 Bad Request")

                // Pipelined behind a good request: the good one is answered first, then the refusal, then close.
                let pipelined = try await RawClient.exchange(
                    port: proxy.port,
                    ["GET /target HTTP/1.1\r\nHost: x\r\n\(Self.auth)\r\nGET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\nGET /target HTTP/1.1\r\nHost: x\r\n\r\n"])
                let statuses = pipelined.received.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("HTTP/1.1 ") }
                #expect(statuses == ["HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request"], "\(pipelined.received)")
                #expect(pipelined.closedByServer)
                #expect(backend.requests.withLockedValue { $0 }.isEmpty)
                #expect(proxy.logs.all.contains { $0.hasPrefix("request refused") && $0.contains("proxy/target=http://example.com/") })
            }
        }

        @Test("slowloris: a request head dripped byte by byte is cut off by the client timeout")
        func slowHeaders() async throws {
            try await withProxy { _, proxy in
                var drips = ["GET / HTTP/1.1\r\n"]
                drips += (0..<40).map { "X-Drip-\($0): y\r\n" }
                let slow = try await RawClient.exchange(port: proxy.port, drips, pause: .milliseconds(200), readTimeout: .seconds(15))
                #expect(slow.closedByServer)
                #expect(slow.elapsed < .seconds(6), "took \(slow.elapsed)")
                #expect(!slow.received.contains("200 OK"))

                // Saying nothing at all is cut off too.
                let silent = try await RawClient.exchange(port: proxy.port, [String](), readTimeout: .seconds(15))
                #expect(silent.closedByServer)
                #expect(silent.elapsed < .seconds(6))

                // A slow request body likewise.
                let slowBody = try await RawClient.exchange(
                    port: proxy.port, ["POST /upload HTTP/1.1\r\nHost: x\r\n\(Self.auth)Content-Length: 100\r\n\r\n", "a", "b", "c"],
                    pause: .seconds(1.5), readTimeout: .seconds(15))
                #expect(slowBody.closedByServer)
                #expect(slowBody.elapsed < .seconds(8))
            }
        }

        @Test("an upload the backend answers early: the response says close, the rest is not read through")
        func uploadAnsweredEarly() async throws {
            // A 30 s client timeout, so that only the proxy's own close can end the exchange early.
            try await withBackendAndProxy(environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_CLIENT_TIMEOUT": "30"] }) { _, proxy in
                let request = "POST /early HTTP/1.1\r\nHost: x\r\n\(Self.auth)Content-Length: 8388608\r\n\r\n"
                // A client that stops sending when answered (as curl does) reads the whole answer, told
                // that the connection ends; the proxy closes after its two seconds of lingering.
                let stopping = try PacedSocket(port: proxy.port, receiveBuffer: 65536)
                try stopping.send(request + String(repeating: "u", count: 65536))
                let started = ContinuousClock.now
                let received = await stopping.readToEnd(timeout: .seconds(25))
                let head = received.start.components(separatedBy: "\r\n\r\n").first ?? ""
                #expect(head.hasPrefix("HTTP/1.1 413 "), "\(received.start)")
                #expect(head.lowercased().contains("\r\nconnection: close"), "a keep-alive answer to an unfinished upload: \(head)")
                #expect(received.start.hasSuffix("too large\n"))
                #expect(received.closedByServer)
                #expect(ContinuousClock.now - started < .seconds(10), "closed after \(ContinuousClock.now - started)")

                // A client that goes on uploading is not read through to its 8 MiB: the proxy discards
                // up to 1 MiB, then closes (before, it either read it all or stopped reading until the
                // client timeout).
                let insisting = try PacedSocket(port: proxy.port, receiveBuffer: 65536)
                try insisting.send(request)
                let uploaded = await insisting.sendFiller(count: 8_388_608, for: .seconds(5))
                #expect(uploaded < 8_388_608, "the proxy read the whole refused upload")
                let ended = await insisting.readToEnd(timeout: .seconds(10))
                #expect(ended.start.hasPrefix("HTTP/1.1 413 "), "\(ended.start)")
                #expect(ended.closedByServer, "the connection was left open")

                let after = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/target"))
                #expect(after.status == 200, "the proxy stopped answering")
            }
        }

        @Test("a client that stops reading is cut off after the client timeout")
        func clientStopsReading() async throws {
            try await withProxy { _, proxy in
                let socket = try PacedSocket(port: proxy.port)
                try socket.send("GET /large?mb=50 HTTP/1.1\r\nHost: x\r\n\(Self.auth)\r\n")
                // The client timeout is 1 s: the proxy gives up on this connection while nothing is read.
                try await Task.sleep(for: .seconds(4))
                let received = await socket.readToEnd(timeout: .seconds(30))
                #expect(received.start.hasPrefix("HTTP/1.1 200 OK"))
                #expect(received.closedByServer)
                #expect(received.bytes < 50 * 1024 * 1024, "the whole body came after the stall: \(received.bytes) bytes")
                #expect(proxy.logs.all.contains { $0.hasPrefix("client stopped reading") })
            }
        }

        @Test("a client reading slowly but steadily gets the whole response")
        func slowReader() async throws {
            try await withProxy { _, proxy in
                let socket = try PacedSocket(port: proxy.port)
                try socket.send("GET /large?chunks=8 HTTP/1.1\r\nHost: x\r\n\(Self.auth)Connection: close\r\n\r\n")
                // 4 KiB every 20 ms: 512 KiB take about 2.6 s, longer than the 1 s client timeout.
                let received = await socket.readToEnd(chunk: 4096, pause: .milliseconds(20), timeout: .seconds(60))
                let head = try #require(received.start.range(of: "\r\n\r\n"))
                let headBytes = received.start.utf8.distance(from: received.start.startIndex, to: head.upperBound)
                #expect(received.start.hasPrefix("HTTP/1.1 200 OK"))
                #expect(received.bytes - headBytes == 8 * 65536)
                #expect(received.closedByServer)
                #expect(!proxy.logs.all.contains { $0.hasPrefix("client stopped reading") })
            }
        }

        @Test("a client that reads only after the lingering close's two seconds still gets the whole response")
        func lateReader() async throws {
            try await withBackendAndProxy(
                environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_CLIENT_TIMEOUT": "6"] }
            ) { _, proxy in
                let socket = try PacedSocket(port: proxy.port)
                try socket.send("GET /large?chunks=48 HTTP/1.1\r\nHost: x\r\n\(Self.auth)Connection: close\r\n\r\n")
                // 3 MiB: the kernel's buffers take most of it, the end waits in the proxy's channel while
                // the client reads nothing for longer than the lingering close's two seconds.
                try await Task.sleep(for: .seconds(3.5))
                let received = await socket.readToEnd(timeout: .seconds(20))
                let head = try #require(received.start.range(of: "\r\n\r\n"))
                let headBytes = received.start.utf8.distance(from: received.start.startIndex, to: head.upperBound)
                #expect(received.bytes - headBytes == 48 * 65536)
                #expect(received.closedByServer)
            }
        }

        @Test("many connections at once are bounded, then served")
        func connectionLimit() async throws {
            try await withBackendAndProxy(
                environment: { ["SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\($0)", "SPACE_PROXY_MAX_CONNECTIONS": "8", "SPACE_PROXY_CLIENT_TIMEOUT": "1"] }
            ) { _, proxy in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 {
                        group.addTask { _ = try await RawClient.exchange(port: proxy.port, ["GET /tar"], readTimeout: .seconds(10)) }
                    }
                    // Idle connections are closed after the client timeout, so a real request gets through.
                    let response = try await TestHTTPClient.send(port: proxy.port, TestRequest(.GET, "/target"), timeout: .seconds(15))
                    #expect(response.status == 200)
                    try await group.waitForAll()
                }
            }
        }
    }
}
