import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client on NIO's client pipeline: one connection per request, the whole
/// response read into memory up to a limit, the whole exchange under one deadline.
///
/// Used by the reverse proxy to fetch worker and driver UI pages; bounded so a misbehaving
/// backend cannot make the master buffer without end or wait forever.
public struct BoundedHTTPClient: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var host: String
        public var port: Int
        /// Origin-form target: path and query.
        public var target: String
        /// Sent as given, plus `Host`, `Content-Length` and `Connection: close` (which replace any given).
        public var headers: [(String, String)]
        public var body: ByteBuffer?

        public init(method: String = "GET", host: String, port: Int, target: String, headers: [(String, String)] = [], body: ByteBuffer? = nil) {
            self.method = method
            self.host = host
            self.port = port
            self.target = target
            self.headers = headers
            self.body = body
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var reason: String
        public var headers: [(String, String)]
        public var body: ByteBuffer

        /// The first value of header `name` (case-insensitive).
        public func header(_ name: String) -> String? {
            let lowered = name.lowercased()
            return headers.first { $0.0.lowercased() == lowered }?.1
        }

        public var text: String { String(buffer: body) }
    }

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public struct Code: Sendable, Hashable, CustomStringConvertible {
            private enum Base: String, Sendable { case connect, timeout, tooLarge, protocolError, closed }
            private let base: Base
            private init(_ base: Base) { self.base = base }
            /// The backend could not be reached.
            public static let connect = Code(.connect)
            /// The exchange took longer than allowed.
            public static let timeout = Code(.timeout)
            /// The response body exceeded the limit.
            public static let tooLarge = Code(.tooLarge)
            /// The backend's answer was not HTTP as expected.
            public static let protocolError = Code(.protocolError)
            /// The connection closed before the response ended.
            public static let closed = Code(.closed)
            public var description: String { base.rawValue }
        }

        public var code: Code
        public var message: String
        public var description: String { "\(code): \(message)" }
    }

    public var connectTimeout: TimeAmount
    /// Deadline for the whole exchange after connecting.
    public var timeout: TimeAmount
    public var maxResponseBytes: Int
    public var eventLoopGroup: any EventLoopGroup

    public init(
        connectTimeout: TimeAmount = .seconds(5), timeout: TimeAmount = .seconds(30), maxResponseBytes: Int = 32 << 20,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.eventLoopGroup = eventLoopGroup
    }

    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// Sends `request` and reads the whole response.
    public func execute(_ request: Request) async throws -> Response {
        let connection: Connection
        do {
            connection = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: request.host, port: request.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(code: .connect, message: "cannot connect to \(request.host):\(request.port): \(error)")
        }
        // The deadline closes the connection, which ends the exchange below wherever it waits.
        let channel = connection.channel
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        let started = NIODeadline.now()
        defer { deadline.cancel() }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(.head(head(for: request)))
                if let body = request.body, body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(body))) }
                try await outbound.write(.end(nil))
                return try await readResponse(inbound)
            }
        } catch let failure as Failure where failure.code != .closed {
            throw failure
        } catch {
            if NIODeadline.now() - started >= timeout {
                throw Failure(code: .timeout, message: "no complete answer from \(request.host):\(request.port) within \(timeout.nanoseconds / 1_000_000) ms")
            }
            if let failure = error as? Failure { throw failure }
            throw Failure(code: .closed, message: "exchange with \(request.host):\(request.port) failed: \(error)")
        }
    }

    func head(for request: Request) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        let replaced: Set<String> = ["host", "content-length", "connection", "transfer-encoding"]
        for (name, value) in request.headers where !replaced.contains(name.lowercased()) { headers.add(name: name, value: value) }
        let ipv6 = request.host.contains(":")
        let host = ipv6 ? "[\(request.host)]" : request.host
        headers.replaceOrAdd(name: "Host", value: request.port == 80 ? host : "\(host):\(request.port)")
        let length = request.body?.readableBytes ?? 0
        if length > 0 || ["POST", "PUT", "PATCH"].contains(request.method.uppercased()) {
            headers.replaceOrAdd(name: "Content-Length", value: String(length))
        }
        headers.replaceOrAdd(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.target, headers: headers)
    }

    func readResponse(_ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>) async throws -> Response {
        var head: HTTPResponseHead?
        var body = ByteBuffer()
        for try await part in inbound {
            switch part {
            case .head(let received):
                // Informational answers (100 Continue) come before the real one.
                if received.status.code < 200 { continue }
                guard head == nil else { throw Failure(code: .protocolError, message: "a second response head") }
                head = received
            case .body(var chunk):
                guard head != nil else { throw Failure(code: .protocolError, message: "a body before the response head") }
                guard body.readableBytes + chunk.readableBytes <= maxResponseBytes else {
                    throw Failure(code: .tooLarge, message: "the response body exceeds \(maxResponseBytes) bytes")
                }
                body.writeBuffer(&chunk)
            case .end:
                guard let head else { continue }
                return Response(
                    status: Int(head.status.code), reason: head.status.reasonPhrase,
                    headers: head.headers.map { ($0.name, $0.value) }, body: body)
            }
        }
        throw Failure(code: .closed, message: "the connection closed before the response ended")
    }
}
