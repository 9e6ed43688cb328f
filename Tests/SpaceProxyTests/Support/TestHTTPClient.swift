import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SparkTestKit

/// A request for `TestHTTPClient`.
struct TestRequest: Sendable {
    enum Body: Sendable {
        case none
        case bytes(ByteBuffer)
        /// `TestBackend.chunk` repeated `chunks` times, sent as it is produced; with a Content-Length
        /// unless `chunked`.
        case pattern(chunks: Int, chunked: Bool)
    }

    var method: HTTPMethod = .GET
    var path: String
    var headers: [(String, String)] = []
    var body: Body = .none
    /// Add `Authorization` with the test credentials.
    var authenticated = true

    init(_ method: HTTPMethod = .GET, _ path: String, headers: [(String, String)] = [], body: Body = .none, authenticated: Bool = true) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.authenticated = authenticated
    }
}

struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    /// The body when at most `collectLimit` bytes; otherwise its first bytes.
    var body: String
    var bodyBytes: Int
    var checksum: UInt64

    func header(_ name: String) -> String? { headers[name].first }
}

/// A minimal HTTP/1.1 client over NIO for the tests: one connection per call, requests in sequence.
enum TestHTTPClient {
    static func send(port: Int, _ request: TestRequest, timeout: Duration = .seconds(30)) async throws -> TestResponse {
        try await exchange(port: port, [request], timeout: timeout)[0]
    }

    /// Sends `requests` one after the other on one keep-alive connection.
    static func exchange(port: Int, _ requests: [TestRequest], collectLimit: Int = 1 << 20, timeout: Duration = .seconds(30)) async throws -> [TestResponse] {
        try await withTimeout(timeout) {
            // Like a browser, keep sending after the server has finished its side: the proxy answers
            // refused uploads early and reads the rest before it closes (lingering close).
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                var responses: [TestResponse] = []
                var iterator = inbound.makeAsyncIterator()
                for request in requests {
                    var headers = HTTPHeaders(request.headers)
                    if !headers.contains(name: "Host") { headers.add(name: "Host", value: "127.0.0.1:\(port)") }
                    if request.authenticated { headers.add(name: "Authorization", value: ProxyUnderTest.authorization) }
                    switch request.body {
                    case .none:
                        break
                    case .bytes(let buffer):
                        headers.replaceOrAdd(name: "Content-Length", value: "\(buffer.readableBytes)")
                    case .pattern(let chunks, let chunked):
                        if chunked {
                            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
                        } else {
                            headers.replaceOrAdd(name: "Content-Length", value: "\(chunks * TestBackend.chunk.readableBytes)")
                        }
                    }
                    try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)))
                    switch request.body {
                    case .none:
                        break
                    case .bytes(let buffer):
                        try await outbound.write(.body(.byteBuffer(buffer)))
                    case .pattern(let chunks, _):
                        for _ in 0..<chunks { try await outbound.write(.body(.byteBuffer(TestBackend.chunk))) }
                    }
                    try await outbound.write(.end(nil))

                    guard case .head(let head) = try await iterator.next() else {
                        throw ChildProcessError(message: "no response head for \(request.method) \(request.path)")
                    }
                    var response = TestResponse(status: Int(head.status.code), headers: head.headers, body: "", bodyBytes: 0, checksum: 0)
                    var collected = ByteBuffer()
                    loop: while true {
                        switch try await iterator.next() {
                        case .body(let buffer):
                            response.bodyBytes += buffer.readableBytes
                            TestBackend.checksum(buffer, into: &response.checksum)
                            if collected.readableBytes < collectLimit { collected.writeImmutableBuffer(buffer) }
                        case .end:
                            break loop
                        case .head:
                            throw ChildProcessError(message: "second head")
                        case nil:
                            throw ChildProcessError(message: "connection closed mid-response after \(response.bodyBytes) bytes")
                        }
                    }
                    response.body = String(buffer: collected)
                    responses.append(response)
                }
                return responses
            }
        }
    }
}

/// What a raw connection got back.
struct RawExchange: Sendable {
    var received: String
    var receivedBytes: [UInt8]
    /// The server closed the connection (rather than the read timing out).
    var closedByServer: Bool
    var elapsed: Duration
}

/// Writes arbitrary bytes at a socket, for hostile-input tests.
enum RawClient {
    /// Writes `chunks` with `pause` between them, reading everything until the server closes or
    /// `readTimeout` passes.
    static func exchange(
        port: Int, _ chunks: [String], pause: Duration = .zero, readTimeout: Duration = .seconds(10)
    ) async throws -> RawExchange {
        try await exchange(port: port, chunks.map { ByteBuffer(string: $0) }, pause: pause, readTimeout: readTimeout)
    }

    static func exchange(
        port: Int, _ chunks: [ByteBuffer], pause: Duration = .zero, readTimeout: Duration = .seconds(10)
    ) async throws -> RawExchange {
        let start = ContinuousClock.now
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let received = NIOLockedValueBox(ByteBuffer())
        let closed = try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Bool?.self) { group in
                group.addTask {
                    for (index, chunk) in chunks.enumerated() {
                        if index > 0, pause > .zero { try? await Task.sleep(for: pause) }
                        do { try await outbound.write(chunk) } catch { break }
                    }
                    return nil
                }
                group.addTask {
                    do {
                        for try await buffer in inbound { _ = received.withLockedValue { $0.writeImmutableBuffer(buffer) } }
                    } catch {
                        // A reset counts as closed by the server.
                    }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: readTimeout)
                    return false
                }
                while let result = try await group.next() {
                    if let closed = result {
                        group.cancelAll()
                        return closed
                    }
                }
                return false
            }
        }
        let bytes = received.withLockedValue { Array($0.readableBytesView) }
        return RawExchange(received: String(decoding: bytes, as: UTF8.self), receivedBytes: bytes, closedByServer: closed, elapsed: ContinuousClock.now - start)
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    var duration: Duration
    var description: String { "timed out after \(duration)" }
}

/// Runs `operation`, failing with `TimeoutError` after `duration`.
func withTimeout<T: Sendable>(_ duration: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeoutError(duration: duration) }
        return value
    }
}
