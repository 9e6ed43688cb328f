import NIOCore
import NIOPosix
import SparkModel
import SparkProtocol
@testable import SparkRPC
import SparkTransport
import Testing

/// Collects what a raw client receives.
final class RawCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Touched only on the channel's event loop, read after it closed.
    var received = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
    }
}

@Suite struct HostileInputTests {
    /// Sends `bytes` on a fresh connection and returns what came back before the server closed it.
    func exchange(_ bytes: [UInt8], with env: RpcEnv, expectClose: Bool = true) async throws -> ByteBuffer {
        let collector = RawCollector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: Int(env.address.port)).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
        if expectClose {
            // The server must close: bounded wait.
            let closed = channel.eventLoop.makePromise(of: Void.self)
            channel.closeFuture.cascade(to: closed)
            channel.eventLoop.scheduleTask(in: .seconds(10)) { closed.fail(RpcError(.timeout, "server kept the connection open")) }
            try await closed.futureResult.get()
        } else {
            try await Task.sleep(for: .milliseconds(300))
            #expect(channel.isActive)
            try await channel.close()
        }
        return try await channel.eventLoop.submit { collector.received }.get()
    }

    func frame(_ frame: TransportFrame) -> [UInt8] {
        var buffer = ByteBuffer()
        TransportFrameEncoder.write(frame, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    func request(endpoint: String, content: [UInt8]) -> ByteBuffer {
        RequestMessage(
            senderAddress: RpcAddress(host: "127.0.0.1", port: 9999), receiverAddress: nil, endpointName: endpoint,
            content: ByteBuffer(bytes: content)
        ).serialized()
    }

    @Test func garbageFramesCloseTheConnectionAndTheServerLivesOn() async throws {
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0, maxFrameSize: 1 << 20))
        defer { Task { await env.shutdown() } }

        // Negative length, oversized length, unknown frame type.
        _ = try await exchange([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], with: env)
        _ = try await exchange([0, 0, 0, 1, 0, 0, 0, 0, 3], with: env)
        _ = try await exchange([0, 0, 0, 0, 0, 0, 0, 10, 99, 0], with: env)
        // A stream request: well-formed, not served.
        _ = try await exchange(frame(.streamRequest(streamId: "/jars/x.jar")), with: env)

        // Still serving: the verifier answers.
        let verifier = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: env.address, name: "endpoint-verifier"))
        let reply = try await env.ask(.checkExistence(CheckExistence(name: "endpoint-verifier")), to: verifier, timeout: .seconds(10))
        #expect(reply == .boolean(true))
    }

    @Test func anUnreadableAskGetsAnRpcFailureThenAClose() async throws {
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        defer { Task { await env.shutdown() } }
        // A Java stream of 10 000 nested Object[] arrays: refused at the depth bound.
        var nested: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x75, 0x72, 0x00, 0x13]
        nested += Array("[Ljava.lang.Object;".utf8)
        nested += [0x90, 0xCE, 0x58, 0x9F, 0x10, 0x73, 0x29, 0x6C, 0x02, 0x00, 0x00, 0x78, 0x70, 0, 0, 0, 1]
        for _ in 0..<10_000 { nested += [0x75, 0x71, 0x00, 0x7E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01] }
        var received = try await exchange(frame(.rpcRequest(requestId: 77, body: request(endpoint: "Master", content: nested))), with: env)
        var decoder = TransportFrameDecoder()
        let reply = try decoder.decode(buffer: &received)
        guard case .rpcFailure(let requestId, let error)? = reply else {
            Issue.record("expected an RpcFailure frame, got \(String(describing: reply))")
            return
        }
        #expect(requestId == 77)
        #expect(error.contains("limitExceeded"))
    }

    @Test func anAskToAMissingEndpointFailsLikeSpark() async throws {
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        defer { Task { await env.shutdown() } }
        let content = try SparkMessageCodec.encode(.unregisterApplication(UnregisterApplication(appId: "a")), version: .spark4_3)
        let collector = try await exchangeKeepingOpen(
            frame(.rpcRequest(requestId: 5, body: request(endpoint: "Nobody", content: Array(content.readableBytesView)))), env: env)
        var received = collector
        var decoder = TransportFrameDecoder()
        guard case .rpcFailure(5, let error)? = try decoder.decode(buffer: &received) else {
            Issue.record("expected an RpcFailure frame")
            return
        }
        #expect(error.contains("RpcEndpointNotFoundException"))
    }

    func exchangeKeepingOpen(_ bytes: [UInt8], env: RpcEnv) async throws -> ByteBuffer {
        try await exchange(bytes, with: env, expectClose: false)
    }

    /// A raw connection that sent the start of a one-way frame of `bodyLength` bytes, `present` of them.
    func partialFrame(to env: RpcEnv, bodyLength: Int, present: Int) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: Int(env.address.port)).get()
        var bytes = ByteBuffer()
        bytes.writeInteger(Int64(8 + 1 + 4 + bodyLength))
        bytes.writeInteger(UInt8(9))
        bytes.writeInteger(Int32(bodyLength))
        bytes.writeRepeatingByte(0, count: present)
        try await channel.writeAndFlush(bytes)
        return channel
    }

    /// Polls `condition` for up to 10 s.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<1000 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func peersHoldingUnfinishedFramesShareOneBudgetAndTheLargestHolderIsCut() async throws {
        // By default one largest frame and 16 MiB; 1 MiB here.
        #expect(IncompleteFrameBudget.limit(maxFrameSize: TransportFrameDecoder.defaultMaxFrameSize) == (128 << 20) + (64 << 10) + (16 << 20))
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0, incompleteFrameLimit: 1 << 20))
        defer { Task { await env.shutdown() } }
        #expect(env.incompleteFrames.limit == 1 << 20)

        // 700 KB of a frame that never ends.
        let hoarder = try await partialFrame(to: env, bodyLength: 1_000_000, present: 700_000)
        #expect(try await eventually { env.incompleteFrames.held == 700_013 })
        // A second peer's 400 KB takes the sum past 1 MiB: the hoarder is cut, the other keeps its connection.
        let other = try await partialFrame(to: env, bodyLength: 500_000, present: 400_000)
        let cut = hoarder.eventLoop.makePromise(of: Void.self)
        hoarder.closeFuture.cascade(to: cut)
        hoarder.eventLoop.scheduleTask(in: .seconds(10)) { cut.fail(RpcError(.timeout, "the largest holder kept its connection")) }
        try await cut.futureResult.get()
        #expect(other.isActive)
        #expect(try await eventually { env.incompleteFrames.held == 400_013 })

        // The environment still serves.
        let verifier = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: env.address, name: "endpoint-verifier"))
        let reply = try await env.ask(.checkExistence(CheckExistence(name: "endpoint-verifier")), to: verifier, timeout: .seconds(10))
        #expect(reply == .boolean(true))
        #expect(other.isActive)

        // A closed connection gives its share back.
        try await other.close()
        #expect(try await eventually { env.incompleteFrames.held == 0 })
    }
}
