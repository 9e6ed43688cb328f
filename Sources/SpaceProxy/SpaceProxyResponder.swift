import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Answers one request: authenticate, route, then either write a local response or run the exchange
/// with the backend, streaming both bodies with back-pressure. Logs one line per request.
struct SpaceProxyResponder: Sendable {
    let authenticator: BasicAuthenticator
    let router: ProxyRouter
    let connector: BackendConnector
    let realm: String
    let logger: Logger

    /// The outcome of one request, for its log line.
    struct Record {
        var user: String?
        var backend: BackendAddress?
        var status: Int = 0
        var bytes: Int = 0
        var problem: String?
    }

    func respond(to request: Request, writer: consuming ResponseWriter, channel: any Channel) async throws {
        let start = ContinuousClock.now
        var record = Record()
        do {
            try await handle(request, writer: writer, channel: channel, record: &record)
            log(request, record, start: start, level: .info)
        } catch {
            // The client or the backend went away mid-exchange; the connection is closed.
            if record.problem == nil { record.problem = "aborted" }
            log(request, record, start: start, level: .notice)
            throw error
        }
    }

    private func handle(_ request: Request, writer: consuming ResponseWriter, channel: any Channel, record: inout Record) async throws {
        switch await authenticator.authenticate(authorization: request.headers[values: .authorization]) {
        case .allowed(let user):
            record.user = user
        case .missingCredentials:
            try await writeLocal(.unauthorized(realm: realm), for: request, writer: writer, record: &record)
            return
        case .malformedCredentials:
            record.problem = "malformed credentials"
            try await writeLocal(.unauthorized(realm: realm), for: request, writer: writer, record: &record)
            return
        case .rejected(let user):
            record.problem = "rejected user \"\(String(BackendAddress.printable(user).prefix(64)))\""
            try await writeLocal(.unauthorized(realm: realm), for: request, writer: writer, record: &record)
            return
        case .busy:
            record.problem = "authentication busy"
            try await writeLocal(.serviceUnavailable("Too many logins in progress; retry in a moment."), for: request, writer: writer, record: &record)
            return
        }

        switch router.route(request.head) {
        case .respond(let response):
            try await writeLocal(response, for: request, writer: writer, record: &record)
        case .forward(let backend):
            record.backend = backend
            try await forward(request, to: backend, writer: writer, channel: channel, record: &record)
        }
    }

    /// Whether the request announces a body the proxy might not read.
    private static func hasBody(_ request: Request) -> Bool {
        if let length = request.headers[.contentLength] { return length != "0" }
        return request.headers[.transferEncoding] != nil
    }

    private func writeLocal(_ response: LocalResponse, for request: Request, writer: consuming ResponseWriter, record: inout Record) async throws {
        var fields = response.headerFields
        let body = ByteBuffer(string: response.body)
        fields[.contentLength] = String(body.readableBytes)
        // An unread request body (say a large upload that got a 401) is not worth draining: close instead.
        if Self.hasBody(request) { fields[.connection] = "close" }
        record.status = response.status.code
        let head = HTTPResponse(status: response.status, headerFields: fields)
        if request.method == .head {
            try await writer.writeResponse(head)
        } else {
            record.bytes = body.readableBytes
            try await writer.write(response: head, body: ResponseBody(byteBuffer: body))
        }
    }

    /// How the exchange with the backend ended, when it ended without writing to the client.
    private enum Exchange {
        case completed
        case failedBeforeResponse(BackendFailure)
    }

    private func forward(
        _ request: Request, to backend: BackendAddress, writer: consuming ResponseWriter, channel: any Channel, record: inout Record
    ) async throws {
        if request.headers[.expect]?.lowercased() == "100-continue" {
            // The backend never sees Expect; the proxy invites the body itself once the request passed.
            try await writer.writeInformationalHead(HTTPResponse(status: .continue))
        }
        let backendHead = HeaderRewriting.backendRequestHead(
            for: request.head, backend: backend, clientAddress: channel.remoteAddress?.ipAddress, cookieName: router.cookieName)

        let backendChannel: BackendChannel
        do {
            backendChannel = try await connector.connect(to: backend, on: channel.eventLoop)
        } catch {
            let failure = BackendFailure.connect(error, connectTimeout: connector.connectTimeout)
            record.problem = failure.problem
            try await writeLocal(page(for: failure, backend: backend), for: request, writer: writer, record: &record)
            return
        }

        var pendingWriter: ResponseWriter? = consume writer
        let exchange = try await backendChannel.executeThenClose { inbound, outbound in
            try await relay(
                request, head: backendHead, backend: backend, backendChannel: backendChannel.channel, inbound: inbound,
                outbound: outbound, writer: &pendingWriter, record: &record)
        }
        switch exchange {
        case .completed:
            return
        case .failedBeforeResponse(let failure):
            record.problem = failure.problem
            try await writeLocal(page(for: failure, backend: backend), for: request, writer: pendingWriter.take()!, record: &record)
        }
    }

    /// Runs the upload beside the download: waits for the response head (or a failure, which leaves
    /// `writer` untouched for the error page), then streams the response body to the client.
    private func relay(
        _ request: Request, head backendHead: HTTPRequestHead, backend: BackendAddress, backendChannel: any Channel,
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, writer: inout ResponseWriter?, record: inout Record
    ) async throws -> Exchange {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.upload(request, head: backendHead, to: outbound, closing: backendChannel)
            }
            // However the exchange ends, an upload still waiting for the client stops (task groups wait
            // for their children, they do not cancel them).
            defer { group.cancelAll() }
            var responses = inbound.makeAsyncIterator()
            let head: HTTPResponseHead
            do {
                guard let first = try await responses.next() else { return .failedBeforeResponse(.closedWithoutResponse) }
                guard case .head(let received) = first else {
                    return .failedBeforeResponse(BackendFailure(kind: .unreachable, problem: "the backend sent a body before a head"))
                }
                head = received
            } catch {
                return .failedBeforeResponse(.exchange(error))
            }
            let response = HeaderRewriting.clientResponseHead(for: head, backend: backend)
            record.status = response.status.code
            var body = try await writer.take()!.writeHead(response)
            while let part = try await responses.next() {
                switch part {
                case .head:
                    throw BackendProtocolError(message: "a second response head")
                case .body(let buffer):
                    record.bytes += buffer.readableBytes
                    try await body.write(buffer)
                case .end:
                    try await body.finish(nil)
                    // A backend that answered before reading the whole upload leaves the client's request
                    // unread: the deferred cancellation stops the upload, and the client connection closes.
                    return .completed
                }
            }
            throw BackendProtocolError(message: "the connection closed before the response ended")
        }
    }

    /// Streams the request to the backend. A failing client body (the client went away) closes the
    /// backend connection so the exchange ends; a failing backend write just stops the upload, as the
    /// backend may still answer (a 413, say) before closing.
    private static func upload(
        _ request: Request, head: HTTPRequestHead, to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, closing backend: any Channel
    ) async {
        do {
            try await outbound.write(.head(head))
        } catch {
            return
        }
        var chunks = request.body.makeAsyncIterator()
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await chunks.next()
            } catch {
                if !Task.isCancelled { backend.close(promise: nil) }
                return
            }
            guard let chunk else { break }
            do {
                try await outbound.write(.body(.byteBuffer(chunk)))
            } catch {
                return
            }
        }
        try? await outbound.write(.end(nil))
    }

    private func page(for failure: BackendFailure, backend: BackendAddress) -> LocalResponse {
        switch failure.kind {
        case .unreachable:
            return .backendFailure(status: .badGateway, backend: backend, problem: failure.problem)
        case .timedOut:
            return .backendFailure(status: .gatewayTimeout, backend: backend, problem: failure.problem)
        }
    }

    private func log(_ request: Request, _ record: Record, start: ContinuousClock.Instant, level: Logger.Level) {
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        // The path without its query: queries can carry tokens.
        let path = (request.head.path ?? "").split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var metadata: Logger.Metadata = [
            "proxy/method": "\(request.method.rawValue)",
            "proxy/path": "\(BackendAddress.printable(path))",
            "proxy/status": "\(record.status)",
            "proxy/duration-ms": "\((milliseconds * 10).rounded() / 10)",
            "proxy/bytes": "\(record.bytes)",
        ]
        if let backend = record.backend { metadata["proxy/backend"] = "\(backend.authority)" }
        if let user = record.user { metadata["proxy/user"] = "\(BackendAddress.printable(user))" }
        if let problem = record.problem { metadata["proxy/problem"] = "\(problem)" }
        logger.log(level: level, "request", metadata: metadata)
    }
}

/// The backend broke HTTP/1.1 after its response head; the client connection is closed.
struct BackendProtocolError: Error, CustomStringConvertible {
    var message: String
    var description: String { "backend protocol error: \(message)" }
}
