import SparkModel
import SparkRPC

/// The `Master` RPC endpoint: hands every call and disconnect to the master's event loop.
final class MasterEndpoint: RpcEndpoint {
    enum Event: Sendable {
        case call(RpcCall)
        case disconnected([RpcAddress])
    }

    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation

    init() {
        (events, sink) = AsyncStream.makeStream(of: Event.self)
    }

    func receive(_ call: RpcCall) { sink.yield(.call(call)) }

    func connectionClosed(addresses: [RpcAddress], connection: RpcConnection) { sink.yield(.disconnected(addresses)) }

    func finish() { sink.finish() }
}
