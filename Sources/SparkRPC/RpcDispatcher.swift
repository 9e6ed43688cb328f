import JavaSerialization
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkProtocol
import SparkTransport

/// Routes inbound requests to endpoints and tracks connections by peer address.
final class RpcDispatcher: Sendable {
    let configuration: RpcEnv.Configuration
    let logger: Logger
    /// Accepted connections still authenticating (with `spark.authenticate`).
    let handshakes: HandshakeGate?
    /// Incomplete frames held over every connection of this environment.
    let frameBudget: IncompleteFrameBudget
    private let state = NIOLockedValueBox(State())

    private struct State {
        var endpoints: [String: any RpcEndpoint] = [:]
        /// Live connections by the peer's listening address (announced or dialled).
        var byAddress: [RpcAddress: RpcConnection] = [:]
        /// Listening addresses of endpoints whose references arrived on a connection other than
        /// their own (several endpoints behind one connection), and that connection.
        var learned: [RpcAddress: RpcConnection] = [:]
        var learnedBy: [ObjectIdentifier: Set<RpcAddress>] = [:]
        var all: [ObjectIdentifier: RpcConnection] = [:]
        var shuttingDown = false
        /// Backlogs that are full: while any is, no connection reads.
        var readPauses = 0
        /// When reading last stopped with a warning, and how often it stopped since.
        var lastPauseWarning: NIODeadline?
        var unloggedPauses = 0
    }

    /// At most one warning per minute about reading stopped; the stops between are counted in it.
    static let pauseWarningInterval = TimeAmount.minutes(1)

    static let verifierName = "endpoint-verifier"
    /// Learned routes kept per connection: a peer announcing ever more endpoints cannot grow the table without end.
    static let maxLearnedRoutesPerConnection = 16_384

    init(configuration: RpcEnv.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        frameBudget = IncompleteFrameBudget(
            limit: configuration.incompleteFrameLimit ?? IncompleteFrameBudget.limit(maxFrameSize: configuration.maxFrameSize), logger: logger)
        handshakes = configuration.authentication.map {
            HandshakeGate(limit: $0.pendingHandshakeLimit, limitPerHost: $0.pendingHandshakeLimitPerHost, window: $0.refusalWarningWindow)
        }
    }

    func register(_ name: String, _ endpoint: any RpcEndpoint) {
        state.withLockedValue { $0.endpoints[name] = endpoint }
    }

    func unregister(_ name: String) {
        state.withLockedValue { _ = $0.endpoints.removeValue(forKey: name) }
    }

    func endpoint(_ name: String) -> (any RpcEndpoint)? {
        state.withLockedValue { $0.endpoints[name] }
    }

    /// The live connection for `address`: the peer's own (announced or dialled), else the one a
    /// reference to an endpoint at that address arrived on.
    func connection(to address: RpcAddress) -> RpcConnection? {
        state.withLockedValue { state in
            if let connection = state.byAddress[address], connection.isActive { return connection }
            if let connection = state.learned[address], connection.isActive { return connection }
            return nil
        }
    }

    /// How many addresses are reached over a connection that is not their own.
    var learnedRouteCount: Int { state.withLockedValue { $0.learned.count } }

    /// Spark binds a deserialized endpoint reference to the connection it came on: messages to
    /// it go back that way. Learned for references whose address is not the connection's own.
    private func learnRoutes(of message: SparkMessage, on connection: RpcConnection) {
        guard let address = message.senderEndpointRef?.rpcAddress, address != connection.announcedAddress else { return }
        state.withLockedValue { state in
            let key = ObjectIdentifier(connection)
            guard state.all[key] != nil, state.learned[address] !== connection,
                  state.learnedBy[key, default: []].count < Self.maxLearnedRoutesPerConnection else { return }
            if let previous = state.learned[address] { state.learnedBy[ObjectIdentifier(previous)]?.remove(address) }
            state.learned[address] = connection
            state.learnedBy[key, default: []].insert(address)
        }
    }

    var connections: [RpcConnection] { state.withLockedValue { Array($0.all.values) } }

    func beginShutdown() { state.withLockedValue { $0.shuttingDown = true } }

    // MARK: - Connection lifecycle

    func opened(_ connection: RpcConnection) {
        let refuse = state.withLockedValue { state -> Bool in
            guard !state.shuttingDown else { return true }
            state.all[ObjectIdentifier(connection)] = connection
            if state.readPauses > 0 { Self.setReading(false, connection.channel) }
            if connection.isOutbound, let address = connection.announcedAddress {
                state.byAddress[address] = connection
            }
            return false
        }
        if refuse { connection.close() }
    }

    func closed(_ connection: RpcConnection) {
        guard connection.markClosed() else { return }
        let endpoints = state.withLockedValue { state -> [any RpcEndpoint] in
            state.all.removeValue(forKey: ObjectIdentifier(connection))
            if let address = connection.announcedAddress, state.byAddress[address] === connection {
                state.byAddress.removeValue(forKey: address)
            }
            for address in state.learnedBy.removeValue(forKey: ObjectIdentifier(connection)) ?? [] {
                if state.learned[address] === connection { state.learned.removeValue(forKey: address) }
            }
            return Array(state.endpoints.values)
        }
        var addresses: [RpcAddress] = []
        if let socket = connection.remoteAddress { addresses.append(socket) }
        if let announced = connection.announcedAddress, !addresses.contains(announced) { addresses.append(announced) }
        logger.debug("connection closed", metadata: ["rpc/peer": "\(connection)"])
        for endpoint in endpoints {
            endpoint.connectionClosed(addresses: addresses, connection: connection)
        }
    }

    // MARK: - Reading

    /// A backlog filled: stop reading from every connection. Returns the warning to log (at most
    /// one a minute), for the caller to log once it holds no lock.
    func pauseReading() -> String? {
        state.withLockedValue { state -> String? in
            state.readPauses += 1
            guard state.readPauses == 1 else { return nil }
            for connection in state.all.values { Self.setReading(false, connection.channel) }
            let now = NIODeadline.now()
            if let last = state.lastPauseWarning, now - last < Self.pauseWarningInterval {
                state.unloggedPauses += 1
                return nil
            }
            let since = state.unloggedPauses == 0 ? "" : " (and \(state.unloggedPauses) times since the last such line)"
            state.lastPauseWarning = now
            state.unloggedPauses = 0
            return "Calls arrive faster than they are handled: reading from all \(state.all.count) connections stops until the queue drains\(since)"
        }
    }

    /// A backlog drained: read again once none is full.
    func resumeReading() {
        state.withLockedValue { state in
            state.readPauses -= 1
            guard state.readPauses == 0 else { return }
            for connection in state.all.values { Self.setReading(true, connection.channel) }
        }
    }

    /// Queued on the channel's loop, never run in place: called under the state's lock, and
    /// reading again may deliver a call at once. Tasks queued from one thread run in order, and
    /// the lock orders the threads.
    private static func setReading(_ on: Bool, _ channel: any Channel) {
        channel.eventLoop.execute {
            channel.setOption(.autoRead, value: on).whenFailure { _ in }
        }
    }

    // MARK: - Requests

    /// Handles the body of an `RpcRequest` (with `requestId`) or a `OneWayMessage`.
    func dispatch(body: ByteBuffer, requestId: Int64?, on connection: RpcConnection) {
        let envelope: RequestMessage
        let message: SparkMessage
        do {
            envelope = try RequestMessage.parse(body)
            if let sender = envelope.senderAddress, connection.announce(sender) {
                state.withLockedValue { state in
                    if state.byAddress[sender]?.isActive != true { state.byAddress[sender] = connection }
                }
            }
            let value = try decodeContent(envelope.content, on: connection)
            message = try SparkMessageCodec.decode(value)
            learnRoutes(of: message, on: connection)
        } catch {
            // A well-framed request we cannot read: answer an ask like the JVM does, then close.
            logger.warning("refusing an unreadable request", metadata: ["rpc/peer": "\(connection)", "rpc/error": "\(error)"])
            if let requestId { connection.replyFailure(requestId: requestId, error: "\(error)") }
            connection.channel.close(promise: nil)
            return
        }
        let sender = envelope.senderAddress ?? connection.remoteAddress ?? RpcAddress(host: "unknown", port: 0)
        if envelope.endpointName == Self.verifierName {
            guard case .checkExistence(let check) = message else {
                if let requestId { connection.replyFailure(requestId: requestId, error: "endpoint-verifier cannot handle \(message.name)") }
                return
            }
            if let requestId {
                let exists = check.name == Self.verifierName || endpoint(check.name) != nil
                connection.reply(requestId: requestId, with: .boolean(exists))
            }
            return
        }
        guard let endpoint = endpoint(envelope.endpointName) else {
            let address = RpcEndpointAddress(rpcAddress: configuration.advertisedAddress, name: envelope.endpointName)
            logger.warning("message for an unknown endpoint", metadata: [
                "rpc/endpoint": "\(envelope.endpointName)", "rpc/message": "\(message.name)",
            ])
            if let requestId {
                connection.replyFailure(
                    requestId: requestId,
                    error: "org.apache.spark.rpc.RpcEndpointNotFoundException: Cannot find endpoint: \(address)")
            }
            return
        }
        endpoint.receive(RpcCall(
            message: message, endpointName: envelope.endpointName, senderAddress: sender,
            connection: connection, requestId: requestId, frameBytes: body.readableBytes))
    }

    private func decodeContent(_ content: ByteBuffer, on connection: RpcConnection) throws -> JavaValue {
        let value = try JavaStreamReader.readSingleObject(from: content, limits: configuration.readerLimits)
        if connection.peerVersion == nil, case .object(let object) = value,
           let version = SparkVersion.identify(className: object.className, serialVersionUID: object.descriptor.serialVersionUID) {
            connection.learnVersion(version)
        }
        return value
    }
}
