import NIOCore
import NIOHTTP1
import NIOPosix

/// The backend side of an exchange: request parts out, response parts in, with NIO's back-pressure.
typealias BackendChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

/// Opens one HTTP/1.1 connection per proxied request to an allowed backend, on the client connection's
/// event loop (no thread hops between the two sockets).
struct BackendConnector: Sendable {
    var connectTimeout: TimeAmount
    /// Silence allowed in both directions while the exchange is open.
    var idleTimeout: TimeAmount
    var maximumResponseHeaderBytes: Int

    func connect(to backend: BackendAddress, on eventLoop: any EventLoop) async throws -> BackendChannel {
        let idleTimeout = self.idleTimeout
        let limits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = maximumResponseHeaderBytes
            limits.maxHeaderListSize = maximumResponseHeaderBytes
            return limits
        }()
        return try await ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: backend.host, port: backend.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(decoderLimitConfiguration: limits)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(BackendIdleHandler(timeout: idleTimeout))
                    return try BackendChannel(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// The backend said nothing and took nothing for the configured time.
struct BackendTimeoutError: Error, Hashable, CustomStringConvertible {
    var timeout: TimeAmount
    var description: String { "no activity for \(BackendFailure.seconds(timeout))" }
}

/// Turns the idle event into an error for the exchange and closes the backend connection.
final class BackendIdleHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    private let timeout: TimeAmount

    init(timeout: TimeAmount) { self.timeout = timeout }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            context.fireErrorCaught(BackendTimeoutError(timeout: timeout))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Why a backend exchange failed before a response head arrived, for the 502/504 page and the log.
struct BackendFailure: Equatable, Sendable {
    enum Kind: Equatable, Sendable {
        case unreachable
        case timedOut
    }

    var kind: Kind
    var problem: String

    static func connect(_ error: any Error, connectTimeout: TimeAmount) -> BackendFailure {
        switch error {
        case ChannelError.connectTimeout:
            return BackendFailure(kind: .timedOut, problem: "connecting timed out after \(seconds(connectTimeout))")
        case let error as NIOConnectionError:
            if error.connectionErrors.isEmpty {
                return BackendFailure(kind: .unreachable, problem: "the host name does not resolve")
            }
            return BackendFailure(kind: .unreachable, problem: describe(error.connectionErrors.last!.error))
        default:
            return BackendFailure(kind: .unreachable, problem: describe(error))
        }
    }

    static func exchange(_ error: any Error) -> BackendFailure {
        switch error {
        case let timeout as BackendTimeoutError:
            return BackendFailure(kind: .timedOut, problem: "no response within \(seconds(timeout.timeout))")
        case is HTTPParserError:
            return BackendFailure(kind: .unreachable, problem: "the backend did not answer with valid HTTP/1.1")
        default:
            return BackendFailure(kind: .unreachable, problem: describe(error))
        }
    }

    static let closedWithoutResponse = BackendFailure(kind: .unreachable, problem: "the connection closed before a response")

    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
            case ECONNRESET: return "connection reset"
            default: return "connection failed (errno \(error.errnoCode))"
            }
        }
        if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .alreadyClosed {
            return "the connection closed"
        }
        return "connection failed"
    }

    static func seconds(_ amount: TimeAmount) -> String {
        let seconds = Double(amount.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
