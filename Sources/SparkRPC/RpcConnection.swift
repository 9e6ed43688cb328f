import JavaSerialization
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkProtocol
import SparkTransport

/// One TCP connection to a peer, whichever side opened it. After it is open it is symmetric:
/// either side sends requests over it and replies travel back the way requests came.
public final class RpcConnection: Sendable, CustomStringConvertible {
    public let channel: any Channel
    /// The peer's socket address.
    public let remoteAddress: RpcAddress?
    /// Whether this side dialled.
    public let isOutbound: Bool
    let dispatcher: RpcDispatcher
    private let state = NIOLockedValueBox(State())

    private struct State {
        var announcedAddress: RpcAddress?
        var peerVersion: SparkVersion?
        var pending: [Int64: EventLoopPromise<SparkMessage>] = [:]
        var closed = false
    }

    init(channel: any Channel, isOutbound: Bool, dialledAddress: RpcAddress?, dispatcher: RpcDispatcher) {
        self.channel = channel
        self.isOutbound = isOutbound
        self.dispatcher = dispatcher
        if let socket = channel.remoteAddress, let host = socket.ipAddress, let port = socket.port {
            self.remoteAddress = RpcAddress(host: host, port: Int32(port))
        } else {
            self.remoteAddress = nil
        }
        if let dialledAddress { state.withLockedValue { $0.announcedAddress = dialledAddress } }
    }

    /// The peer's listening address: announced in its requests, or the one we dialled.
    public var announcedAddress: RpcAddress? { state.withLockedValue { $0.announcedAddress } }

    /// The peer's Spark build, learnt from the serialVersionUIDs it sent.
    public var peerVersion: SparkVersion? { state.withLockedValue { $0.peerVersion } }

    /// The version used to encode messages to this peer.
    public var encodingVersion: SparkVersion { peerVersion ?? dispatcher.configuration.version }

    public var isActive: Bool { !state.withLockedValue { $0.closed } && channel.isActive }

    /// Where the peer is, for logs and `onDisconnected`: announced address, else socket address.
    public var peerAddress: RpcAddress? { announcedAddress ?? remoteAddress }

    public var description: String {
        "connection(\(isOutbound ? "to" : "from") \(peerAddress.map(\.hostPort) ?? "?"))"
    }

    // MARK: - Sending

    /// Sends a one-way message to `ref` over this connection.
    public func send(_ message: SparkMessage, to ref: RpcEndpointRef) throws(RpcError) {
        let body = try envelope(message, to: ref)
        channel.writeAndFlush(TransportFrame.oneWayMessage(body: body), promise: nil)
    }

    /// Asks `ref` over this connection and waits for its reply.
    public func ask(_ message: SparkMessage, to ref: RpcEndpointRef, timeout: TimeAmount) async throws -> SparkMessage {
        try await askFuture(message, to: ref, timeout: timeout).get()
    }

    /// Asks `ref` over this connection: the request is written before this returns, so it keeps
    /// its order with later `send`s; the future completes with the reply (or a timeout/close failure).
    public func askFuture(_ message: SparkMessage, to ref: RpcEndpointRef, timeout: TimeAmount) -> EventLoopFuture<SparkMessage> {
        let body: ByteBuffer
        do {
            body = try envelope(message, to: ref)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let promise = channel.eventLoop.makePromise(of: SparkMessage.self)
        var requestId: Int64 = 0
        let registered = state.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            repeat {
                requestId = Int64.random(in: 1...Int64.max)
            } while state.pending[requestId] != nil
            state.pending[requestId] = promise
            return true
        }
        guard registered else {
            promise.fail(RpcError(.connectionClosed, "\(self) is closed"))
            return promise.futureResult
        }
        let id = requestId
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [weak self] in
            guard let self, let pending = self.takePending(id) else { return }
            pending.fail(RpcError(.timeout, "no reply to \(message.name) from \(ref) within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush(TransportFrame.rpcRequest(requestId: id, body: body)).whenFailure { [weak self] error in
            self?.takePending(id)?.fail(RpcError(.connectionClosed, "write to \(ref) failed: \(error)"))
        }
        return promise.futureResult
    }

    func reply(requestId: Int64, with message: SparkMessage) {
        var content = ByteBuffer()
        do {
            try SparkMessageCodec.encode(message, version: encodingVersion, into: &content)
        } catch {
            dispatcher.logger.error("cannot encode reply", metadata: ["rpc/message": "\(message.name)", "rpc/error": "\(error)"])
            channel.writeAndFlush(TransportFrame.rpcFailure(requestId: requestId, error: "\(error)"), promise: nil)
            return
        }
        channel.writeAndFlush(TransportFrame.rpcResponse(requestId: requestId, body: content), promise: nil)
    }

    func replyFailure(requestId: Int64, error: String) {
        channel.writeAndFlush(TransportFrame.rpcFailure(requestId: requestId, error: error), promise: nil)
    }

    private func envelope(_ message: SparkMessage, to ref: RpcEndpointRef) throws(RpcError) -> ByteBuffer {
        var body = ByteBuffer()
        do {
            // The envelope header, then the Java stream, in one buffer.
            let header = RequestMessage(
                senderAddress: dispatcher.configuration.advertisedAddress, receiverAddress: ref.rpcAddress,
                endpointName: ref.name, content: ByteBuffer())
            header.write(into: &body)
            try SparkMessageCodec.encode(message, version: encodingVersion, into: &body)
        } catch {
            throw RpcError(.encoding, "\(message.name) for \(ref): \(error)")
        }
        return body
    }

    // MARK: - Inbound bookkeeping

    @discardableResult
    func takePending(_ requestId: Int64) -> EventLoopPromise<SparkMessage>? {
        state.withLockedValue { $0.pending.removeValue(forKey: requestId) }
    }

    /// Records the peer's announced address; returns true the first time.
    func announce(_ address: RpcAddress) -> Bool {
        state.withLockedValue { state in
            guard state.announcedAddress == nil else { return false }
            state.announcedAddress = address
            return true
        }
    }

    func learnVersion(_ version: SparkVersion) {
        state.withLockedValue { state in
            if state.peerVersion == nil { state.peerVersion = version }
        }
    }

    /// Marks the connection closed and fails every outstanding ask; returns false if it already was.
    func markClosed() -> Bool {
        let pending = state.withLockedValue { state -> [EventLoopPromise<SparkMessage>]? in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        guard let pending else { return false }
        for promise in pending {
            promise.fail(RpcError(.connectionClosed, "\(self) closed with the request outstanding"))
        }
        return true
    }

    public func close() {
        channel.close(promise: nil)
    }
}
