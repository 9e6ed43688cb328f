import JavaSerialization
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkProtocol

/// Routes inbound requests to endpoints and tracks connections by peer address.
final class RpcDispatcher: Sendable {
    let configuration: RpcEnv.Configuration
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var endpoints: [String: any RpcEndpoint] = [:]
        /// Live connections by the peer's listening address (announced or dialled).
        var byAddress: [RpcAddress: RpcConnection] = [:]
        var all: [ObjectIdentifier: RpcConnection] = [:]
        var shuttingDown = false
    }

    static let verifierName = "endpoint-verifier"

    init(configuration: RpcEnv.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
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

    func connection(to address: RpcAddress) -> RpcConnection? {
        state.withLockedValue { state in
            guard let connection = state.byAddress[address], connection.isActive else { return nil }
            return connection
        }
    }

    var connections: [RpcConnection] { state.withLockedValue { Array($0.all.values) } }

    func beginShutdown() { state.withLockedValue { $0.shuttingDown = true } }

    // MARK: - Connection lifecycle

    func opened(_ connection: RpcConnection) {
        let refuse = state.withLockedValue { state -> Bool in
            guard !state.shuttingDown else { return true }
            state.all[ObjectIdentifier(connection)] = connection
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
            connection: connection, requestId: requestId))
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
