#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import SparkTransport

/// One connection to the shuffle service (Spark: `ExternalBlockHandler` with its
/// `OneForOneStreamManager`): RPCs register executors and open streams of blocks, then each chunk
/// of a stream is fetched in order, one block a chunk, read from the executor's files.
///
/// Chunk requests wait in order while the connection cannot take more output, so a client that
/// asks for many and reads slowly holds a queue of requests here, not of blocks.
final class ShuffleConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = TransportFrame
    typealias OutboundOut = TransportFrame

    /// Blocks up to this size are read into memory and sent in their frame; larger ones are sent
    /// from the file (`sendfile`), which holds a descriptor until written.
    static let inMemoryBlockLimit: Int64 = 256 * 1024
    static let maxStreams = 1024
    /// Blocks of all open streams of one connection.
    static let maxOpenBlocks = 262_144
    static let maxWaitingRequests = 65_536
    /// Chunk and stream replies written and not yet taken by the socket. The channel's own
    /// writability does not see writes an encrypting handler holds back behind a file it sends a
    /// piece at a time; this bound does, so a connection holds at most this many open block files
    /// and in-memory blocks, whoever sits below.
    static let maxUnsentReplies = 32
    /// Requests of one connection being answered off the event loop (removals, diagnoses) at once.
    static let maxRequestsInProgress = 16
    /// The largest `LocalDirsForExecutors` sent, in bytes of directory names.
    static let maxLocalDirsReplyBytes = 16 << 20

    private enum Block {
        case shuffle(shuffleId: Int32, mapId: Int64, start: Int32, end: Int32)
        case rdd(rddId: Int32, splitIndex: Int32)
    }

    private struct Stream {
        var appId: String
        var execId: String
        var blocks: [Block]
        var next = 0
    }

    private enum Waiting {
        case chunk(streamId: Int64, chunkIndex: Int32)
        case stream(name: String, streamId: Int64, chunkIndex: Int32)
    }

    private let service: ShuffleService
    /// The application the client authenticated for; nil without authentication.
    private let clientId: String?
    private var streams: [Int64: Stream] = [:]
    /// Blocks of `streams` not fetched yet.
    private var openBlocks = 0
    /// Requests being answered off the event loop.
    private var inProgress = 0
    private var waiting = CircularBuffer<Waiting>()
    /// Replies written whose write has not completed (see `maxUnsentReplies`).
    private var unsent = 0
    /// Set while `drain` runs, so that a reply completed within its flush does not start another.
    private var draining = false

    init(service: ShuffleService, clientId: String?) {
        self.service = service
        self.clientId = clientId
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .rpcRequest(let requestId, let body):
            let answer: Answer
            do {
                answer = try self.answer(ShuffleRequest.decode(body), context: context)
            } catch {
                context.writeAndFlush(wrapOutboundOut(.rpcFailure(requestId: requestId, error: error.message)), promise: nil)
                return
            }
            switch answer {
            case .now(let reply):
                context.writeAndFlush(wrapOutboundOut(.rpcResponse(requestId: requestId, body: reply)), promise: nil)
            case .later(let future):
                // Disk work done off the event loops; the reply goes back on this connection's.
                inProgress += 1
                future.hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
                    self.inProgress -= 1
                    let reply: TransportFrame
                    switch result {
                    case .success(let body): reply = .rpcResponse(requestId: requestId, body: body)
                    case .failure(let error as ShuffleProtocolError): reply = .rpcFailure(requestId: requestId, error: error.message)
                    case .failure(let error): reply = .rpcFailure(requestId: requestId, error: "\(error)")
                    }
                    context.writeAndFlush(self.wrapOutboundOut(reply), promise: nil)
                }
            }
        case .chunkFetchRequest(let streamId, let chunkIndex):
            guard withinTransferLimit(context) else { return }
            enqueue(.chunk(streamId: streamId, chunkIndex: chunkIndex), context: context)
        case .streamRequest(let name):
            guard withinTransferLimit(context) else { return }
            // "<stream>_<chunk>", for a block the client keeps on disk rather than in memory.
            let parts = name.split(separator: "_", omittingEmptySubsequences: false)
            guard parts.count == 2, let streamId = Int64(parts[0]), let chunkIndex = Int32(parts[1]) else {
                context.writeAndFlush(wrapOutboundOut(.streamFailure(streamId: name, error: "Stream id \(name) is not <stream>_<chunk>")), promise: nil)
                return
            }
            enqueue(.stream(name: name, streamId: streamId, chunkIndex: chunkIndex), context: context)
        case .oneWayMessage:
            // Push-based shuffle's RemoveShuffleMerge is the only one-way message; there is nothing to remove here.
            break
        case let other:
            service.logger.warning("closing a shuffle connection that sent \(other.typeName)", metadata: peer(context))
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drain(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        streams.removeAll()
        openBlocks = 0
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        service.logger.debug("closing a shuffle connection: \(error)", metadata: peer(context))
        context.close(promise: nil)
    }

    // MARK: - RPCs

    private enum Answer {
        case now(ByteBuffer)
        case later(EventLoopFuture<ByteBuffer>)
    }

    private func answer(_ request: ShuffleRequest, context: ChannelHandlerContext) throws(ShuffleProtocolError) -> Answer {
        let resolver = service.resolver
        switch request {
        case .removeBlocks, .diagnoseCorruption:
            guard inProgress < Self.maxRequestsInProgress else {
                throw ShuffleProtocolError("this connection has \(inProgress) removals or diagnoses in progress")
            }
        default:
            break
        }
        switch request {
        case .registerExecutor(let appId, let execId, let info):
            try checkAuthorized(appId)
            try resolver.register(appId: appId, execId: execId, info: info)
            service.logger.info("Registered executor \(execId) of \(appId) with \(info.localDirs.count) local directories")
            return .now(ByteBuffer())
        case .openBlocks(let appId, let execId, let blockIds):
            try checkAuthorized(appId)
            return .now(try openStream(Stream(appId: appId, execId: execId, blocks: try blockIds.map(Self.block))))
        case .fetchShuffleBlocks(let appId, let execId, let shuffleId, let mapIds, let reduceIds, let batch):
            try checkAuthorized(appId)
            let count = batch ? mapIds.count : reduceIds.reduce(0) { $0 + $1.count }
            try checkRoom(for: count)
            var blocks: [Block] = []
            blocks.reserveCapacity(count)
            for (mapId, reduces) in zip(mapIds, reduceIds) {
                if batch {
                    blocks.append(.shuffle(shuffleId: shuffleId, mapId: mapId, start: reduces[0], end: reduces[1]))
                    continue
                }
                for reduce in reduces {
                    guard reduce >= 0, reduce < .max else { throw ShuffleProtocolError("reduce id \(reduce) of shuffle \(shuffleId)") }
                    blocks.append(.shuffle(shuffleId: shuffleId, mapId: mapId, start: reduce, end: reduce + 1))
                }
            }
            return .now(try openStream(Stream(appId: appId, execId: execId, blocks: blocks)))
        case .removeBlocks(let appId, let execId, let blockIds):
            try checkAuthorized(appId)
            _ = try resolver.registered(appId: appId, execId: execId)
            return .later(NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) {
                ShuffleReply.blocksRemoved(try resolver.removeBlocks(appId: appId, execId: execId, blockIds: blockIds)).encoded()
            })
        case .getLocalDirsForExecutors(let appId, let execIds):
            try checkAuthorized(appId)
            var seen = Set<String>(), unique: [String] = [], dirs: [[String]] = [], bytes = 0
            for execId in execIds where seen.insert(execId).inserted {
                let localDirs = try resolver.registered(appId: appId, execId: execId).localDirs
                bytes += execId.utf8.count + localDirs.reduce(0) { $0 + $1.utf8.count }
                guard bytes <= Self.maxLocalDirsReplyBytes else {
                    throw ShuffleProtocolError("the local directories of \(execIds.count) executors are more than \(Self.maxLocalDirsReplyBytes) bytes")
                }
                unique.append(execId)
                dirs.append(localDirs)
            }
            return .now(ShuffleReply.localDirsForExecutors(execIds: unique, dirs: dirs).encoded())
        case .diagnoseCorruption(let appId, let execId, let shuffleId, let mapId, let reduceId, let checksum, let algorithm):
            try checkAuthorized(appId)
            guard let info = resolver.executor(appId: appId, execId: execId) else {
                return .now(ShuffleReply.corruptionCause(.unknownIssue).encoded())
            }
            // Reads the whole block: off the event loops.
            return .later(NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) {
                ShuffleReply.corruptionCause(resolver.diagnose(
                    info, shuffleId: shuffleId, mapId: mapId, reduceId: reduceId, readerChecksum: checksum, algorithm: algorithm)).encoded()
            })
        case .unsupported(let type):
            throw ShuffleProtocolError("Unexpected message type \(type): this shuffle service does not take it")
        }
    }

    private func checkRoom(for blocks: Int) throws(ShuffleProtocolError) {
        guard blocks <= Self.maxOpenBlocks - openBlocks else {
            throw ShuffleProtocolError("this connection has \(openBlocks) blocks in open streams; \(blocks) more are over \(Self.maxOpenBlocks)")
        }
    }

    /// Spark: `checkAuth`: an authenticated client acts for its own application only.
    private func checkAuthorized(_ appId: String) throws(ShuffleProtocolError) {
        if let clientId, clientId != appId {
            throw ShuffleProtocolError("Client for \(clientId) not authorized for application \(appId).")
        }
    }

    private func openStream(_ stream: Stream) throws(ShuffleProtocolError) -> ByteBuffer {
        guard streams.count < Self.maxStreams else {
            throw ShuffleProtocolError("this connection has \(Self.maxStreams) streams open")
        }
        try checkRoom(for: stream.blocks.count)
        _ = try service.resolver.registered(appId: stream.appId, execId: stream.execId)
        let streamId = service.newStreamId()
        if !stream.blocks.isEmpty {
            streams[streamId] = stream
            openBlocks += stream.blocks.count
        }
        return ShuffleReply.streamHandle(streamId: streamId, numChunks: Int32(clamping: stream.blocks.count)).encoded()
    }

    /// `shuffle_S_M_R` or `rdd_R_P` (Spark: `ExternalBlockHandler`'s block id parsing).
    private static func block(_ blockId: String) throws(ShuffleProtocolError) -> Block {
        let parts = blockId.split(separator: "_", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0] == "shuffle", let shuffleId = Int32(parts[1]), let mapId = Int64(parts[2]),
           let reduceId = Int32(parts[3]), reduceId >= 0, reduceId < .max {
            return .shuffle(shuffleId: shuffleId, mapId: mapId, start: reduceId, end: reduceId + 1)
        }
        if parts.count == 3, parts[0] == "rdd", let rddId = Int32(parts[1]), let splitIndex = Int32(parts[2]) {
            return .rdd(rddId: rddId, splitIndex: splitIndex)
        }
        throw ShuffleProtocolError("Unexpected block id format: \(blockId)")
    }

    // MARK: - Chunks

    /// Spark's `spark.shuffle.maxChunksBeingTransferred`: a block asked for while that many block
    /// replies of the whole service are written and not yet sent closes the connection (the client
    /// retries, as Spark's clients do).
    private func withinTransferLimit(_ context: ChannelHandlerContext) -> Bool {
        let inFlight = service.chunksBeingTransferred
        guard inFlight >= service.maxChunksBeingTransferred else { return true }
        service.logger.warning(
            "The number of chunks being transferred \(inFlight) is above \(service.maxChunksBeingTransferred), close the connection.",
            metadata: peer(context))
        waiting.removeAll()
        context.close(promise: nil)
        return false
    }

    private func enqueue(_ request: Waiting, context: ChannelHandlerContext) {
        guard waiting.count < Self.maxWaitingRequests else {
            service.logger.warning("closing a shuffle connection with \(waiting.count) requests waiting", metadata: peer(context))
            context.close(promise: nil)
            return
        }
        waiting.append(request)
        drain(context)
    }

    private func drain(_ context: ChannelHandlerContext) {
        guard !draining else { return }  // The loop in progress looks again after its flush.
        draining = true
        defer { draining = false }
        while true {
            var wrote = false
            while context.channel.isWritable, unsent < Self.maxUnsentReplies, let request = waiting.popFirst() {
                let sent = replySent(context)
                switch request {
                case .chunk(let streamId, let chunkIndex):
                    switch segment(streamId: streamId, chunkIndex: chunkIndex) {
                    case .success(let (appId, segment)):
                        beingSent(sent)
                        let header = TransportFrame.chunkFetchSuccess(streamId: streamId, chunkIndex: chunkIndex, body: ByteBuffer())
                        send(segment, appId: appId, header: header, context: context, promise: sent) {
                            .chunkFetchFailure(streamId: streamId, chunkIndex: chunkIndex, error: $0)
                        }
                    case .failure(let error):
                        context.write(wrapOutboundOut(.chunkFetchFailure(streamId: streamId, chunkIndex: chunkIndex, error: error.message)), promise: sent)
                    }
                case .stream(let name, let streamId, let chunkIndex):
                    switch segment(streamId: streamId, chunkIndex: chunkIndex) {
                    case .success(let (appId, segment)):
                        beingSent(sent)
                        send(segment, appId: appId, header: .streamResponse(streamId: name, byteCount: segment.length), context: context, promise: sent) {
                            .streamFailure(streamId: name, error: $0)
                        }
                    case .failure(let error):
                        context.write(wrapOutboundOut(.streamFailure(streamId: name, error: error.message)), promise: sent)
                    }
                }
                wrote = true
            }
            guard wrote else { return }
            // Replies the socket takes at once complete within the flush: room for more.
            context.flush()
        }
    }

    /// Counts a block reply in the service's `chunksBeingTransferred` until its last write completes.
    private func beingSent(_ sent: EventLoopPromise<Void>) {
        let service = self.service
        service.chunkBeingSent()
        sent.futureResult.whenComplete { _ in service.chunkSent() }
    }

    /// The promise of a reply's last write: counted in `unsent` until it completes, then the
    /// requests waiting go on. A write that failed means the connection is going (its pending
    /// writes fail before it says it is inactive): what waits is dropped, not read from disk.
    private func replySent(_ context: ChannelHandlerContext) -> EventLoopPromise<Void> {
        unsent += 1
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.unsent -= 1
            guard case .success = result else {
                self.waiting.removeAll()
                return
            }
            if !self.waiting.isEmpty { self.drain(context) }
        }
        return promise
    }

    /// The next chunk of a stream, which must be asked for in order (as Spark's stream manager requires).
    private func segment(streamId: Int64, chunkIndex: Int32) -> Result<(String, FileSegment), ShuffleProtocolError> {
        guard var stream = streams[streamId] else { return .failure(ShuffleProtocolError("Unknown stream ID \(streamId).")) }
        if let clientId, clientId != stream.appId {
            return .failure(ShuffleProtocolError("Client \(clientId) not authorized to read stream \(streamId) (app \(stream.appId))."))
        }
        guard chunkIndex == stream.next else {
            return .failure(ShuffleProtocolError("Received out-of-order chunk index \(chunkIndex) (expected \(stream.next))"))
        }
        stream.next += 1
        openBlocks -= 1
        streams[streamId] = stream.next < stream.blocks.count ? stream : nil
        return Result(catching: { () throws(ShuffleProtocolError) -> (String, FileSegment) in
            let info = try service.resolver.registered(appId: stream.appId, execId: stream.execId)
            switch stream.blocks[Int(chunkIndex)] {
            case .shuffle(let shuffleId, let mapId, let start, let end):
                return (stream.appId, try service.resolver.shuffleSegment(info, shuffleId: shuffleId, mapId: mapId, start: start, end: end))
            case .rdd(let rddId, let splitIndex):
                return (stream.appId, try service.resolver.rddSegment(info, rddId: rddId, splitIndex: splitIndex))
            }
        })
    }

    /// Writes `header` and the segment's bytes: within a `ChunkFetchSuccess` frame, or after a
    /// `StreamResponse` frame. A segment the file does not hold gets `failure` instead.
    /// `promise` is the last write's.
    private func send(
        _ segment: FileSegment, appId: String, header: TransportFrame, context: ChannelHandlerContext, promise: EventLoopPromise<Void>,
        failure: (String) -> TransportFrame
    ) {
        let byStream: Bool
        if case .streamResponse = header { byStream = true } else { byStream = false }
        let descriptor = open(segment.path, O_RDONLY | O_CLOEXEC)
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0, Int64(status.st_size) >= segment.offset + segment.length else {
            if descriptor >= 0 { close(descriptor) }
            context.write(wrapOutboundOut(failure("Failed to read \(segment.length) bytes at \(segment.offset) of \(segment.path)")), promise: promise)
            return
        }
        if segment.length <= Self.inMemoryBlockLimit {
            defer { close(descriptor) }
            var body = ByteBuffer()
            let length = Int(segment.length)
            let read = (try? body.writeFileRange(descriptor, at: segment.offset, count: length)) ?? -1
            guard read == length else {
                context.write(wrapOutboundOut(failure("Failed to read \(segment.length) bytes at \(segment.offset) of \(segment.path)")), promise: promise)
                return
            }
            switch header {
            case .chunkFetchSuccess(let streamId, let chunkIndex, _):
                context.write(wrapOutboundOut(.chunkFetchSuccess(streamId: streamId, chunkIndex: chunkIndex, body: body)), promise: promise)
            default:
                context.write(wrapOutboundOut(header), promise: nil)
                rawWrite(.byteBuffer(body), context: context, promise: promise)
            }
            service.recordServed(appId: appId, bytes: segment.length, byStream: byStream)
            return
        }
        // Large: the frame's header, then the file's bytes by sendfile, past the frame encoder.
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: Int(segment.offset), endIndex: Int(segment.offset + segment.length))
        var frame = ByteBuffer()
        switch header {
        case .chunkFetchSuccess(let streamId, let chunkIndex, _):
            frame.writeInteger(Int64(8 + 1 + 8 + 4) + segment.length)
            frame.writeInteger(UInt8(1))
            frame.writeInteger(streamId)
            frame.writeInteger(chunkIndex)
        default:
            TransportFrameEncoder.write(header, into: &frame)
        }
        rawWrite(.byteBuffer(frame), context: context)
        promise.futureResult.whenComplete { _ in try? handle.close() }
        rawWrite(.fileRegion(region), context: context, promise: promise)
        service.recordServed(appId: appId, bytes: segment.length, byStream: byStream)
    }

    /// Bytes that must not go through the frame encoder: written from its place in the pipeline,
    /// so they follow, in order, the frames written before them.
    private func rawWrite(_ data: IOData, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        guard let encoder = try? context.pipeline.syncOperations.context(handlerType: MessageToByteHandler<TransportFrameEncoder>.self) else {
            promise?.fail(ShuffleProtocolError("no frame encoder in the pipeline"))
            context.close(promise: nil)
            return
        }
        encoder.write(NIOAny(data), promise: promise)
    }

    private func peer(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["shuffle/peer": "\(context.remoteAddress?.description ?? "?")"]
    }
}
