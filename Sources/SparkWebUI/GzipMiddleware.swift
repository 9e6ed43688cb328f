import HTTPTypes
import Hummingbird
import NIOCore

/// Compresses responses with gzip when the request's `Accept-Encoding` allows it.
///
/// For a `Router`: `router.add(middleware: GzipMiddleware())`. For a bare `HTTPResponder` (the
/// worker's), wrap it in `GzipResponder`. Anything else can call `GzipEncoding.encode`.
public struct GzipMiddleware<Context: RequestContext>: RouterMiddleware {
    public var policy: GzipEncoding.Policy

    public init(policy: GzipEncoding.Policy = .init()) { self.policy = policy }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        return try await GzipEncoding.encode(response, for: request, policy: policy)
    }
}

/// An `HTTPResponder` whose responses are gzip-encoded as `GzipMiddleware` would.
public struct GzipResponder<Base: HTTPResponder>: HTTPResponder {
    public typealias Context = Base.Context
    public var base: Base
    public var policy: GzipEncoding.Policy

    public init(_ base: Base, policy: GzipEncoding.Policy = .init()) {
        self.base = base
        self.policy = policy
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        try await GzipEncoding.encode(try await base.respond(to: request, context: context), for: request, policy: policy)
    }
}

/// When and how a response is gzip-encoded.
public enum GzipEncoding {
    public struct Policy: Sendable {
        /// Bodies known to be smaller stay as they are (the gzip frame would outweigh the gain).
        public var minimumSize: Int
        /// Bodies of known length up to this are compressed in one go and keep a `Content-Length`;
        /// larger or unknown-length bodies are compressed as they stream (chunked).
        public var wholeBodyLimit: Int
        /// zlib level 1…9.
        public var level: Int32

        public init(minimumSize: Int = 1024, wholeBodyLimit: Int = 4 << 20, level: Int32 = 6) {
            self.minimumSize = minimumSize
            self.wholeBodyLimit = wholeBodyLimit
            self.level = level
        }
    }

    /// `response`, gzip-encoded if `request` accepts it and the response is worth compressing.
    public static func encode(_ response: Response, for request: Request, policy: Policy = .init()) async throws -> Response {
        guard request.method != .head, isCompressible(response) else { return response }
        var response = response
        addVary(&response.headers)
        guard AcceptEncoding.allowsGzip(request.headers[values: .acceptEncoding]) else { return response }
        let length = response.body.contentLength
        if let length, length < policy.minimumSize { return response }
        response.headers[.contentEncoding] = "gzip"
        if let etag = response.headers[.eTag], !etag.hasPrefix("W/") { response.headers[.eTag] = "W/" + etag }
        let body = response.body
        let level = policy.level
        if let length, length <= policy.wholeBodyLimit {
            let collector = BodyCollector(limit: length)
            try await body.write(collector)
            response.body = ResponseBody(byteBuffer: try GzipDeflater.compress(collector.buffer, level: level))
        } else {
            response.body = ResponseBody(contentLength: nil) { writer in
                try await body.write(GzipBodyWriter(parent: writer, deflater: try GzipDeflater(level: level)))
            }
        }
        return response
    }

    /// Statuses with bodies, content types that compress well, and no encoding yet.
    static func isCompressible(_ response: Response) -> Bool {
        let status = response.status.code
        guard status >= 200, status != 204, status != 304, response.headers[.contentEncoding] == nil,
              let type = response.headers[.contentType]?.lowercased()
        else { return false }
        let mediaType = type.split(separator: ";").first.map { $0.trimmingASCIIWhitespace() } ?? ""
        return mediaType.hasPrefix("text/") || mediaType.hasSuffix("/json") || mediaType.hasSuffix("+json")
            || mediaType.hasSuffix("/javascript") || mediaType.hasSuffix("/xml") || mediaType.hasSuffix("+xml")
    }

    static func addVary(_ headers: inout HTTPFields) {
        let existing = headers[values: .vary].flatMap { $0.split(separator: ",").map { $0.trimmingASCIIWhitespace().lowercased() } }
        guard !existing.contains("accept-encoding"), !existing.contains("*") else { return }
        headers.append(HTTPField(name: .vary, value: "Accept-Encoding"))
    }
}

/// Compresses what passes through on its way to `parent`.
struct GzipBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let deflater: GzipDeflater

    mutating func write(_ buffer: ByteBuffer) async throws {
        let compressed = try deflater.compress(buffer)
        if compressed.readableBytes > 0 { try await parent.write(compressed) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let tail = try deflater.finish()
        try await parent.write(tail)
        try await parent.finish(trailingHeaders)
    }
}

/// Gathers a body of known length (refusing more than announced).
final class BodyCollector: ResponseBodyWriter {
    struct Overflow: Error {}
    let limit: Int
    var buffer = ByteBuffer()

    init(limit: Int) { self.limit = limit }

    func write(_ buffer: ByteBuffer) async throws {
        guard self.buffer.readableBytes + buffer.readableBytes <= limit else { throw Overflow() }
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
