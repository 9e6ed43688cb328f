import Hummingbird
import NIOCore

/// A request to the master's web UI: Hummingbird's basic context and the peer's address, which
/// decides who may decommission workers (`spark.master.ui.decommission.allow.mode=LOCAL`).
public struct MasterRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
