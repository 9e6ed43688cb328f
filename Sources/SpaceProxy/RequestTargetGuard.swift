import Logging
import NIOCore
import NIOHTTP1

/// Sits right after NIO's HTTP/1 decoder, where the raw request line is still visible (the conversion to
/// HTTP types turns `GET http://elsewhere/ HTTP/1.1` into a plain `/` request and would hide it):
///
/// - refuses `CONNECT`, absolute-form (`http://host/…`), authority-form and asterisk (`OPTIONS *`) request
///   targets with a 400/405 and closes: the proxy only ever forwards to backends chosen by cookie;
/// - closes the connection after a response that says `Connection: close`, after answering a request
///   that did not ask for keep-alive (HTTP/1.0), answering HTTP/1.0 requests in HTTP/1.0, and after a
///   response that starts before its request's body has all arrived (a backend refusing an upload, say),
///   which then says `Connection: close`: the rest of that body is not worth reading through.
///
/// Requests may be pipelined, so a refusal waits for the responses already owed.
///
/// Closing is "lingering": the proxy shuts down its sending side once the response is out, then reads
/// and discards what the client is still sending (a body the proxy refused, say) for up to two seconds
/// or 1 MiB before closing for good. Closing outright with unread input makes the kernel reset the
/// connection, and the client can lose the response it was about to read. The two seconds start when
/// the response has left, however slowly the client takes it (`WriteStallGuard` bounds a client that
/// takes none of it).
final class RequestTargetGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Passing requests on.
        case forwarding
        /// A request was refused: drop all further input, write the refusal once the owed responses are out.
        case refusing(LocalRefusal)
        /// The last response is out and the sending side shut: discard input, then close.
        case lingering(discardedBytes: Int)
    }

    static let lingerTime = TimeAmount.seconds(2)
    static let lingerBytes = 1 << 20

    /// A refusal: a status and a one-line text.
    struct LocalRefusal: Equatable {
        var status: HTTPResponseStatus
        var message: String
        var allow: String?
    }

    init(logger: Logger) {
        self.logger = logger
    }

    /// What an incoming request head needs: nil when it may pass.
    static func refusal(for head: HTTPRequestHead) -> LocalRefusal? {
        if head.method == .CONNECT {
            return LocalRefusal(
                status: .methodNotAllowed, message: "CONNECT is not supported: this is not an open proxy.",
                allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        }
        guard head.uri.hasPrefix("/") else {
            return LocalRefusal(
                status: .badRequest,
                message: "Only origin-form request targets (/path) are accepted: this is not an open proxy.")
        }
        return nil
    }

    private let logger: Logger
    private var state = State.forwarding
    private var lingerTimer: Scheduled<Void>?
    /// While lingering: the last response has left and the sending side is shut.
    private var outputClosed = false
    /// While lingering: the client finished sending before the last response had left.
    private var inputEnded = false
    /// For each request passed on and not yet answered: its HTTP version and whether it allows keep-alive.
    private var owed: [(version: HTTPVersion, keepAlive: Bool)] = []
    /// Close once the response being written ends.
    private var closeAfterCurrentResponse = false
    /// The last request passed on has not ended yet: its body is still coming.
    private var requestBodyOpen = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .forwarding:
            let part = unwrapInboundIn(data)
            switch part {
            case .head(let head):
                if let refusal = Self.refusal(for: head) {
                    logger.notice(
                        "request refused",
                        metadata: [
                            "proxy/method": "\(head.method.rawValue)", "proxy/target": "\(BackendAddress.printable(head.uri))",
                            "proxy/status": "\(refusal.status.code)", "proxy/client": "\(context.remoteAddress?.ipAddress ?? "?")",
                        ])
                    state = .refusing(refusal)
                    writeRefusalIfDue(context: context)
                    return
                }
                owed.append((head.version, head.isKeepAlive))
                requestBodyOpen = true
                context.fireChannelRead(data)
            case .body:
                context.fireChannelRead(data)
            case .end:
                requestBodyOpen = false
                context.fireChannelRead(data)
            }
        case .refusing:
            // Everything after a refused request is dropped; the connection closes after the refusal.
            return
        case .lingering(let discarded):
            switch unwrapInboundIn(data) {
            case .body(let buffer):
                let total = discarded + buffer.readableBytes
                state = .lingering(discardedBytes: total)
                if total > Self.lingerBytes { context.close(promise: nil) }
            case .end:
                // The unfinished upload ended after all: nothing is left to discard.
                if requestBodyOpen {
                    requestBodyOpen = false
                    inputDone(context: context)
                }
            case .head:
                return
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .lingering:
            // The handlers behind stopped asking for input: the guard reads what it discards itself.
            context.read()
        case .forwarding, .refusing:
            context.fireChannelReadComplete()
        }
    }

    /// While lingering: the client has sent all it will; close once the response has left.
    private func inputDone(context: ChannelHandlerContext) {
        if outputClosed { context.close(promise: nil) } else { inputEnded = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .forwarding:
            context.fireErrorCaught(error)
        case .refusing, .lingering:
            // Whatever the client sends after the last response is of no interest, parse errors included.
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch state {
        case .lingering:
            // The client finished sending: nothing left to discard, close once the response has left.
            if let event = event as? ChannelEvent, event == .inputClosed {
                inputDone(context: context)
                return
            }
        case .forwarding, .refusing:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingerTimer?.cancel()
        lingerTimer = nil
        context.fireChannelInactive()
    }

    /// Shuts the sending side once `written` completes, then discards input until the client closes,
    /// the time or byte budget runs out.
    private func closeLingering(context: ChannelHandlerContext, after written: EventLoopFuture<Void>) {
        state = .lingering(discardedBytes: 0)
        written.assumeIsolated().whenComplete { result in
            guard case .success = result, !self.inputEnded else {
                context.close(promise: nil)
                return
            }
            self.outputClosed = true
            context.close(mode: .output, promise: nil)
            context.read()
            self.lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
                context.close(promise: nil)
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            let isInformational = head.status.code < 200
            if !isInformational, let request = owed.first {
                if request.version.major == 1, request.version.minor == 0 { head.version = .http1_0 }
                let responseCloses = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
                // An HTTP/1.0 client cannot take a chunked body: without a length, the close ends the body.
                let closeDelimited = head.version == .http1_0 && !head.headers.contains(name: "content-length")
                // Answered before its body arrived: the request being answered is the last one read.
                let uploadUnfinished = owed.count == 1 && requestBodyOpen
                if responseCloses || !request.keepAlive || closeDelimited || uploadUnfinished {
                    closeAfterCurrentResponse = true
                    if !responseCloses { head.headers.replaceOrAdd(name: "connection", value: "close") }
                } else if head.version == .http1_0 {
                    head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
                }
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            if !owed.isEmpty { owed.removeFirst() }
            if closeAfterCurrentResponse {
                closeAfterCurrentResponse = false
                let written = context.eventLoop.makePromise(of: Void.self)
                if let promise { written.futureResult.cascade(to: promise) }
                context.writeAndFlush(data, promise: written)
                closeLingering(context: context, after: written.futureResult)
            } else {
                context.write(data, promise: promise)
                writeRefusalIfDue(context: context)
            }
        }
    }

    /// Writes the refusal once no response is owed any more, then closes.
    private func writeRefusalIfDue(context: ChannelHandlerContext) {
        guard case .refusing(let refusal) = state, owed.isEmpty else { return }
        var headers = HTTPHeaders([
            ("content-type", "text/plain; charset=utf-8"), ("content-length", String(refusal.message.utf8.count + 1)),
            ("connection", "close"),
        ])
        if let allow = refusal.allow { headers.add(name: "allow", value: allow) }
        let head = HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: refusal.message + "\n")))), promise: nil)
        closeLingering(context: context, after: context.writeAndFlush(wrapOutboundOut(.end(nil))))
    }
}
