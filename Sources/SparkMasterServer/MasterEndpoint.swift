import SparkModel
import SparkRPC

/// The `Master` RPC endpoint: hands every call and disconnect to the master's event loop, as
/// many calls at a time as its backlog allows.
final class MasterEndpoint: RpcEndpoint {
    enum Event: Sendable {
        case call(RpcCall)
        case disconnected([RpcAddress])
    }

    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation
    /// Calls queued for the master's loop; the loop reports each one it takes.
    let backlog: InboundBacklog

    init(backlog: InboundBacklog) {
        (events, sink) = AsyncStream.makeStream(of: Event.self)
        self.backlog = backlog
    }

    func receive(_ call: RpcCall) {
        backlog.added(call)
        sink.yield(.call(call))
    }

    func connectionClosed(addresses: [RpcAddress], connection: RpcConnection) { sink.yield(.disconnected(addresses)) }

    func finish() { sink.finish() }
}
