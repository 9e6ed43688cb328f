import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SparkTestKit

/// A small HTTP server standing in for a Spark UI, on 127.0.0.1.
///
/// - `GET /` a colourful HTML page (for the browser test)
/// - `HEAD /` Content-Length 1234, no body
/// - `GET|POST /echo` the request it received: method, target, authority, then `name: value` lines
/// - `GET /redirect` 302 to `http://127.0.0.1:<port>/target` (absolute, pointing at itself)
/// - `GET /redirect-away` 302 to `http://example.com/elsewhere`
/// - `GET /target` "target reached"
/// - `GET /large?mb=N[&chunked=1]` N MiB of a fixed byte pattern, streamed in 64 KiB chunks
///   (`chunks=N` instead of `mb`: N chunks of 64 KiB)
/// - `POST|PUT /upload` streams the body in and answers `<bytes> <checksum>`
/// - `GET /slow?seconds=S` answers after S seconds
struct TestBackend {
    let port: Int
    let requests: NIOLockedValueBox<[String]>

    /// Byte `i` of every streamed body is `i % 251`, so any offset error changes the checksum.
    static let chunk: ByteBuffer = {
        var buffer = ByteBuffer()
        buffer.writeBytes((0..<(64 * 1024)).map { UInt8($0 % 251) })
        return buffer
    }()

    /// Sum of all bytes of a body, as the client and backend compute it.
    static func checksum(_ buffer: ByteBuffer, into sum: inout UInt64) {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes { sum &+= UInt64(byte) }
        }
    }

    static var chunkChecksum: UInt64 {
        var sum: UInt64 = 0
        checksum(chunk, into: &sum)
        return sum
    }

    /// Runs the backend for the duration of `body`.
    static func run<T: Sendable>(_ body: @Sendable (TestBackend) async throws -> T) async throws -> T {
        let port = try freePort()
        let requests = NIOLockedValueBox<[String]>([])
        let router = Router()
        router.get("/") { request, _ -> Response in
            requests.withLockedValue { $0.append("GET / \(request.headers[.userAgent] ?? "")") }
            let html = """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>Spark Master at spark://test</title></head>
                <body style="margin:0;font-family:sans-serif;background:linear-gradient(135deg,#e25a1c,#3c3a3e 60%,#1f77b4)">
                <h1 style="color:white;padding:40px">Spark Master at spark://test:7077</h1>
                <table style="background:white;margin:40px;border-collapse:collapse">
                \((1...12).map { "<tr><td style=\"padding:8px;border:1px solid #999\">worker-\($0)</td><td style=\"padding:8px;border:1px solid #999;background:hsl(\($0 * 30),70%,60%)\">ALIVE</td></tr>" }.joined())
                </table></body></html>
                """
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.head("/") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentLength: "1234"])
        }
        let echo: @Sendable (Request, BasicRequestContext) async throws -> String = { request, _ in
            var lines = ["method: \(request.method.rawValue)", "target: \(request.head.path ?? "")", "authority: \(request.head.authority ?? "")"]
            for field in request.headers { lines.append("\(field.name.canonicalName): \(field.value)") }
            var bodyBytes = 0
            for try await buffer in request.body { bodyBytes += buffer.readableBytes }
            lines.append("body-bytes: \(bodyBytes)")
            return lines.joined(separator: "\n") + "\n"
        }
        router.get("/echo", use: echo)
        router.post("/echo", use: echo)
        router.get("/redirect") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://127.0.0.1:\(port)/target?from=redirect"])
        }
        router.get("/redirect-away") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://example.com/elsewhere"])
        }
        router.get("/target") { _, _ in "target reached\n" }
        router.get("/large") { request, _ -> Response in
            let megabytes = request.uri.queryParameters.get("mb", as: Int.self) ?? 1
            let chunked = request.uri.queryParameters.get("chunked") == "1"
            let chunks = request.uri.queryParameters.get("chunks", as: Int.self) ?? megabytes * 16
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(contentLength: chunked ? nil : chunks * chunk.readableBytes) { writer in
                    for _ in 0..<chunks { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
        let upload: @Sendable (Request, BasicRequestContext) async throws -> String = { request, _ in
            var bytes = 0
            var sum: UInt64 = 0
            for try await buffer in request.body {
                bytes += buffer.readableBytes
                checksum(buffer, into: &sum)
            }
            return "\(bytes) \(sum)\n"
        }
        // Refuses an upload without reading it, as a server answers 413 to a body over its limit.
        router.post("/early") { _, _ -> Response in
            Response(status: .contentTooLarge, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "too large\n")))
        }
        router.post("/upload", use: upload)
        router.put("/upload", use: upload)
        router.get("/slow") { request, _ -> String in
            let seconds = request.uri.queryParameters.get("seconds", as: Double.self) ?? 3
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return "slow answer\n"
        }

        var logger = Logger(label: "test-backend")
        logger.logLevel = .warning
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in startedContinuation.yield() }, logger: logger)
        let backend = TestBackend(port: port, requests: requests)
        return try await ServiceHarness.run(services: [app], started: started, finish: { startedContinuation.finish() }) { _ in
            try await body(backend)
        }
    }
}

/// Runs services in a `ServiceGroup` around a test body: waits for them to report they started, then
/// shuts them down gracefully whatever the body does.
enum ServiceHarness {
    static func run<T: Sendable>(
        services: [any Service], started: AsyncStream<Void>, finish: @escaping @Sendable () -> Void,
        _ body: (_ shutdown: @escaping @Sendable () async -> Void) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test-services")
        logger.logLevel = .warning
        let group = ServiceGroup(services: services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { finish() }
                try await group.run()
            }
            var iterator = started.makeAsyncIterator()
            guard await iterator.next() != nil else {
                try await tasks.waitForAll()
                throw ChildProcessError(message: "service stopped before it started")
            }
            do {
                let result = try await body { await group.triggerGracefulShutdown() }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
