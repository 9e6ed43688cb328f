import SparkModel

/// A named endpoint in an `RpcEnv` (Spark: `RpcEndpoint`).
///
/// `receive` is called on the connection's event loop in arrival order and must not block: an
/// endpoint hands the call to its own actor or state machine.
public protocol RpcEndpoint: Sendable {
    /// A message sent (`send`) or asked (`ask`, then `call.isAsk` and exactly one reply is due).
    func receive(_ call: RpcCall)
    /// A connection closed. `addresses` holds its socket address and, if the peer announced one,
    /// its listening address (Spark raises `onDisconnected` for both).
    func connectionClosed(addresses: [RpcAddress], connection: RpcConnection)
}

extension RpcEndpoint {
    public func connectionClosed(addresses: [RpcAddress], connection: RpcConnection) {}
}

/// One inbound message and the means to answer it.
public struct RpcCall: Sendable {
    public let message: SparkMessage
    /// The endpoint name it was addressed to.
    public let endpointName: String
    /// The peer's announced listening address, or the socket address for client-mode peers.
    public let senderAddress: RpcAddress
    /// The connection it arrived on: replies and messages to refs it carried go back this way.
    public let connection: RpcConnection
    let requestId: Int64?
    /// The size of the frame body it came in.
    public let frameBytes: Int

    /// Whether the sender waits for a reply.
    public var isAsk: Bool { requestId != nil }

    /// Answers an ask. Calls for a `send` are ignored.
    public func reply(_ message: SparkMessage) {
        guard let requestId else { return }
        connection.reply(requestId: requestId, with: message)
    }

    /// Fails an ask the way a throwing Spark endpoint does: an `RpcFailure` reply object.
    public func fail(_ error: JavaExceptionInfo) {
        reply(.rpcFailure(error))
    }
}
