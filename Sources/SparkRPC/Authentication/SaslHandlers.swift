import Logging
import NIOCore
import SparkTransport

/// `spark.authenticate=true`: the shared secret every connection proves before any RPC goes over it
/// (Spark: `SecurityManager.getSecretKey`, then `SaslClientBootstrap` / `SaslRpcHandler`).
public struct RpcAuthentication: Sendable {
    public var credentials: DigestMD5.Credentials
    /// How long a handshake may take (Spark: `spark.network.auth.rpcTimeout`, 30 s).
    public var handshakeTimeout: TimeAmount

    /// Bytes a peer may send before it has authenticated: the handshake takes well under 2 KiB, so
    /// an unauthenticated peer cannot make the frame decoder hold a large frame.
    public var handshakeInputLimit: Int = 64 * 1024

    /// Accepted connections that may be authenticating at once, in all and from one address; more
    /// are closed as they come.
    public var pendingHandshakeLimit: Int = 256
    public var pendingHandshakeLimitPerHost: Int = 64

    /// Refused connections are warned about at most ten times in this long (see `HandshakeGate`).
    public var refusalWarningWindow: TimeAmount = .seconds(60)

    public init(secret: String, handshakeTimeoutSeconds: Double = 30) {
        credentials = DigestMD5.Credentials(secret: secret)
        handshakeTimeout = .milliseconds(Int64((handshakeTimeoutSeconds * 1000).rounded(.up)))
    }
}

/// Spark's `SaslMessage`, the body of each `RpcRequest` of a handshake: tag `0xEA`, the application id
/// (int32 length + UTF-8), the token's int32 length, the token.
struct SaslMessage: Equatable {
    static let tag: UInt8 = 0xEA
    static let maxAppIdSize = 1024

    var appId: String
    var token: [UInt8]

    func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Self.tag)
        buffer.writeInteger(Int32(appId.utf8.count))
        buffer.writeString(appId)
        buffer.writeInteger(Int32(token.count))
        buffer.writeBytes(token)
        return buffer
    }

    static func decode(_ body: ByteBuffer) throws(DigestMD5.Failure) -> SaslMessage {
        var body = body
        guard body.readInteger(as: UInt8.self) == tag else {
            throw DigestMD5.Failure(message: "expected a SaslMessage (is spark.authenticate=true on both sides, with spark.network.crypto.enabled=false?)")
        }
        guard let appIdLength = body.readInteger(as: Int32.self), appIdLength >= 0, appIdLength <= maxAppIdSize,
              let appId = body.readString(length: Int(appIdLength)),
              let tokenLength = body.readInteger(as: Int32.self), tokenLength >= 0, tokenLength <= DigestMD5.maxTokenSize,
              Int(tokenLength) == body.readableBytes, let token = body.readBytes(length: Int(tokenLength))
        else { throw DigestMD5.Failure(message: "malformed SaslMessage") }
        return SaslMessage(appId: appId, token: token)
    }
}

/// The accepting side of an authenticated connection: answers the client's handshake requests, and
/// once the client has proved the secret, puts the RPC handler in its place. Any other frame before
/// that, a wrong proof or a handshake over its time closes the connection; the one exception is a
/// first request of Spark's AES-based protocol, answered with a failure so the client falls back.
final class SaslServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = TransportFrame
    typealias OutboundOut = TransportFrame

    private var server: DigestMD5Server
    private let timeout: TimeAmount
    private let makeRpcHandler: (String) -> any ChannelHandler
    /// The application id the client gave in its first `SaslMessage` (Spark: `client.setClientId`).
    private var clientId: String?
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var ended = false
    private var declinedOtherProtocol = false

    /// The failure a request of another protocol gets before the client falls back to SASL.
    static let otherProtocolDeclined =
        "Expected SaslMessage, received something else: this server authenticates with SASL only (spark.network.crypto.enabled is not supported)"

    private let inputLimit: HandshakeInputLimit?
    private let gate: HandshakeGate
    /// This handshake's place in `gate`, given back when the handler leaves the pipeline.
    private let place: HandshakeGate.Place

    init(
        authentication: RpcAuthentication, logger: Logger, gate: HandshakeGate, place: HandshakeGate.Place,
        inputLimit: HandshakeInputLimit?, makeRpcHandler: @escaping (String) -> any ChannelHandler
    ) {
        self.inputLimit = inputLimit
        self.gate = gate
        self.place = place
        var generator = SystemRandomNumberGenerator()
        server = DigestMD5Server(credentials: authentication.credentials, nonce: DigestMD5.makeNonce(using: &generator))
        timeout = authentication.handshakeTimeout
        self.makeRpcHandler = makeRpcHandler
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            refuse(context, "no authentication within \(timeout.nanoseconds / 1_000_000_000) s")
            // Even after a failure reply that never left: the deadline always ends the connection.
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        place.release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        let frame = unwrapInboundIn(data)
        guard case .rpcRequest(let requestId, let body) = frame else {
            refuse(context, "\(frame.typeName) before authentication")
            return
        }
        // A client with `spark.network.crypto.enabled` opens with Spark's AES-based protocol. As
        // Spark's SASL-only server does, this one answers that first request with a failure and
        // keeps the connection, on which the client goes on with SASL
        // (`spark.network.crypto.saslFallback`, on by default). Once per connection.
        if !declinedOtherProtocol, !server.hasStarted, body.getInteger(at: body.readerIndex, as: UInt8.self) != SaslMessage.tag {
            declinedOtherProtocol = true
            // Said once per connection (a peer keeps one): the client asked for encryption it will not get.
            logger.info(
                "A client's first request was not SASL (Spark's AES authentication of spark.network.crypto.enabled is, and this daemon does not provide it): answered so that it can fall back to SASL; such a connection is authenticated, not encrypted",
                metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")"])
            context.writeAndFlush(wrapOutboundOut(.rpcFailure(requestId: requestId, error: Self.otherProtocolDeclined)), promise: nil)
            return
        }
        do {
            let message = try SaslMessage.decode(body)
            if let clientId, clientId != message.appId {
                throw DigestMD5.Failure(message: "the application id changed during the handshake")
            }
            clientId = message.appId
            let reply = try server.evaluate(message.token)
            context.writeAndFlush(wrapOutboundOut(.rpcResponse(requestId: requestId, body: ByteBuffer(bytes: reply))), promise: nil)
        } catch {
            ended = true
            gate.refused(peer: context.remoteAddress, reason: "\(error)", logger: logger, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.rpcFailure(requestId: requestId, error: "\(error)")))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        guard server.isComplete else { return }
        ended = true
        logger.debug("authenticated", metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")"])
        do {
            try context.pipeline.syncOperations.addHandler(makeRpcHandler(clientId ?? ""), position: .after(self))
            if let inputLimit { context.pipeline.syncOperations.removeHandler(inputLimit, promise: nil) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        refuse(context, "\(error)")
    }

    private func refuse(_ context: ChannelHandlerContext, _ reason: String) {
        guard !ended else { return }
        ended = true
        gate.refused(peer: context.remoteAddress, reason: reason, logger: logger, eventLoop: context.eventLoop)
        context.close(promise: nil)
    }
}

/// Closes a connection whose peer sends more than `limit` bytes before it has authenticated; taken
/// out of the pipeline once it has.
final class HandshakeInputLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limit: Int
    private let logger: Logger
    private let gate: HandshakeGate
    private var received = 0

    init(limit: Int, gate: HandshakeGate, logger: Logger) {
        self.limit = limit
        self.gate = gate
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard received <= limit else { return }
        received += unwrapInboundIn(data).readableBytes
        guard received <= limit else {
            gate.refused(
                peer: context.remoteAddress, reason: "more than \(limit) bytes before authenticating", logger: logger, eventLoop: context.eventLoop)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }
}

/// The dialling side: proves the secret as soon as the connection is up, checks the server's proof,
/// then puts the RPC handler in its place. Nothing else is written before that.
final class SaslClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = TransportFrame
    typealias OutboundOut = TransportFrame

    /// What Spark's client sends as the application id (`SecurityManager.getSaslUser`).
    static let appId = "sparkSaslUser"

    private var client: DigestMD5Client
    private let timeout: TimeAmount
    private let makeRpcHandler: () -> any ChannelHandler
    private let onFailure: (String) -> Void
    private var requestId: Int64 = 0
    private var deadline: Scheduled<Void>?
    private var started = false
    private var ended = false

    /// `onFailure` gets why the handshake failed.
    init(authentication: RpcAuthentication, makeRpcHandler: @escaping () -> any ChannelHandler, onFailure: @escaping (String) -> Void) {
        var generator = SystemRandomNumberGenerator()
        client = DigestMD5Client(credentials: authentication.credentials, cnonce: DigestMD5.makeNonce(using: &generator))
        timeout = authentication.handshakeTimeout
        self.makeRpcHandler = makeRpcHandler
        self.onFailure = onFailure
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(context, "no answer within \(timeout.nanoseconds / 1_000_000_000) s")
        }
        send(client.firstToken, context)
    }

    private func send(_ token: [UInt8], _ context: ChannelHandlerContext) {
        requestId = Int64.random(in: 1...Int64.max)
        let body = SaslMessage(appId: Self.appId, token: token).encoded()
        context.writeAndFlush(wrapOutboundOut(.rpcRequest(requestId: requestId, body: body)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        switch unwrapInboundIn(data) {
        case .rpcResponse(let id, let body) where id == requestId:
            do {
                if let next = try client.evaluate(Array(body.readableBytesView)) {
                    send(next, context)
                    return
                }
            } catch {
                fail(context, "\(error)")
                return
            }
            ended = true
            do {
                try context.pipeline.syncOperations.addHandler(makeRpcHandler(), position: .after(self))
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } catch {
                fail(context, "\(error)")
            }
        case .rpcFailure(let id, let error) where id == requestId:
            // A JVM server sends its whole stack trace; the first line says why.
            fail(context, "the server refused: \(error.prefix { $0 != "\n" && $0 != "\r" }.prefix(500))")
        case let frame:
            fail(context, "unexpected \(frame.typeName) during authentication")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, "the connection closed during authentication")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, "\(error)")
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        guard !ended else { return }
        ended = true
        onFailure("authentication failed: \(reason)")
        context.close(promise: nil)
    }
}
