import JavaSerialization
import Logging
import NIOCore
import SparkModel
import SparkProtocol
import SparkTransport

/// The last inbound handler of every RPC channel: turns frames into endpoint calls and replies.
final class RpcConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = TransportFrame

    private let dispatcher: RpcDispatcher
    private let isOutbound: Bool
    private let dialledAddress: RpcAddress?
    private var connection: RpcConnection?
    private let onConnection: (@Sendable (RpcConnection) -> Void)?

    init(
        dispatcher: RpcDispatcher, isOutbound: Bool, dialledAddress: RpcAddress?,
        onConnection: (@Sendable (RpcConnection) -> Void)? = nil
    ) {
        self.dispatcher = dispatcher
        self.isOutbound = isOutbound
        self.dialledAddress = dialledAddress
        self.onConnection = onConnection
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard connection == nil else { return }
        let connection = RpcConnection(
            channel: context.channel, isOutbound: isOutbound, dialledAddress: dialledAddress, dispatcher: dispatcher)
        self.connection = connection
        dispatcher.opened(connection)
        onConnection?(connection)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let connection else { return }
        let frame = unwrapInboundIn(data)
        switch frame {
        case .rpcRequest(let requestId, let body):
            dispatcher.dispatch(body: body, requestId: requestId, on: connection)
        case .oneWayMessage(let body):
            dispatcher.dispatch(body: body, requestId: nil, on: connection)
        case .rpcResponse(let requestId, let body):
            guard let promise = connection.takePending(requestId) else {
                dispatcher.logger.debug("reply to an unknown request", metadata: ["rpc/peer": "\(connection)"])
                return
            }
            do {
                let message = try SparkMessageCodec.decode(stream: body, limits: dispatcher.configuration.readerLimits)
                if case .rpcFailure(let failure) = message {
                    promise.fail(RpcError(.remoteFailure, failure.description))
                } else {
                    promise.succeed(message)
                }
            } catch {
                promise.fail(error)
            }
        case .rpcFailure(let requestId, let error):
            connection.takePending(requestId)?.fail(RpcError(.remoteFailure, error))
        case .chunkFetchRequest, .chunkFetchSuccess, .chunkFetchFailure, .streamRequest, .streamResponse,
             .streamFailure, .uploadStream, .mergedBlockMetaRequest, .mergedBlockMetaSuccess:
            // Well-formed but not served by the standalone daemons: refuse and close.
            dispatcher.logger.warning(
                "refusing a frame this endpoint does not serve",
                metadata: ["rpc/frame": "\(frame.typeName)", "rpc/peer": "\(connection)"])
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        dispatcher.logger.warning(
            "closing connection after an error",
            metadata: ["rpc/peer": "\(connection.map { "\($0)" } ?? "?")", "rpc/error": "\(error)"])
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connection { dispatcher.closed(connection) }
        context.fireChannelInactive()
    }
}
