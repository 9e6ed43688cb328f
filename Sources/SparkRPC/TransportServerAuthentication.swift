import Logging
import NIOCore
import SparkTransport

/// `spark.authenticate` for a server of Spark's transport other than the RPC environment (the
/// worker's shuffle service): the same handshakes (SASL, or AES and an encrypted connection with
/// `spark.network.crypto.enabled`), limits and refusal logging as RPC connections get, in front of
/// the server's own frame handler.
public final class TransportServerAuthentication: Sendable {
    public let authentication: RpcAuthentication?
    let gate: HandshakeGate?
    let logger: Logger

    /// Without `authentication`, connections go straight to the handler.
    public init(authentication: RpcAuthentication?, logger: Logger) {
        self.authentication = authentication
        self.logger = logger
        gate = authentication.map {
            HandshakeGate(limit: $0.pendingHandshakeLimit, limitPerHost: $0.pendingHandshakeLimitPerHost, window: $0.refusalWarningWindow)
        }
    }

    /// Sets up an accepted `channel`: Spark's frame decoder and encoder, the handshake when
    /// authenticating, then `makeHandler(clientId)`, with the application id the client
    /// authenticated for (nil without authentication). The handler reads and writes
    /// `TransportFrame`s. With `incompleteFrames`, what the connection holds of frames still
    /// arriving counts against that budget, shared by the server's connections. Fails, and the channel is closed, when the handshake limits are reached.
    public func configure(
        _ channel: any Channel, maxFrameSize: Int, incompleteFrames: IncompleteFrameBudget? = nil,
        makeHandler: @escaping @Sendable (String?) -> any ChannelHandler
    ) -> EventLoopFuture<Void> {
        var place: HandshakeGate.Place?
        if let gate {
            switch gate.admit(channel, logger: logger) {
            case .success(let taken): place = taken
            case .failure(let error): return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return channel.eventLoop.makeCompletedFuture {
            do {
                let pipeline = channel.pipeline.syncOperations
                let inputLimit = authentication.flatMap { authentication in
                    gate.map { HandshakeInputLimit(limit: authentication.handshakeInputLimit, gate: $0, logger: logger) }
                }
                if let inputLimit { try pipeline.addHandler(inputLimit) }
                // What the frame decoder holds past a handshake frame: nothing, or the switch to encryption is refused.
                let backlog = authentication?.crypto == nil ? nil : TransportFrameDecoder.Backlog()
                try pipeline.addHandler(ByteToMessageHandler(TransportFrameDecoder(
                    maxFrameSize: maxFrameSize, backlog: backlog, account: incompleteFrames?.account(for: channel))))
                try pipeline.addHandler(MessageToByteHandler(TransportFrameEncoder()))
                if let authentication, let gate, let place {
                    try pipeline.addHandler(ServerAuthenticationHandler(
                        authentication: authentication, logger: logger, gate: gate, place: place, inputLimit: inputLimit, backlog: backlog,
                        makeRpcHandler: { makeHandler($0) }))
                } else {
                    try pipeline.addHandler(makeHandler(nil))
                }
            } catch {
                place?.release()
                throw error
            }
        }
    }
}

extension HandshakeGate {
    /// A place for the handshake of `channel`, just accepted; a refusal is logged (rate-limited).
    func admit(_ channel: any Channel, logger: Logger) -> Result<Place, RpcError> {
        switch enter(peer: channel.remoteAddress) {
        case .success(let place):
            return .success(place)
        case .failure(let refusal):
            refused(peer: channel.remoteAddress, reason: refusal.reason, logger: logger, eventLoop: channel.eventLoop)
            return .failure(RpcError(.connectFailed, refusal.reason))
        }
    }
}
