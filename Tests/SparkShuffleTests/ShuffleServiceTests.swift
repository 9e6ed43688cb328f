import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
@testable import SparkShuffle
@testable import SparkRPC
import SparkTestKit
import SparkTransport
import Testing

/// The shuffle service on loopback, spoken to frame by frame: what it serves from an executor's
/// files, and what it does with requests it must not serve. (That the files are where Spark's
/// executors put them, and that Spark's clients read what it sends, is shown by
/// `ShuffleServiceClusterTests` with real applications.)
@Suite struct ShuffleServiceTests {
    /// A scratch root with one executor's block directory laid out as Spark lays it out.
    struct Executor {
        let root: URL
        /// The application's directory the worker made (`SPARK_EXECUTOR_DIRS`).
        let appDirectory: String
        let info: ExecutorShuffleInfo

        init() throws {
            root = try TestEnvironment.temporaryDirectory("shuffle-service")
            appDirectory = root.appendingPathComponent("app-dir").path
            let blockManager = root.appendingPathComponent("app-dir/blockmgr-1")
            try FileManager.default.createDirectory(at: blockManager, withIntermediateDirectories: true)
            info = ExecutorShuffleInfo(localDirs: [blockManager.path], subDirsPerLocalDir: 64, shuffleManager: "org.apache.spark.shuffle.sort.SortShuffleManager")
        }

        func write(_ name: String, _ bytes: [UInt8]) throws {
            let path = ShuffleBlockResolver.filePath(localDirs: info.localDirs, subDirsPerLocalDir: info.subDirsPerLocalDir, name: name)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        /// A map output: the partitions' bytes in one data file, their offsets in the index file.
        func writeMapOutput(shuffleId: Int, mapId: Int64, partitions: [[UInt8]]) throws {
            var index: [UInt8] = []
            var offset: Int64 = 0
            for value in [0] + partitions.map({ Int64($0.count) }) {
                offset += Int64(value)
                withUnsafeBytes(of: offset.bigEndian) { index += $0 }
            }
            try write("shuffle_\(shuffleId)_\(mapId)_0.index", index)
            try write("shuffle_\(shuffleId)_\(mapId)_0.data", partitions.flatMap { $0 })
        }
    }

    static func string(_ value: String, into buffer: inout ByteBuffer) {
        buffer.writeInteger(Int32(value.utf8.count))
        buffer.writeString(value)
    }

    static func register(_ appId: String, _ execId: String, _ info: ExecutorShuffleInfo) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeInteger(UInt8(2))
        string(appId, into: &body)
        string(execId, into: &body)
        body.writeInteger(Int32(info.localDirs.count))
        for dir in info.localDirs { string(dir, into: &body) }
        body.writeInteger(info.subDirsPerLocalDir)
        string(info.shuffleManager, into: &body)
        return body
    }

    static func fetch(_ appId: String, _ execId: String, shuffleId: Int32, blocks: [(Int64, [Int32])], batch: Bool = false) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeInteger(UInt8(9))
        string(appId, into: &body)
        string(execId, into: &body)
        body.writeInteger(shuffleId)
        body.writeInteger(Int32(blocks.count))
        for (mapId, _) in blocks { body.writeInteger(mapId) }
        body.writeInteger(Int32(blocks.count))
        for (_, reduces) in blocks {
            body.writeInteger(Int32(reduces.count))
            for reduce in reduces { body.writeInteger(reduce) }
        }
        body.writeInteger(UInt8(batch ? 1 : 0))
        return body
    }

    static func removeBlocks(_ appId: String, _ execId: String, _ blockIds: [String]) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeInteger(UInt8(7))
        string(appId, into: &body)
        string(execId, into: &body)
        body.writeInteger(Int32(blockIds.count))
        for id in blockIds { string(id, into: &body) }
        return body
    }

    /// A client connection: frames out, frames in (raw stream bytes after a `StreamResponse`
    /// are returned as one `oneWayMessage` of them, for the test's convenience).
    final class Client: @unchecked Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        var pending = ByteBuffer()

        init(port: Int, receiveBuffer: Int? = nil) async throws {
            var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            if let receiveBuffer { bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer)) }
            channel = try await bootstrap
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            iterator = channel.inbound.makeAsyncIterator()
        }

        func send(_ frames: TransportFrame...) async throws {
            var buffer = ByteBuffer()
            for frame in frames { TransportFrameEncoder.write(frame, into: &buffer) }
            try await channel.outbound.write(buffer)
        }

        /// The start of a one-way frame of `bodyLength` bytes, `present` of them.
        func sendPartialFrame(bodyLength: Int, present: Int) async throws {
            var bytes = ByteBuffer()
            bytes.writeInteger(Int64(8 + 1 + 4 + bodyLength))
            bytes.writeInteger(UInt8(9))
            bytes.writeInteger(Int32(bodyLength))
            bytes.writeRepeatingByte(0, count: present)
            try await channel.outbound.write(bytes)
        }

        /// At least `count` bytes buffered, or nil when the server closed first.
        private func fill(_ count: Int) async throws -> Bool {
            while pending.readableBytes < count {
                guard var more = try await iterator.next() else { return false }
                pending.writeBuffer(&more)
            }
            return true
        }

        func frame() async throws -> TransportFrame? {
            guard try await fill(8), let length = pending.getInteger(at: pending.readerIndex, as: Int64.self),
                  try await fill(Int(length)), var slice = pending.readSlice(length: Int(length))
            else { return nil }
            slice.moveReaderIndex(forwardBy: 8)
            return try TransportFrameDecoder.parse(frame: &slice)
        }

        func raw(_ count: Int) async throws -> [UInt8]? {
            guard try await fill(count) else { return nil }
            return pending.readBytes(length: count)
        }

        func ask(_ body: ByteBuffer, id: Int64 = 1) async throws -> TransportFrame? {
            try await send(.rpcRequest(requestId: id, body: body))
            return try await frame()
        }

        func close() async { try? await channel.channel.close() }

        /// Spark's SASL handshake (DIGEST-MD5) as the shuffle client makes it: the application id in
        /// every `SaslMessage`.
        func authenticate(secret: String, appId: String) async throws {
            var generator = SystemRandomNumberGenerator()
            var sasl = DigestMD5Client(credentials: DigestMD5.Credentials(secret: secret), cnonce: DigestMD5.makeNonce(using: &generator))
            var token = sasl.firstToken
            var id: Int64 = 100
            while true {
                guard case .rpcResponse(_, let body)? = try await ask(SaslMessage(appId: appId, token: token).encoded(), id: id) else {
                    throw ShuffleProtocolError("the handshake was refused")
                }
                guard let next = try sasl.evaluate(Array(body.readableBytesView)) else { return }
                token = next
                id += 1
            }
        }
    }

    /// A service on a free port whose worker runs `app-1` with its directory `appDirectory`.
    static func withService(
        appDirectory: String, authentication: RpcAuthentication? = nil, maxChunksBeingTransferred: Int = .max,
        connectionTimeout: TimeAmount = .seconds(120), incompleteFrameLimit: Int? = nil,
        _ body: (ShuffleService) async throws -> Void
    ) async throws {
        let resolver = ShuffleBlockResolver()
        resolver.allowApplication("app-1", directories: [appDirectory])
        let service = try await ShuffleService.start(
            host: "127.0.0.1", port: 0, resolver: resolver, authentication: authentication, incompleteFrameLimit: incompleteFrameLimit,
            maxChunksBeingTransferred: maxChunksBeingTransferred, connectionTimeout: connectionTimeout, logger: Logger(label: "shuffle-test"))
        do {
            try await body(service)
        } catch {
            await service.stop()
            throw error
        }
        await service.stop()
    }

    func streamHandle(_ frame: TransportFrame?) throws -> (Int64, Int32) {
        guard case .rpcResponse(_, var body) = frame, body.readInteger(as: UInt8.self) == 3,
              let streamId = body.readInteger(as: Int64.self), let chunks = body.readInteger(as: Int32.self)
        else { throw ShuffleProtocolError("expected a StreamHandle, got \(String(describing: frame))") }
        return (streamId, chunks)
    }

    @Test func servesShuffleBlocksByChunkAndByStream() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }  // over the 256 KiB sent from memory
        try executor.writeMapOutput(shuffleId: 3, mapId: 42, partitions: [Array("zero".utf8), [], Array("two".utf8), large])
        try await Self.withService(appDirectory: executor.appDirectory) { service in
            let client = try await Client(port: service.port)
            defer { Task { await client.close() } }
            #expect(try await client.ask(Self.register("app-1", "7", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))

            let (streamId, chunks) = try streamHandle(try await client.ask(Self.fetch("app-1", "7", shuffleId: 3, blocks: [(42, [0, 2, 3])])))
            #expect(chunks == 3)
            try await client.send(
                .chunkFetchRequest(streamId: streamId, chunkIndex: 0), .chunkFetchRequest(streamId: streamId, chunkIndex: 1),
                .chunkFetchRequest(streamId: streamId, chunkIndex: 2))
            #expect(try await client.frame() == .chunkFetchSuccess(streamId: streamId, chunkIndex: 0, body: ByteBuffer(string: "zero")))
            #expect(try await client.frame() == .chunkFetchSuccess(streamId: streamId, chunkIndex: 1, body: ByteBuffer(string: "two")))
            #expect(try await client.frame() == .chunkFetchSuccess(streamId: streamId, chunkIndex: 2, body: ByteBuffer(bytes: large)))
            // The stream is gone after its last chunk.
            try await client.send(.chunkFetchRequest(streamId: streamId, chunkIndex: 2))
            guard case .chunkFetchFailure(streamId, 2, let unknown) = try await client.frame() else { Issue.record("expected a failure"); return }
            #expect(unknown.contains("Unknown stream ID"))

            // A batch [1, 4) by stream: a StreamResponse, then the bytes outside the frame.
            let (batchStream, batchChunks) = try streamHandle(try await client.ask(Self.fetch("app-1", "7", shuffleId: 3, blocks: [(42, [1, 4])], batch: true)))
            #expect(batchChunks == 1)
            try await client.send(.streamRequest(streamId: "\(batchStream)_0"))
            let expected = Array("two".utf8) + large
            #expect(try await client.frame() == .streamResponse(streamId: "\(batchStream)_0", byteCount: Int64(expected.count)))
            #expect(try await client.raw(expected.count) == expected)

            // Chunks out of order, and a map output that is not there.
            let (third, _) = try streamHandle(try await client.ask(Self.fetch("app-1", "7", shuffleId: 3, blocks: [(42, [0, 2]), (43, [0])])))
            try await client.send(.chunkFetchRequest(streamId: third, chunkIndex: 1))
            guard case .chunkFetchFailure(third, 1, let order) = try await client.frame() else { Issue.record("expected a failure"); return }
            #expect(order.contains("out-of-order chunk index 1 (expected 0)"))
            try await client.send(
                .chunkFetchRequest(streamId: third, chunkIndex: 0), .chunkFetchRequest(streamId: third, chunkIndex: 1),
                .chunkFetchRequest(streamId: third, chunkIndex: 2))
            #expect(try await client.frame() == .chunkFetchSuccess(streamId: third, chunkIndex: 0, body: ByteBuffer(string: "zero")))
            #expect(try await client.frame() == .chunkFetchSuccess(streamId: third, chunkIndex: 1, body: ByteBuffer(string: "two")))
            guard case .chunkFetchFailure(third, 2, let missing) = try await client.frame() else { Issue.record("expected a failure"); return }
            #expect(missing.contains("Failed to open file"))
        }
    }

    @Test func refusesWhatItMustNotServe() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        try executor.write("rdd_1_2", Array("cached".utf8))
        let outside = try TestEnvironment.temporaryDirectory("shuffle-outside")
        defer { try? FileManager.default.removeItem(at: outside) }
        let victim = outside.appendingPathComponent("keep")
        try Data("keep".utf8).write(to: victim)
        try await Self.withService(appDirectory: executor.appDirectory) { service in
            let client = try await Client(port: service.port)
            defer { Task { await client.close() } }
            // Directories outside the application's, the application's own, relative tricks: not registered.
            for dirs in [[outside.path], [executor.appDirectory], [executor.info.localDirs[0] + "/../../.."], ["relative/dir"], [executor.root.path]] {
                let info = ExecutorShuffleInfo(localDirs: dirs, subDirsPerLocalDir: 64, shuffleManager: "sort")
                guard case .rpcFailure(1, let error) = try await client.ask(Self.register("app-1", "1", info)) else {
                    Issue.record("registered \(dirs)")
                    continue
                }
                #expect(error.contains("is not inside the directories of app-1 on this worker"), "\(error)")
            }
            // Nor an application with no executors on this worker.
            guard case .rpcFailure(1, let unknownApp) = try await client.ask(Self.register("app-2", "1", executor.info)) else {
                Issue.record("registered an executor of an application this worker does not run")
                return
            }
            #expect(unknownApp.contains("application app-2 has no executors on this worker"))
            #expect(service.resolver.registeredCount == 0)
            // Unregistered: nothing to remove, and the request says so.
            guard case .rpcFailure(1, let unregistered) = try await client.ask(Self.removeBlocks("app-1", "1", ["rdd_1_2"])) else {
                Issue.record("removed blocks of an executor never registered")
                return
            }
            #expect(unregistered.contains("Executor is not registered"))

            #expect(try await client.ask(Self.register("app-1", "1", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            // Registering again: the same is a retry, other directories are refused.
            #expect(try await client.ask(Self.register("app-1", "1", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            var moved = executor.info
            moved.localDirs = [executor.appDirectory + "/blockmgr-2"]
            guard case .rpcFailure(1, let again) = try await client.ask(Self.register("app-1", "1", moved)) else {
                Issue.record("an executor's registration was replaced")
                return
            }
            #expect(again.contains("registered already, with other directories"))
            // Names that are not block files are not deleted; the block file is.
            let names = ["../../../\(victim.lastPathComponent)", victim.path, "rdd_1_2/../x", "shuffle_1_2_3", "rdd_1_2"]
            guard case .rpcResponse(1, var removed) = try await client.ask(Self.removeBlocks("app-1", "1", names)) else {
                Issue.record("RemoveBlocks failed")
                return
            }
            #expect(removed.readInteger(as: UInt8.self) == 8 && removed.readInteger(as: Int32.self) == 1)
            #expect(FileManager.default.fileExists(atPath: victim.path))

            // Malformed messages are answered with a failure, on a connection that stays open.
            var huge = ByteBuffer()
            huge.writeInteger(UInt8(0))
            huge.writeInteger(Int32.max)
            var truncated = Self.fetch("app-1", "1", shuffleId: 0, blocks: [(1, [0])])
            truncated.moveWriterIndex(to: truncated.writerIndex - 3)
            var lying = ByteBuffer()
            lying.writeInteger(UInt8(7))
            Self.string("app-1", into: &lying)
            Self.string("1", into: &lying)
            lying.writeInteger(Int32(1_000_000))  // a million block ids in no bytes
            for body in [huge, truncated, lying, ByteBuffer(bytes: [1]), ByteBuffer(bytes: [99])] {
                guard case .rpcFailure = try await client.ask(body) else {
                    Issue.record("no failure for \(Array(body.readableBytesView.prefix(16)))")
                    continue
                }
            }
            #expect(try await client.ask(Self.register("app-1", "1", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            // Local directories: each executor once, however often it is asked about.
            var dirsRequest = ByteBuffer()
            dirsRequest.writeInteger(UInt8(10))
            Self.string("app-1", into: &dirsRequest)
            dirsRequest.writeInteger(Int32(3))
            for _ in 0..<3 { Self.string("1", into: &dirsRequest) }
            var expected = ByteBuffer()
            expected.writeInteger(UInt8(11))
            expected.writeInteger(Int32(1))
            Self.string("1", into: &expected)
            expected.writeInteger(Int32(1))
            expected.writeInteger(Int32(1))
            expected.writeInteger(Int32(1))
            Self.string(executor.info.localDirs[0], into: &expected)
            #expect(try await client.ask(dirsRequest) == .rpcResponse(requestId: 1, body: expected))
            // Reduce ids that would overflow, a checksum diagnosis of the last one: failures and an
            // unknown cause, not a trap.
            guard case .rpcFailure = try await client.ask(Self.fetch("app-1", "1", shuffleId: 0, blocks: [(1, [Int32.max])])) else {
                Issue.record("opened a stream for reduce id Int32.max")
                return
            }
            var diagnose = ByteBuffer()
            diagnose.writeInteger(UInt8(16))
            Self.string("app-1", into: &diagnose)
            Self.string("1", into: &diagnose)
            diagnose.writeInteger(Int32(0))
            diagnose.writeInteger(Int64(1))
            diagnose.writeInteger(Int32.max)
            diagnose.writeInteger(Int64(0))
            Self.string("CRC32", into: &diagnose)
            #expect(try await client.ask(diagnose) == .rpcResponse(requestId: 1, body: ByteBuffer(bytes: [17, 2])))
            // A frame the service never takes ends the connection.
            try await client.send(.oneWayMessage(body: ByteBuffer()), .rpcResponse(requestId: 5, body: ByteBuffer()))
            #expect(try await client.frame() == nil)
        }
    }

    @Test func anAuthenticatedClientActsForItsOwnApplicationOnly() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        let secret = "0123456789abcdef"
        try await Self.withService(appDirectory: executor.appDirectory, authentication: RpcAuthentication(secret: secret)) { service in
            // Without the handshake: refused.
            let stranger = try await Client(port: service.port)
            #expect(try await stranger.ask(Self.register("app-1", "1", executor.info)).map { if case .rpcFailure = $0 { true } else { false } } ?? true)
            await stranger.close()

            // Through Spark's SASL handshake as app-1 (our RPC client's, with the application id).
            let client = try await Client(port: service.port)
            try await client.authenticate(secret: secret, appId: "app-1")
            defer { Task { await client.close() } }
            #expect(try await client.ask(Self.register("app-1", "1", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            guard case .rpcFailure(1, let error) = try await client.ask(Self.register("app-2", "1", executor.info)) else {
                Issue.record("app-1's client registered an executor of app-2")
                return
            }
            #expect(error.contains("not authorized for application app-2"))
        }
    }

    /// Holds every write that reaches it until released, as the encrypting handler holds the
    /// writes behind a file it sends a piece at a time, while the channel stays writable.
    final class HoldingWrites: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        typealias OutboundOut = IOData
        private(set) var held: [(NIOAny, EventLoopPromise<Void>?)] = []
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) { held.append((data, promise)) }
        func flush(context: ChannelHandlerContext) {}

        /// Fails what is held, as a closing channel fails its pending writes.
        func failAll() {
            let writes = held
            held = []
            for (_, promise) in writes { promise?.fail(ChannelError.ioOnClosedChannel) }
        }

        /// Sends what is held; writes made while their promises complete are held in turn.
        func release() {
            let writes = held
            held = []
            for (data, promise) in writes { context!.write(data, promise: promise) }
            context!.flush()
        }
    }

    /// The frames the channel wrote, decoded.
    static func written(_ channel: EmbeddedChannel) throws -> [TransportFrame] {
        var wire = ByteBuffer()
        while case .byteBuffer(var buffer)? = try channel.readOutbound(as: IOData.self) { wire.writeBuffer(&buffer) }
        var decoder = TransportFrameDecoder()
        var frames: [TransportFrame] = []
        while let frame = try decoder.decode(buffer: &wire) { frames.append(frame) }
        #expect(wire.readableBytes == 0)
        return frames
    }

    /// Chunk replies written below the handler and not yet sent are bounded even while the
    /// channel says it is writable (an encrypting handler below holds them): the rest of the
    /// requests wait as requests, and go on, in order, as replies are sent.
    @Test func chunkRepliesNotYetSentAreBounded() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        let count = 100
        try executor.writeMapOutput(shuffleId: 1, mapId: 5, partitions: (0..<count).map { Array("block \($0)".utf8) })
        try await Self.withService(appDirectory: executor.appDirectory) { service in
            // No suspension from here on: the embedded channel runs on this thread.
            let holding = HoldingWrites()
            let channel = EmbeddedChannel()
            defer { _ = try? channel.finish() }
            try channel.pipeline.syncOperations.addHandlers([
                holding, MessageToByteHandler(TransportFrameEncoder()), ShuffleConnectionHandler(service: service, clientId: nil),
            ])
            try channel.writeInbound(TransportFrame.rpcRequest(requestId: 1, body: Self.register("app-1", "7", executor.info)))
            try channel.writeInbound(
                TransportFrame.rpcRequest(requestId: 2, body: Self.fetch("app-1", "7", shuffleId: 1, blocks: [(5, (0..<Int32(count)).map { $0 })])))
            holding.release()
            let replies = try Self.written(channel)
            #expect(replies.first == .rpcResponse(requestId: 1, body: ByteBuffer()))
            let (streamId, chunks) = try streamHandle(replies.last)
            #expect(replies.count == 2 && chunks == Int32(count))

            for index in 0..<Int32(count) { try channel.writeInbound(TransportFrame.chunkFetchRequest(streamId: streamId, chunkIndex: index)) }
            var received: [TransportFrame] = []
            var rounds = 0
            while !holding.held.isEmpty, rounds < count {
                #expect(holding.held.count <= ShuffleConnectionHandler.maxUnsentReplies)
                holding.release()
                received += try Self.written(channel)
                rounds += 1
            }
            #expect(rounds == (count + ShuffleConnectionHandler.maxUnsentReplies - 1) / ShuffleConnectionHandler.maxUnsentReplies)
            #expect(received == (0..<count).map { .chunkFetchSuccess(streamId: streamId, chunkIndex: Int32($0), body: ByteBuffer(string: "block \($0)")) })

            // Replies that fail (the connection is closing) stop the rest: nothing more is read
            // from disk or written for the requests still waiting.
            let (again, _) = try streamHandle(try {
                try channel.writeInbound(TransportFrame.rpcRequest(
                    requestId: 3, body: Self.fetch("app-1", "7", shuffleId: 1, blocks: [(5, (0..<Int32(count)).map { $0 })])))
                holding.release()
                return try Self.written(channel).last
            }())
            for index in 0..<Int32(count) { try channel.writeInbound(TransportFrame.chunkFetchRequest(streamId: again, chunkIndex: index)) }
            #expect(holding.held.count == ShuffleConnectionHandler.maxUnsentReplies)
            holding.failAll()
            #expect(holding.held.isEmpty)
        }
    }

    /// `spark.shuffle.maxChunksBeingTransferred`: once that many block replies of the whole service
    /// are written and not sent, a connection asking for another block is closed, whichever
    /// connection holds them; once they are sent, blocks are served again.
    @Test func chunksBeingTransferredAreBoundedServiceWide() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        let count = 10
        try executor.writeMapOutput(shuffleId: 1, mapId: 5, partitions: (0..<count).map { Array("block \($0)".utf8) })
        try await Self.withService(appDirectory: executor.appDirectory, maxChunksBeingTransferred: 4) { service in
            func connection() throws -> (EmbeddedChannel, HoldingWrites) {
                let holding = HoldingWrites()
                let channel = EmbeddedChannel()
                try channel.pipeline.syncOperations.addHandlers([
                    holding, MessageToByteHandler(TransportFrameEncoder()), ShuffleConnectionHandler(service: service, clientId: nil),
                ])
                // Active, as an accepted connection is, so that a close shows.
                try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7337)).wait()
                return (channel, holding)
            }
            func open(_ channel: EmbeddedChannel, _ holding: HoldingWrites, id: Int64) throws -> Int64 {
                try channel.writeInbound(TransportFrame.rpcRequest(
                    requestId: id, body: Self.fetch("app-1", "7", shuffleId: 1, blocks: [(5, (0..<Int32(count)).map { $0 })])))
                holding.release()
                return try streamHandle(try Self.written(channel).last).0
            }
            let (first, firstWrites) = try connection()
            defer { _ = try? first.finish() }
            try first.writeInbound(TransportFrame.rpcRequest(requestId: 1, body: Self.register("app-1", "7", executor.info)))
            firstWrites.release()
            _ = try Self.written(first)
            let stream = try open(first, firstWrites, id: 2)

            // Four replies written and held: the fifth request closes its connection.
            for index in 0..<Int32(4) { try first.writeInbound(TransportFrame.chunkFetchRequest(streamId: stream, chunkIndex: index)) }
            #expect(firstWrites.held.count == 4)
            #expect(service.chunksBeingTransferred == 4)
            #expect(first.isActive)
            // Another connection is refused as well: the bound is the service's.
            let (second, secondWrites) = try connection()
            defer { _ = try? second.finish() }
            let other = try open(second, secondWrites, id: 3)
            try second.writeInbound(TransportFrame.chunkFetchRequest(streamId: other, chunkIndex: 0))
            #expect(!second.isActive, "a connection asked for a block over the limit and stayed open")
            #expect(try Self.written(second).isEmpty)

            // Sent, they no longer count, and the first connection goes on.
            firstWrites.release()
            #expect(try Self.written(first) == (0..<4).map { .chunkFetchSuccess(streamId: stream, chunkIndex: Int32($0), body: ByteBuffer(string: "block \($0)")) })
            #expect(service.chunksBeingTransferred == 0)
            try first.writeInbound(TransportFrame.chunkFetchRequest(streamId: stream, chunkIndex: 4))
            firstWrites.release()
            #expect(try Self.written(first) == [.chunkFetchSuccess(streamId: stream, chunkIndex: 4, body: ByteBuffer(string: "block 4"))])
            #expect(first.isActive)

            // Over the limit while held, the asking connection closes; its held replies fail and stop counting.
            for index in 5..<Int32(9) { try first.writeInbound(TransportFrame.chunkFetchRequest(streamId: stream, chunkIndex: index)) }
            #expect(service.chunksBeingTransferred == 4)
            try first.writeInbound(TransportFrame.chunkFetchRequest(streamId: stream, chunkIndex: 9))
            #expect(!first.isActive)
            firstWrites.failAll()
            #expect(service.chunksBeingTransferred == 0)
        }
    }

    /// Requests still arriving are held to a budget over all connections (one largest frame and
    /// 16 MiB by default; 1 MiB here); past it, the connection holding the most goes and the others
    /// are served.
    @Test func unfinishedRequestsShareOneBudget() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        try await Self.withService(appDirectory: executor.appDirectory, incompleteFrameLimit: 1 << 20) { service in
            #expect(service.incompleteFrames.limit == 1 << 20)
            let hoarder = try await Client(port: service.port)
            defer { Task { await hoarder.close() } }
            try await hoarder.sendPartialFrame(bodyLength: 1_000_000, present: 700_000)
            try await waitUntil("the hoarder's bytes are counted") { service.incompleteFrames.held == 700_013 }
            let other = try await Client(port: service.port)
            defer { Task { await other.close() } }
            try await other.sendPartialFrame(bodyLength: 500_000, present: 400_000)
            #expect(try await hoarder.frame() == nil, "the largest holder kept its connection")
            try await waitUntil("only the other's bytes count") { service.incompleteFrames.held == 400_013 }
            let served = try await Client(port: service.port)
            defer { Task { await served.close() } }
            #expect(try await served.ask(Self.register("app-1", "7", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            await other.close()
            try await waitUntil("a closed connection gives its share back") { service.incompleteFrames.held == 0 }
        }
    }

    /// A connection idle in both directions for `spark.shuffle.io.connectionTimeout` is closed, as
    /// Spark's service closes it; so is one whose client asked for a block and stopped reading,
    /// which would otherwise hold its reply, and its place under the transfer bound, for good.
    @Test(.timeLimit(.minutes(1)))
    func idleAndStalledConnectionsAreClosed() async throws {
        let executor = try Executor()
        defer { try? FileManager.default.removeItem(at: executor.root) }
        let large = [UInt8](repeating: 7, count: 32 << 20)  // more than both sockets' buffers hold
        try executor.writeMapOutput(shuffleId: 2, mapId: 1, partitions: [large, Array("small".utf8)])
        try await Self.withService(appDirectory: executor.appDirectory, maxChunksBeingTransferred: 1, connectionTimeout: .seconds(1)) { service in
            let idle = try await Client(port: service.port)
            defer { Task { await idle.close() } }
            #expect(try await idle.ask(Self.register("app-1", "7", executor.info)) == .rpcResponse(requestId: 1, body: ByteBuffer()))
            let start = ContinuousClock.now
            #expect(try await idle.frame() == nil, "an idle connection stayed open")
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(10), "closed after \(elapsed)")

            // Asks for 32 MiB and stops reading: its reply counts until the connection goes.
            let stalled = try await Client(port: service.port, receiveBuffer: 4096)
            defer { Task { await stalled.close() } }
            let (stream, _) = try streamHandle(try await stalled.ask(Self.fetch("app-1", "7", shuffleId: 2, blocks: [(1, [0])])))
            try await stalled.send(.chunkFetchRequest(streamId: stream, chunkIndex: 0))
            try await waitUntil("the stalled reply is counted") { service.chunksBeingTransferred == 1 }
            // Meanwhile another client asking for a block is over the bound of 1 and is closed.
            let refused = try await Client(port: service.port)
            defer { Task { await refused.close() } }
            let (other, _) = try streamHandle(try await refused.ask(Self.fetch("app-1", "7", shuffleId: 2, blocks: [(1, [1])])))
            try await refused.send(.chunkFetchRequest(streamId: other, chunkIndex: 0))
            #expect(try await refused.frame() == nil)
            // The service closes the stalled connection (the client, not reading, cannot see it
            // yet), and its reply no longer counts.
            let stallStart = ContinuousClock.now
            try await waitUntil("the stalled reply no longer counts", timeout: .seconds(20)) { service.chunksBeingTransferred == 0 }
            #expect(ContinuousClock.now - stallStart >= .milliseconds(500))
            let served = try await Client(port: service.port)
            defer { Task { await served.close() } }
            let (again, _) = try streamHandle(try await served.ask(Self.fetch("app-1", "7", shuffleId: 2, blocks: [(1, [1])])))
            try await served.send(.chunkFetchRequest(streamId: again, chunkIndex: 0))
            #expect(try await served.frame() == .chunkFetchSuccess(streamId: again, chunkIndex: 0, body: ByteBuffer(string: "small")))
        }
    }
}

/// Waits until `condition` holds, polling.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw ShuffleProtocolError("timed out waiting until \(what)")
}
