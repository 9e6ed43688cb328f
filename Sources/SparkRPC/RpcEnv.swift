import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SparkModel
import SparkProtocol
import SparkTransport
import JavaSerialization

/// A Spark RPC environment over SwiftNIO (Spark: `NettyRpcEnv`): one listening port, named
/// endpoints, `send`/`ask` to `spark://Name@host:port`, and sticky two-way connections.
public final class RpcEnv: Sendable {
    public struct Configuration: Sendable {
        /// Address to bind.
        public var bindHost: String
        /// Port to bind; 0 picks a free one.
        public var port: Int
        /// Host announced to peers (defaults to `bindHost`).
        public var advertisedHost: String?
        /// Spark line spoken to peers whose version is not known yet.
        public var version: SparkVersion
        public var maxFrameSize: Int
        public var readerLimits: JavaReaderLimits
        public var connectTimeout: TimeAmount
        public var defaultAskTimeout: TimeAmount
        /// Set: every connection, accepted or dialled, proves the shared secret first.
        public var authentication: RpcAuthentication?
        /// The most all connections together may hold in frames still arriving
        /// (`IncompleteFrameBudget`); nil: one largest frame and some room besides.
        public var incompleteFrameLimit: Int?

        public init(
            bindHost: String, port: Int, advertisedHost: String? = nil, version: SparkVersion = .spark4_3,
            maxFrameSize: Int = TransportFrameDecoder.defaultMaxFrameSize, readerLimits: JavaReaderLimits = .default,
            connectTimeout: TimeAmount = .seconds(10), defaultAskTimeout: TimeAmount = .seconds(120),
            authentication: RpcAuthentication? = nil, incompleteFrameLimit: Int? = nil
        ) {
            self.bindHost = bindHost
            self.port = port
            self.advertisedHost = advertisedHost
            self.version = version
            self.maxFrameSize = maxFrameSize
            self.readerLimits = readerLimits
            self.connectTimeout = connectTimeout
            self.defaultAskTimeout = defaultAskTimeout
            self.authentication = authentication
            self.incompleteFrameLimit = incompleteFrameLimit
        }

        /// Filled in once the port is bound.
        var advertisedAddress: RpcAddress?
    }

    let dispatcher: RpcDispatcher
    private let group: any EventLoopGroup
    private let serverChannel: any Channel
    private let dialing = NIOLockedValueBox<[RpcAddress: EventLoopFuture<RpcConnection>]>([:])
    private let outboxes = NIOLockedValueBox<[RpcAddress: [(SparkMessage, RpcEndpointRef)]]>([:])
    /// The address peers reach this environment at.
    public let address: RpcAddress
    public let logger: Logger

    private init(dispatcher: RpcDispatcher, group: any EventLoopGroup, serverChannel: any Channel, address: RpcAddress, logger: Logger) {
        self.dispatcher = dispatcher
        self.group = group
        self.serverChannel = serverChannel
        self.address = address
        self.logger = logger
    }

    /// Binds the listening port and starts accepting connections.
    public static func start(
        configuration: Configuration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "spark.rpc")
    ) async throws -> RpcEnv {
        // The dispatcher needs the bound address before the first connection is accepted.
        let box = NIOLockedValueBox<RpcDispatcher?>(nil)
        let maxFrameSize = configuration.maxFrameSize
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                guard let dispatcher = box.withLockedValue({ $0 }) else {
                    return channel.eventLoop.makeFailedFuture(RpcError(.shutdown, "not started"))
                }
                var place: HandshakeGate.Place?
                if let gate = dispatcher.handshakes {
                    switch gate.admit(channel, logger: dispatcher.logger) {
                    case .success(let taken): place = taken
                    case .failure(let error): return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    do {
                        try Self.configure(channel, dispatcher: dispatcher, maxFrameSize: maxFrameSize,
                                           isOutbound: false, dialledAddress: nil, handshakePlace: place, onConnection: nil, onFailure: nil)
                    } catch {
                        place?.release()
                        throw error
                    }
                }
            }
            .bind(host: configuration.bindHost, port: configuration.port)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw RpcError(.connectFailed, "bound socket has no port")
        }
        var configuration = configuration
        let address = RpcAddress(host: configuration.advertisedHost ?? configuration.bindHost, port: Int32(port))
        configuration.advertisedAddress = address
        let dispatcher = RpcDispatcher(configuration: configuration, logger: logger)
        box.withLockedValue { $0 = dispatcher }
        logger.info("rpc environment listening", metadata: ["rpc/address": "\(address)"])
        return RpcEnv(dispatcher: dispatcher, group: group, serverChannel: channel, address: address, logger: logger)
    }

    /// `handshakePlace`: an accepted connection's place in the handshake gate (with authentication).
    /// `onFailure`: a dialled connection that could not authenticate.
    static func configure(
        _ channel: any Channel, dispatcher: RpcDispatcher, maxFrameSize: Int,
        isOutbound: Bool, dialledAddress: RpcAddress?, handshakePlace: HandshakeGate.Place? = nil,
        onConnection: (@Sendable (RpcConnection) -> Void)?, onFailure: (@Sendable (String) -> Void)?
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        let authentication = dispatcher.configuration.authentication
        let gate = isOutbound ? nil : dispatcher.handshakes
        let inputLimit = authentication.flatMap { authentication in
            gate.map { HandshakeInputLimit(limit: authentication.handshakeInputLimit, gate: $0, logger: dispatcher.logger) }
        }
        if let inputLimit { try pipeline.addHandler(inputLimit) }
        // What the frame decoder holds past a handshake frame: nothing, or the switch to encryption is refused.
        let backlog = authentication?.crypto == nil ? nil : TransportFrameDecoder.Backlog()
        try pipeline.addHandler(ByteToMessageHandler(TransportFrameDecoder(
            maxFrameSize: maxFrameSize, backlog: backlog, account: dispatcher.frameBudget.account(for: channel))))
        try pipeline.addHandler(MessageToByteHandler(TransportFrameEncoder()))
        let makeRpcHandler = {
            RpcConnectionHandler(dispatcher: dispatcher, isOutbound: isOutbound, dialledAddress: dialledAddress, onConnection: onConnection)
        }
        guard let authentication else {
            try pipeline.addHandler(makeRpcHandler())
            return
        }
        if isOutbound {
            try pipeline.addHandler(ClientAuthenticationHandler(
                authentication: authentication, backlog: backlog, logger: dispatcher.logger, makeRpcHandler: makeRpcHandler
            ) { error in
                onFailure?(error)
            })
        } else if let gate, let handshakePlace {
            try pipeline.addHandler(ServerAuthenticationHandler(
                authentication: authentication, logger: dispatcher.logger, gate: gate, place: handshakePlace, inputLimit: inputLimit, backlog: backlog,
                makeRpcHandler: { _ in makeRpcHandler() }))
        } else {
            throw RpcError(.connectFailed, "an accepted connection without a place in the handshake gate")
        }
    }

    public var version: SparkVersion { dispatcher.configuration.version }

    /// Registers an endpoint under `name` (e.g. `Master`).
    public func register(_ name: String, _ endpoint: any RpcEndpoint) {
        dispatcher.register(name, endpoint)
    }

    public func unregister(_ name: String) { dispatcher.unregister(name) }

    /// A reference to an endpoint of this environment, as sent to peers.
    public func ref(_ name: String, askTimeout: RpcTimeout = .default) -> RpcEndpointRef {
        RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: address, name: name), askTimeout: askTimeout)
    }

    /// Live connections.
    public var connections: [RpcConnection] { dispatcher.connections }

    /// A bound on calls an endpoint queues for its own loop: past `maxCalls` or `maxBytes` of
    /// frames, no connection of this environment reads until the loop has caught up.
    public func backlog(maxCalls: Int, maxBytes: Int) -> InboundBacklog {
        InboundBacklog(maxCalls: maxCalls, maxBytes: maxBytes, dispatcher: dispatcher)
    }

    /// What every connection, accepted or dialled, holds in frames still arriving.
    public var incompleteFrames: IncompleteFrameBudget { dispatcher.frameBudget }

    /// The live connection to `address` (inbound with that announced address, or outbound), or a new one.
    public func connection(to address: RpcAddress) async throws -> RpcConnection {
        if let existing = dispatcher.connection(to: address) { return existing }
        let future: EventLoopFuture<RpcConnection> = dialing.withLockedValue { dialing in
            if let pending = dialing[address] { return pending }
            let future = dial(address)
            dialing[address] = future
            return future
        }
        defer { _ = dialing.withLockedValue { $0.removeValue(forKey: address) } }
        return try await future.get()
    }

    private func dial(_ address: RpcAddress) -> EventLoopFuture<RpcConnection> {
        let dispatcher = self.dispatcher
        let maxFrameSize = dispatcher.configuration.maxFrameSize
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: RpcConnection.self)
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connectTimeout(dispatcher.configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(
                        channel, dispatcher: dispatcher, maxFrameSize: maxFrameSize, isOutbound: true,
                        dialledAddress: address, onConnection: { promise.succeed($0) },
                        onFailure: { promise.fail(RpcError(.connectFailed, "cannot connect to \(address): \($0)")) })
                }
            }
            .connect(host: address.host, port: Int(address.port))
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    // Closed before the connection was ready (a failed handshake): the dial fails, never hangs.
                    channel.closeFuture.whenComplete { _ in
                        promise.fail(RpcError(.connectFailed, "cannot connect to \(address): the connection closed before it was ready"))
                    }
                case .failure(let error):
                    promise.fail(RpcError(.connectFailed, "cannot connect to \(address): \(error)"))
                }
            }
        return promise.futureResult
    }

    /// The connection a message to `ref` travels on: `via` if open, else the peer's live
    /// connection, else a new one; client-mode refs need `via`.
    public func route(to ref: RpcEndpointRef, via connection: RpcConnection? = nil) async throws -> RpcConnection {
        if let connection, connection.isActive { return connection }
        guard let address = ref.rpcAddress else {
            throw RpcError(.noAddress, "cannot send to client endpoint \(ref) with no listen address")
        }
        return try await self.connection(to: address)
    }

    /// Sends a one-way message (Spark: `ref.send`).
    public func send(_ message: SparkMessage, to ref: RpcEndpointRef, via connection: RpcConnection? = nil) async throws {
        let route = try await route(to: ref, via: connection)
        try route.send(message, to: ref)
    }

    /// Sends without waiting, in order per destination, like Spark's outboxes: over `via` or the
    /// live connection to the ref's address when there is one, else after dialling it. Messages
    /// that cannot be delivered are logged and dropped.
    public func post(_ message: SparkMessage, to ref: RpcEndpointRef, via connection: RpcConnection? = nil) {
        if let connection, connection.isActive {
            deliver(message, to: ref, over: connection)
            return
        }
        guard let address = ref.rpcAddress else {
            logger.warning("dropping a message to a client endpoint without a connection", metadata: [
                "rpc/message": "\(message.name)", "rpc/endpoint": "\(ref)",
            ])
            return
        }
        if let live = dispatcher.connection(to: address) {
            deliver(message, to: ref, over: live)
            return
        }
        // Queue behind a dial in progress, or start one.
        let startDial = outboxes.withLockedValue { outboxes -> Bool in
            if outboxes[address] != nil {
                outboxes[address]!.append((message, ref))
                return false
            }
            outboxes[address] = [(message, ref)]
            return true
        }
        guard startDial else { return }
        let future = dialing.withLockedValue { dialing in
            if let pending = dialing[address] { return pending }
            let future = dial(address)
            dialing[address] = future
            return future
        }
        future.whenComplete { [self] result in
            _ = dialing.withLockedValue { $0.removeValue(forKey: address) }
            let queued = outboxes.withLockedValue { $0.removeValue(forKey: address) } ?? []
            switch result {
            case .success(let connection):
                for (message, ref) in queued { deliver(message, to: ref, over: connection) }
            case .failure(let error):
                logger.warning("dropping messages to an unreachable peer", metadata: [
                    "rpc/address": "\(address)", "rpc/count": "\(queued.count)", "rpc/error": "\(error)",
                ])
            }
        }
    }

    private func deliver(_ message: SparkMessage, to ref: RpcEndpointRef, over connection: RpcConnection) {
        do {
            try connection.send(message, to: ref)
        } catch {
            logger.error("cannot send", metadata: ["rpc/message": "\(message.name)", "rpc/endpoint": "\(ref)", "rpc/error": "\(error)"])
        }
    }

    /// Asks and waits for the reply (Spark: `ref.ask`).
    public func ask(
        _ message: SparkMessage, to ref: RpcEndpointRef, via connection: RpcConnection? = nil, timeout: TimeAmount? = nil
    ) async throws -> SparkMessage {
        let route = try await route(to: ref, via: connection)
        return try await route.ask(message, to: ref, timeout: timeout ?? dispatcher.configuration.defaultAskTimeout)
    }

    /// Checks that `ref` exists at its address (Spark: `setupEndpointRef` through `endpoint-verifier`).
    public func verify(_ ref: RpcEndpointRef, timeout: TimeAmount? = nil) async throws -> Bool {
        guard let address = ref.rpcAddress else { return false }
        let verifier = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: address, name: RpcDispatcher.verifierName))
        let reply = try await ask(.checkExistence(CheckExistence(name: ref.name)), to: verifier, timeout: timeout)
        guard case .boolean(let exists) = reply else {
            throw RpcError(.remoteFailure, "endpoint-verifier answered \(reply.name)")
        }
        return exists
    }

    /// Stops accepting, closes every connection (endpoints see the disconnects).
    public func shutdown() async {
        dispatcher.beginShutdown()
        try? await serverChannel.close()
        for connection in dispatcher.connections {
            try? await connection.channel.close()
        }
    }
}
