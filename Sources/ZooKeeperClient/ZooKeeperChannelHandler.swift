import NIOCore
import ZooKeeper

/// Feeds one connection's frames and end to the client core.
final class ZooKeeperChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ZooKeeperConnectionID
    private let core: ZooKeeperClientCore
    private var failure: String?

    init(connection: ZooKeeperConnectionID, core: ZooKeeperClientCore) {
        self.connection = connection
        self.core = core
    }

    func channelActive(context: ChannelHandlerContext) {
        core.channelActive(connection, channel: context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.handle(.received(unwrapInboundIn(data), connection))
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.handle(.closed(connection, reason: failure ?? "the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Undecodable bytes or a socket error: this connection is done.
        if failure == nil { failure = "\(error)" }
        context.close(promise: nil)
    }
}
