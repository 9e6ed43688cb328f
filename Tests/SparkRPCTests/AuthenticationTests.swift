import NIOCore
import NIOPosix
import SparkModel
import SparkProtocol
@testable import SparkRPC
import SparkTestKit
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

    /// Raw bytes to `env` from `source`; whether the server closed the connection within `wait`.
    func closes(_ env: RpcEnv, after bytes: [UInt8], from source: String = "127.0.0.1", within wait: TimeAmount = .seconds(10)) async throws -> Bool {
        let channel = try await idleConnections(to: env, count: 1, from: source)[0]
        if !bytes.isEmpty { try? await channel.writeAndFlush(ByteBuffer(bytes: bytes)) }
        let closed = channel.eventLoop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in closed.succeed(true) }
        channel.eventLoop.scheduleTask(in: wait) { closed.succeed(false) }
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
        #expect(try await closes(server, after: frame(.rpcRequest(requestId: 1, body: message)), within: .seconds(1)))
        #expect(try await closes(server, after: Array(repeating: 0, count: 70_000)))
        let early = SaslMessage(appId: "sparkSaslUser", token: Array("username=\"x\"".utf8)).encoded()
        #expect(try await closes(server, after: frame(.rpcRequest(requestId: 2, body: early))))
        #expect(try await closes(server, after: []))
        // No connection was ever handed to the dispatcher, so nothing reached an endpoint.
        #expect(server.connections.isEmpty)
    }

    /// A client with `spark.network.crypto.enabled` opens with Spark's AES-based protocol. Its first
    /// request is answered with a failure and the connection stays open for SASL, which then goes on
    /// as from the start (Spark's `saslFallback`); a second request of that kind is refused.
    @Test func aFirstRequestOfAnotherProtocolIsAnsweredSoTheClientCanFallBack() async throws {
        let server = try await Self.environment(secret: "0123456789abcdef", handshakeTimeoutSeconds: 20)
        defer { Task { await server.shutdown() } }
        let other = ByteBuffer(bytes: [0xFB, 0, 0, 0, 5] + Array("app-1".utf8))  // not SaslMessage's tag
        let firstToken = SaslMessage(appId: "sparkSaslUser", token: []).encoded()

        func exchange(_ frames: [TransportFrame]) async throws -> [TransportFrame] {
            try await exchangeFrames(with: server, frames)
        }

        // Declined, then SASL on the same connection: the server's DIGEST-MD5 challenge.
        let fallback = try await exchange([.rpcRequest(requestId: 7, body: other), .rpcRequest(requestId: 8, body: firstToken)])
        #expect(fallback.count == 2, "\(fallback)")
        guard case .rpcFailure(7, let error) = fallback.first else {
            Issue.record("expected an RpcFailure for request 7, got \(fallback)")
            return
        }
        #expect(error.hasPrefix("Expected SaslMessage, received something else"))
        guard case .rpcResponse(8, let challenge) = fallback.last else {
            Issue.record("expected the SASL challenge for request 8, got \(fallback)")
            return
        }
        #expect(String(decoding: challenge.readableBytesView, as: UTF8.self).contains("realm=\"default\""))

        // Twice: the second request ends the connection.
        let twice = try await exchange([.rpcRequest(requestId: 7, body: other), .rpcRequest(requestId: 9, body: other), .rpcRequest(requestId: 10, body: firstToken)])
        #expect(twice.count == 2, "\(twice)")  // no challenge for request 10
        if case .rpcFailure(9, _) = twice.last {} else { Issue.record("expected an RpcFailure for request 9, got \(twice)") }
        #expect(server.connections.isEmpty)
    }

    /// Raw connections from `source` that stay open until closed (they send nothing).
    func idleConnections(to env: RpcEnv, count: Int, from source: String = "127.0.0.1") async throws -> [any Channel] {
        var channels: [any Channel] = []
        for _ in 0..<count {
            channels.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(to: try SocketAddress(ipAddress: source, port: 0))
                .connect(host: "127.0.0.1", port: Int(env.address.port)).get())
        }
        return channels
    }

    /// Whether the server closes a connection from `source` that sends nothing, within 5 s.
    func closesAtOnce(_ env: RpcEnv, from source: String) async throws -> Bool {
        try await closes(env, after: [], from: source, within: .seconds(5))
    }

    @Test func oneAddressCannotTakeEveryHandshakePlace() async throws {
        var authentication = RpcAuthentication(secret: "0123456789abcdef", handshakeTimeoutSeconds: 60)
        authentication.pendingHandshakeLimit = 4
        authentication.pendingHandshakeLimitPerHost = 2
        let server = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0, authentication: authentication))
        defer { Task { await server.shutdown() } }
        let gate = try #require(server.dispatcher.handshakes)

        var idle = try await idleConnections(to: server, count: 2, from: "127.0.0.2")
        try await eventually("two handshakes pending") { gate.pending == 2 }
        #expect(try await closesAtOnce(server, from: "127.0.0.2"), "a third from the same address")
        idle += try await idleConnections(to: server, count: 2, from: "127.0.0.3")
        try await eventually("four handshakes pending") { gate.pending == 4 }
        #expect(try await closesAtOnce(server, from: "127.0.0.4"), "a fifth from anywhere")
        try await idle[0].close()
        try await eventually("a place is free") { gate.pending == 3 }
        #expect(try await !closesAtOnce(server, from: "127.0.0.2"), "the first address may use its place again")
        for channel in idle { try? await channel.close() }
        try await eventually("every place is free") { gate.pending == 0 }
    }

    @Test func handshakesInProgressAreCapped() async throws {
        let secret = "0123456789abcdef"
        var authentication = RpcAuthentication(secret: secret, handshakeTimeoutSeconds: 60)
        authentication.pendingHandshakeLimit = 3
        let server = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0, authentication: authentication))
        let client = try await Self.environment(secret: secret)
        defer { Task { for env in [server, client] { await env.shutdown() } } }
        let gate = try #require(server.dispatcher.handshakes)

        let idle = try await idleConnections(to: server, count: 3)
        try await eventually("three handshakes pending") { gate.pending == 3 }
        // A fourth peer is closed as it comes, long before the 60 s handshake time; so is a client
        // with the secret, while every place is taken.
        let started = ContinuousClock.now
        #expect(try await closes(server, after: []))
        #expect(ContinuousClock.now - started < .seconds(5))
        await #expect(throws: RpcError.self) { _ = try await client.connection(to: server.address) }
        #expect(gate.pending == 3)

        // A place comes free when a waiting peer leaves; an authenticated connection gives its place back.
        try await idle[0].close()
        try await eventually("a place is free") { gate.pending == 2 }
        let reply = try await client.ask(.checkExistence(CheckExistence(name: "endpoint-verifier")), to: Self.verifier(of: server), timeout: .seconds(10))
        #expect(reply == .boolean(true))
        try await eventually("the authenticated connection left the gate") { gate.pending == 2 }
        for channel in idle.dropFirst() { try? await channel.close() }
        try await eventually("every place is free") { gate.pending == 0 }
    }

    @Test func refusalsAreWarnedAboutTenTimesAWindowAndCounted() async throws {
        let recorder = LogRecorder()
        var authentication = RpcAuthentication(secret: "0123456789abcdef")
        authentication.refusalWarningWindow = .seconds(5)
        let server = try await RpcEnv.start(
            configuration: .init(bindHost: "127.0.0.1", port: 0, authentication: authentication),
            logger: recorder.logger(label: "rpc", level: .info))
        defer { Task { await server.shutdown() } }
        func refusals() -> [LogRecorder.Entry] {
            recorder.entries.filter { $0.message == "refusing a connection that did not authenticate" }
        }

        let junk = frame(.oneWayMessage(body: ByteBuffer(bytes: [1, 2, 3])))
        let started = ContinuousClock.now
        for _ in 0..<25 { #expect(try await closes(server, after: junk)) }
        let first = refusals()
        try #require(ContinuousClock.now - started < .seconds(5), "the 25 refusals took longer than the window")
        #expect(first.count == 10)
        #expect(first.allSatisfy { $0.level == .warning && $0.metadata["rpc/error"] == "OneWayMessage before authentication" })
        #expect(first.last?.metadata["rpc/note"] == "further refusals within 5 s are counted, not logged")
        #expect(first.allSatisfy { $0.metadata["rpc/unlogged-refusals"] == nil })

        // When the window ends, the count of those not logged is, with no further refusal needed.
        try await eventually("the count of refusals not logged", timeout: .seconds(15)) {
            recorder.entries.contains { $0.message == "connections refused without authenticating, not logged one by one" }
        }
        let summary = try #require(recorder.entries.last)
        #expect(summary.level == .warning)
        #expect(summary.metadata["rpc/unlogged-refusals"] == "15")
        #expect(summary.metadata["rpc/window"] == "5 s")
        #expect(ContinuousClock.now - started >= .seconds(5))
        // A new window warns again, with nothing left to count.
        #expect(try await closes(server, after: junk))
        let after = refusals()
        #expect(after.count == 11)
        #expect(after.last?.metadata["rpc/unlogged-refusals"] == nil)
    }
}
