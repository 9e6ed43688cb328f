import Foundation
import Hummingbird
import NIOCore
@testable import SparkWebUI
import SparkTestKit
import Testing

struct GzipTests {
    @Test(arguments: [
        ("gzip", true), ("GZIP", true), ("x-gzip", true), ("gzip, deflate, br, zstd", true), ("deflate, gzip;q=0.5", true),
        ("*", true), ("br;q=1, *;q=0.1", true), ("gzip;q=0", false), ("gzip;q=0.000", false), ("gzip; q=0 , *", false),
        ("*;q=0", false), ("identity", false), ("", false), ("br", false), ("gzip;q=0.5, identity;q=1", false),
        ("gzip;q=1, identity;q=0.5", true), ("gzip;q=abc", false), ("gzip;q=2", false), ("deflate;q=0.5,gzip;q=0.001", true),
    ])
    func acceptEncoding(header: String, allowed: Bool) {
        #expect(AcceptEncoding.allowsGzip([header]) == allowed, "\(header)")
    }

    @Test func noHeaderMeansNoCompression() {
        #expect(!AcceptEncoding.allowsGzip([]))
        #expect(AcceptEncoding.allowsGzip(["deflate", "gzip"]))
    }

    @Test func deflaterRoundTrips() throws {
        var text = ""
        for index in 0..<20_000 { text += "line \(index) of a long log, state RUNNING\n" }
        let input = ByteBuffer(string: text)
        let whole = try GzipDeflater.compress(input)
        #expect(whole.readableBytes < input.readableBytes / 5)
        #expect(try Inflate.gunzip(whole) == Array(text.utf8))
        // The same through many small chunks and some empty ones.
        let deflater = try GzipDeflater(level: 1)
        var streamed = ByteBuffer()
        var rest = input
        while rest.readableBytes > 0 {
            var piece = try deflater.compress(rest.readSlice(length: min(777, rest.readableBytes))!)
            streamed.writeBuffer(&piece)
            var empty = try deflater.compress(ByteBuffer())
            streamed.writeBuffer(&empty)
        }
        var tail = try deflater.finish()
        streamed.writeBuffer(&tail)
        #expect(try Inflate.gunzip(streamed) == Array(text.utf8))
        #expect(try Inflate.gunzip(try GzipDeflater.compress(ByteBuffer())) == [])
    }

    /// Incompressible input larger than zlib's output chunk still round-trips.
    @Test func incompressibleInput() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let compressed = try GzipDeflater.compress(ByteBuffer(bytes: bytes))
        #expect(try Inflate.gunzip(compressed) == bytes)
    }

    static let page: String = (0..<2000).map { "<tr><td>worker-\($0)</td><td>ALIVE</td></tr>" }.joined(separator: "\n")

    static func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: GzipMiddleware())
        router.get("/page") { _, _ in WebResponses.html(page) }
        router.get("/small") { _, _ in WebResponses.text("tiny\n") }
        router.get("/png") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/stream") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain"],
                body: ResponseBody { writer in
                    for index in 0..<200 { try await writer.write(ByteBuffer(string: "chunk \(index) " + String(repeating: "x", count: index) + "\n")) }
                    try await writer.finish(nil)
                })
        }
        router.get("/encoded") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain", .contentEncoding: "br"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        return router
    }

    @Test func middlewareOverHTTP() async throws {
        try await TestServer.run(Self.router()) { port in
            let gzip = try await HTTP.request(port: port, "/page", headers: [("Accept-Encoding", "gzip, deflate, br")])
            #expect(gzip.status == 200)
            #expect(gzip.header("Content-Encoding") == "gzip")
            #expect(gzip.header("Vary") == "Accept-Encoding")
            #expect(gzip.header("Content-Length") == String(gzip.body.readableBytes))
            #expect(gzip.body.readableBytes < Self.page.utf8.count / 10)
            #expect(try Inflate.gunzip(gzip.body) == Array(Self.page.utf8))

            for refused in ["identity", "gzip;q=0", "br"] {
                let plain = try await HTTP.request(port: port, "/page", headers: [("Accept-Encoding", refused)])
                #expect(plain.header("Content-Encoding") == nil, "\(refused)")
                #expect(plain.header("Vary") == "Accept-Encoding")
                #expect(plain.text == Self.page)
            }
            let none = try await HTTP.request(port: port, "/page")
            #expect(none.header("Content-Encoding") == nil)
            #expect(none.text == Self.page)

            let small = try await HTTP.request(port: port, "/small", headers: [("Accept-Encoding", "gzip")])
            #expect(small.header("Content-Encoding") == nil)
            #expect(small.text == "tiny\n")

            let png = try await HTTP.request(port: port, "/png", headers: [("Accept-Encoding", "gzip")])
            #expect(png.header("Content-Encoding") == nil)
            #expect(png.header("Vary") == nil)

            let encoded = try await HTTP.request(port: port, "/encoded", headers: [("Accept-Encoding", "gzip")])
            #expect(encoded.header("Content-Encoding") == "br")

            let head = try await HTTP.request("HEAD", port: port, "/page", headers: [("Accept-Encoding", "gzip")])
            #expect(head.header("Content-Encoding") == nil)
            #expect(head.body.readableBytes == 0)

            // A body of unknown length is compressed as it streams (chunked, no Content-Length).
            let stream = try await HTTP.request(port: port, "/stream", headers: [("Accept-Encoding", "gzip")])
            #expect(stream.header("Content-Encoding") == "gzip")
            #expect(stream.header("Content-Length") == nil)
            #expect(stream.header("Transfer-Encoding") == "chunked")
            let expected = (0..<200).map { "chunk \($0) " + String(repeating: "x", count: $0) + "\n" }.joined()
            #expect(String(decoding: try Inflate.gunzip(stream.body), as: UTF8.self) == expected)
        }
    }

    /// A bare responder (the worker's kind) gets the same treatment through `GzipResponder`.
    @Test func responderWrapper() async throws {
        struct Pages: HTTPResponder {
            func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
                WebResponses.html(GzipTests.page)
            }
        }
        let port = try freePort()
        let app = Application(responder: GzipResponder(Pages()), configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await ServiceRunner.run([app]) {
            try await waitUntil("the server listens") { (try? await HTTP.request(port: port, "/")) != nil }
            let response = try await HTTP.request(port: port, "/", headers: [("Accept-Encoding", "gzip")])
            #expect(response.header("Content-Encoding") == "gzip")
            #expect(try Inflate.gunzip(response.body) == Array(GzipTests.page.utf8))
        }
    }
}

/// The inflater the worker reads rolled `.gz` logs with, against files the system's `gzip` wrote.
struct GzipInflaterTests {
    private func systemGzip(_ text: String, level: Int = 6) throws -> [UInt8] {
        let directory = try TestEnvironment.temporaryDirectory("gzip-inflater")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("log")
        try text.write(to: file, atomically: false, encoding: .utf8)
        let result = try runCommand("/usr/bin/env", ["gzip", "-\(level)", "-n", file.path])
        #expect(result.status == 0, "\(result.output)")
        return Array(try Data(contentsOf: directory.appendingPathComponent("log.gz")))
    }

    private func inflate(_ compressed: [UInt8], pieces: Int = 1, stopAfter limit: Int = .max) throws -> ([UInt8], GzipInflater) {
        let inflater = try GzipInflater()
        var output: [UInt8] = []
        let size = max(1, compressed.count / pieces)
        var start = 0
        while start < compressed.count {
            let piece = compressed[start..<min(start + size, compressed.count)]
            start += size
            let more = try piece.withUnsafeBytes { bytes in
                try inflater.inflate(bytes) { chunk in
                    output += chunk
                    return output.count < limit
                }
            }
            if !more { break }
        }
        return (output, inflater)
    }

    @Test func readsWhatGzipWrote() throws {
        var text = ""
        for index in 0..<30_000 { text += "[\(index)s][info][class,load] org.example.Class\(index) source: jar\n" }
        let compressed = try systemGzip(text)
        for pieces in [1, 7, compressed.count] {
            let (output, inflater) = try inflate(compressed, pieces: pieces)
            #expect(output == Array(text.utf8), "in \(pieces) pieces")
            #expect(inflater.isComplete)
        }
    }

    @Test func readsConcatenatedMembersAndStopsWhenAsked() throws {
        let first = try systemGzip("first member\n"), second = try systemGzip(String(repeating: "second member\n", count: 10_000), level: 1)
        let (output, inflater) = try inflate(first + second)
        #expect(output == Array(("first member\n" + String(repeating: "second member\n", count: 10_000)).utf8))
        #expect(inflater.isComplete)
        let (some, stopped) = try inflate(second, stopAfter: 100)
        #expect(some.count >= 100 && some.count <= GzipInflater.outputChunk && !stopped.isComplete)
    }

    @Test func ignoresWhatFollowsAMemberWhenItIsNotGzip() throws {
        let compressed = try systemGzip("member\n")
        let (output, inflater) = try inflate(compressed + Array("trailing bytes".utf8))
        #expect(output == Array("member\n".utf8) && inflater.isComplete)
    }

    @Test func refusesWhatIsNotGzipAndTellsACutFile() throws {
        #expect(throws: GzipInflater.Failure.self) { try inflate(Array("plain text, not gzip\n".utf8)) }
        let compressed = try systemGzip(String(repeating: "abc\n", count: 1000))
        let (_, cut) = try inflate(Array(compressed.dropLast(6)))
        #expect(!cut.isComplete)
    }
}
