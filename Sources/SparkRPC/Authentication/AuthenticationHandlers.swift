import Logging
import NIOCore
import SparkConfig
import SparkTransport

/// `spark.authenticate=true`: the shared secret every connection proves before any RPC goes over it
/// (Spark: `SecurityManager.getSecretKey`, then `SaslClientBootstrap` / `SaslRpcHandler`).
public struct RpcAuthentication: Sendable {
    public var credentials: DigestMD5.Credentials
    /// The shared secret, for the AES-based protocol.
    public var secret: String
    /// `spark.network.crypto.enabled=true`: Spark's AES-based protocol first and the connection
    /// encrypted after it; nil for SASL only.
    public var crypto: NetworkCrypto?
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

    public init(secret: String, handshakeTimeoutSeconds: Double = 30, crypto: NetworkCrypto? = nil) {
        credentials = DigestMD5.Credentials(secret: secret)
        self.secret = secret
        self.crypto = crypto
        handshakeTimeout = .milliseconds(Int64((handshakeTimeoutSeconds * 1000).rounded(.up)))
    }
}

extension RpcAuthentication {
    /// A daemon's `spark.authenticate` and `spark.network.crypto` settings.
    public init(_ settings: SparkAuthenticationSettings) {
        self.init(
            secret: settings.secret, handshakeTimeoutSeconds: settings.handshakeTimeoutSeconds,
            crypto: settings.crypto.map {
                NetworkCrypto(cipher: $0.gcm ? .gcm : .ctr, authEngineVersion: $0.authEngineVersion, saslFallback: $0.saslFallback)
            })
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
            throw DigestMD5.Failure(message: "expected a SaslMessage (is spark.authenticate=true on both sides, and spark.network.crypto.enabled alike?)")
        }
        guard let appIdLength = body.readInteger(as: Int32.self), appIdLength >= 0, appIdLength <= maxAppIdSize,
              let appId = body.readString(length: Int(appIdLength)),
              let tokenLength = body.readInteger(as: Int32.self), tokenLength >= 0, tokenLength <= DigestMD5.maxTokenSize,
              Int(tokenLength) == body.readableBytes, let token = body.readBytes(length: Int(tokenLength))
        else { throw DigestMD5.Failure(message: "malformed SaslMessage") }
        return SaslMessage(appId: appId, token: token)
    }
}

/// The accepting side of an authenticated connection: answers the client's handshake, and once the
/// client has proved the secret, puts the RPC handler in its place. With `spark.network.crypto.enabled`
/// the handshake may be Spark's AES-based one, after which the connection is encrypted; SASL is
/// accepted too unless `spark.network.crypto.saslFallback=false`. Any other frame before that, a
/// wrong proof or a handshake over its time closes the connection; the one exception is a first AES
/// request to a server without `spark.network.crypto.enabled`, answered with a failure so that the
/// client falls back to SASL.
final class ServerAuthenticationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = TransportFrame
    typealias OutboundOut = TransportFrame

    private var server: DigestMD5Server
    private let authentication: RpcAuthentication
    private let timeout: TimeAmount
    private let makeRpcHandler: (String) -> any ChannelHandler
    /// The application id the client gave in its first message (Spark: `client.setClientId`).
    private var clientId: String?
    private let logger: Logger
    private var deadline: Scheduled<Void>?
    private var ended = false
    private var declinedOtherProtocol = false

    /// The failure an AES request gets from a server without `spark.network.crypto.enabled`, before
    /// the client falls back to SASL.
    static let otherProtocolDeclined =
        "Expected SaslMessage, received something else: this server authenticates with SASL only (spark.network.crypto.enabled is not set on it)"

    private let inputLimit: HandshakeInputLimit?
    /// What the frame decoder holds past the frame being read (with `spark.network.crypto`).
    private let backlog: TransportFrameDecoder.Backlog?
    private let gate: HandshakeGate
    /// This handshake's place in `gate`, given back when the handler leaves the pipeline.
    private let place: HandshakeGate.Place

    init(
        authentication: RpcAuthentication, logger: Logger, gate: HandshakeGate, place: HandshakeGate.Place,
        inputLimit: HandshakeInputLimit?, backlog: TransportFrameDecoder.Backlog?, makeRpcHandler: @escaping (String) -> any ChannelHandler
    ) {
        self.inputLimit = inputLimit
        self.backlog = backlog
        self.gate = gate
        self.place = place
        self.authentication = authentication
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
        let isFirst = !server.hasStarted && !declinedOtherProtocol
        if isFirst, body.getInteger(at: body.readerIndex, as: UInt8.self) == AuthMessage.tag {
            guard let crypto = authentication.crypto else {
                // As Spark's SASL-only server does: a failure, and the connection stays for the
                // client to go on with SASL (`spark.network.crypto.saslFallback`, on by default).
                declinedOtherProtocol = true
                // Said once per connection (a peer keeps one): the client asked for encryption it will not get.
                logger.info(
                    "A client opened with Spark's AES authentication, and spark.network.crypto.enabled is not set on this daemon: answered so that it can fall back to SASL; such a connection is authenticated, not encrypted",
                    metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")"])
                context.writeAndFlush(wrapOutboundOut(.rpcFailure(requestId: requestId, error: Self.otherProtocolDeclined)), promise: nil)
                return
            }
            authenticateWithAES(context, requestId: requestId, body: body, crypto: crypto)
            return
        }
        if isFirst, let crypto = authentication.crypto, !crypto.saslFallback {
            fail(context, requestId: requestId, "the client did not open with Spark's AES authentication, and spark.network.crypto.saslFallback=false on this daemon")
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
            fail(context, requestId: requestId, "\(error)")
            return
        }
        guard server.isComplete else { return }
        logger.debug("authenticated with SASL", metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")"])
        authenticated(context)
    }

    /// Spark's `AuthRpcHandler`: the answer goes out in the clear, then both directions are encrypted.
    private func authenticateWithAES(_ context: ChannelHandlerContext, requestId: Int64, body: ByteBuffer, crypto: NetworkCrypto) {
        // Bytes sent after the challenge, before the answer, were not encrypted: a client waits for
        // the answer, and anything else (a replayed challenge with requests behind it) is refused.
        guard (backlog?.bytes ?? 0) == 0 else {
            fail(context, requestId: requestId, "bytes followed the AES challenge before its answer")
            return
        }
        let keys: AuthEngine.SessionKeys
        do {
            let challenge = try AuthMessage.decode(body)
            clientId = challenge.appId
            let engine = AuthEngine(appId: challenge.appId, secret: authentication.secret, crypto: crypto)
            let (response, sessionKeys) = try engine.respond(to: challenge)
            keys = sessionKeys
            context.writeAndFlush(wrapOutboundOut(.rpcResponse(requestId: requestId, body: response.encoded)), promise: nil)
        } catch {
            fail(context, requestId: requestId, "\(error)")
            return
        }
        do {
            // The answer has passed the frame encoder and waits in the channel: what follows is encrypted.
            try context.pipeline.syncOperations.addHandler(TransportCipherHandler(keys: keys, cipher: crypto.cipher), position: .first)
        } catch {
            refuse(context, "\(error)")
            return
        }
        logger.debug("authenticated with AES, connection encrypted", metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")"])
        authenticated(context)
    }

    private func authenticated(_ context: ChannelHandlerContext) {
        ended = true
        do {
            try context.pipeline.syncOperations.addHandler(makeRpcHandler(clientId ?? ""), position: .after(self))
            if let inputLimit { context.pipeline.syncOperations.removeHandler(inputLimit, promise: nil) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    /// A failure reply with the reason, then the connection closes.
    private func fail(_ context: ChannelHandlerContext, requestId: Int64, _ reason: String) {
        ended = true
        gate.refused(peer: context.remoteAddress, reason: reason, logger: logger, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.rpcFailure(requestId: requestId, error: reason)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
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
/// then puts the RPC handler in its place. Nothing else is written before that. With
/// `spark.network.crypto.enabled` it opens with Spark's AES-based handshake and encrypts the
/// connection after it; a server that refuses it is asked again with SASL when
/// `spark.network.crypto.saslFallback` allows (Spark's `AuthClientBootstrap`).
final class ClientAuthenticationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = TransportFrame
    typealias OutboundOut = TransportFrame

    /// What Spark's client sends as the application id (`SecurityManager.getSaslUser`).
    static let appId = "sparkSaslUser"

    private var client: DigestMD5Client
    private let authentication: RpcAuthentication
    private let timeout: TimeAmount
    private let makeRpcHandler: () -> any ChannelHandler
    private let onFailure: (String) -> Void
    private var requestId: Int64 = 0
    private var deadline: Scheduled<Void>?
    private var started = false
    private var ended = false
    /// The AES handshake in progress: its engine and challenge.
    private var aes: (engine: AuthEngine, challenge: AuthMessage)?
    /// What the frame decoder holds past the frame being read (with `spark.network.crypto`).
    private let backlog: TransportFrameDecoder.Backlog?
    private let logger: Logger

    /// `onFailure` gets why the handshake failed.
    init(
        authentication: RpcAuthentication, backlog: TransportFrameDecoder.Backlog?, logger: Logger,
        makeRpcHandler: @escaping () -> any ChannelHandler, onFailure: @escaping (String) -> Void
    ) {
        self.backlog = backlog
        self.logger = logger
        var generator = SystemRandomNumberGenerator()
        client = DigestMD5Client(credentials: authentication.credentials, cnonce: DigestMD5.makeNonce(using: &generator))
        self.authentication = authentication
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
        if let crypto = authentication.crypto {
            var engine = AuthEngine(appId: Self.appId, secret: authentication.secret, crypto: crypto)
            do {
                let challenge = try engine.challenge()
                aes = (engine, challenge)
                send(challenge.encoded, context)
            } catch {
                fail(context, "\(error)")
            }
        } else {
            send(SaslMessage(appId: Self.appId, token: client.firstToken).encoded(), context)
        }
    }

    private func send(_ body: ByteBuffer, _ context: ChannelHandlerContext) {
        requestId = Int64.random(in: 1...Int64.max)
        context.writeAndFlush(wrapOutboundOut(.rpcRequest(requestId: requestId, body: body)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        switch unwrapInboundIn(data) {
        case .rpcResponse(let id, let body) where id == requestId:
            if let aes {
                let keys: AuthEngine.SessionKeys
                do {
                    // Anything behind the answer was not encrypted: no server sends it.
                    guard (backlog?.bytes ?? 0) == 0 else { throw AuthEngine.Failure("bytes followed the server's AES answer") }
                    keys = try aes.engine.finish(challenge: aes.challenge, response: try AuthMessage.decode(body))
                    try context.pipeline.syncOperations.addHandler(
                        TransportCipherHandler(keys: keys, cipher: authentication.crypto?.cipher ?? .ctr), position: .first)
                } catch {
                    fail(context, "\(error)")
                    return
                }
                authenticated(context)
                return
            }
            do {
                if let next = try client.evaluate(Array(body.readableBytesView)) {
                    send(SaslMessage(appId: Self.appId, token: next).encoded(), context)
                    return
                }
            } catch {
                fail(context, "\(error)")
                return
            }
            authenticated(context)
        case .rpcFailure(let id, let error) where id == requestId:
            // A JVM server sends its whole stack trace; the first line says why.
            let reason = error.prefix { $0 != "\n" && $0 != "\r" }.prefix(500)
            if aes != nil, authentication.crypto?.saslFallback == true {
                // A server without spark.network.crypto.enabled: SASL on the same connection.
                logger.warning(
                    "The server refused Spark's AES authentication; going on with SASL (spark.network.crypto.saslFallback): this connection is authenticated, not encrypted",
                    metadata: ["rpc/peer": "\(context.remoteAddress?.description ?? "?")", "rpc/error": "\(reason)"])
                aes = nil
                send(SaslMessage(appId: Self.appId, token: client.firstToken).encoded(), context)
                return
            }
            fail(context, "the server refused: \(reason)")
        case let frame:
            fail(context, "unexpected \(frame.typeName) during authentication")
        }
    }

    private func authenticated(_ context: ChannelHandlerContext) {
        ended = true
        do {
            try context.pipeline.syncOperations.addHandler(makeRpcHandler(), position: .after(self))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            onFailure("authentication failed: \(error)")
            context.close(promise: nil)
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
