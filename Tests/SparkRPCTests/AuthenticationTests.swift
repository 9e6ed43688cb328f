import NIOCore
import NIOPosix
import SparkModel
import SparkProtocol
@testable import SparkRPC
import SparkTransport
import Testing

/// Authenticated RPC environments on loopback: the same secret connects, anything else is refused
/// promptly and nothing is dispatched before the handshake.
@Suite struct AuthenticationTests {
    static func environment(secret: String?, handshakeTimeoutSeconds: Double = 30) async throws -> RpcEnv {
        try await RpcEnv.start(configuration: .init(
            bindHost: "127.0.0.1", port: 0, connectTimeout: .seconds(5),
            authentication: secret.map { RpcAuthentication(secret: $0, handshakeTimeoutSeconds: handshakeTimeoutSeconds) }))
    }

    static func verifier(of env: RpcEnv) -> RpcEndpointRef {
        RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: env.address, name: RpcDispatcher.verifierName))
    }

    @Test func theSameSecretConnectsAndOtherSecretsFailPromptly() async throws {
        // 64 characters, as `openssl rand -hex 32` gives: its password has a line break (Netty's base64).
        let secret = String(repeating: "0123456789abcdef", count: 4)
        let server = try await Self.environment(secret: secret)
        let client = try await Self.environment(secret: secret)
        let stranger = try await Self.environment(secret: secret + "x")
        let open = try await Self.environment(secret: nil)
        defer { Task { for env in [server, client, stranger, open] { await env.shutdown() } } }

        let reply = try await client.ask(.checkExistence(CheckExistence(name: "endpoint-verifier")), to: Self.verifier(of: server), timeout: .seconds(10))
        #expect(reply == .boolean(true))

        for (name, env) in [("another secret", stranger), ("no authentication", open)] {
            let started = ContinuousClock.now
            let error = await #expect(throws: RpcError.self, "\(name)") {
                _ = try await env.ask(.checkExistence(CheckExistence(name: "endpoint-verifier")), to: Self.verifier(of: server), timeout: .seconds(20))
            }
            #expect(ContinuousClock.now - started < .seconds(10), "\(name): \(String(describing: error))")
        }
        // An authenticating client against a server without authentication fails too, and says why.
        let refused = await #expect(throws: RpcError.self) { _ = try await client.connection(to: open.address) }
        #expect(refused?.message.contains("authentication failed") == true, "\(String(describing: refused))")
    }

    /// Raw bytes to `env`; whether the server closed the connection within 10 s.
    func closes(_ env: RpcEnv, after bytes: [UInt8]) async throws -> Bool {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: Int(env.address.port)).get()
        try? await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        let closed = channel.eventLoop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in closed.succeed(true) }
        channel.eventLoop.scheduleTask(in: .seconds(10)) { closed.succeed(false) }
        let result = try await closed.futureResult.get()
        try? await channel.close()
        return result
    }

    func frame(_ frame: TransportFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        TransportFrameEncoder.write(frame, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    @Test func unauthenticatedPeersAreClosedAndNothingIsDispatched() async throws {
        let server = try await Self.environment(secret: "0123456789abcdef", handshakeTimeoutSeconds: 1)
        defer { Task { await server.shutdown() } }
        server.register("Master", RecordingEndpoint())
        let message = RequestMessage(
            senderAddress: RpcAddress(host: "127.0.0.1", port: 9999), receiverAddress: nil, endpointName: "Master",
            content: ByteBuffer(bytes: [0xAC, 0xED, 0x00, 0x05, 0x74, 0x00, 0x01, 0x78])
        ).serialized()
        // A one-way message, an RPC that is not a SaslMessage, more than 64 KiB before authenticating,
        // a first token that is not empty, and silence past the handshake time.
        #expect(try await closes(server, after: frame(.oneWayMessage(body: message))))
        #expect(try await closes(server, after: frame(.rpcRequest(requestId: 1, body: message))))
        #expect(try await closes(server, after: Array(repeating: 0, count: 70_000)))
        let early = SaslMessage(appId: "sparkSaslUser", token: Array("username=\"x\"".utf8)).encoded()
        #expect(try await closes(server, after: frame(.rpcRequest(requestId: 2, body: early))))
        #expect(try await closes(server, after: []))
        // No connection was ever handed to the dispatcher, so nothing reached an endpoint.
        #expect(server.connections.isEmpty)
    }
}
