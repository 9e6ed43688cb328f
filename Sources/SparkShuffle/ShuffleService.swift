#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SparkRPC
import SparkTransport

/// Spark's external shuffle service, as a standalone worker runs it with
/// `spark.shuffle.service.enabled=true` (Spark: `ExternalShuffleService`, port
/// `spark.shuffle.service.port`, 7337): executors register where their block files are, and
/// executors anywhere fetch shuffle and cached RDD blocks from it, also after the executor that
/// wrote them has exited (dynamic allocation, executor loss).
public final class ShuffleService: Sendable {
    public let resolver: ShuffleBlockResolver
    let logger: Logger
    /// Spark: stream ids start at a random multiple of 1000 and count up.
    private let streamIds = NIOLockedValueBox<Int64>(Int64.random(in: 0..<Int64(Int32.max)) * 1000)
    private let channel: any Channel
    /// Accepted connections, closed with the service.
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    /// Blocks served per application, logged when it ends.
    private let served = NIOLockedValueBox<[String: Served]>([:])
    /// The port bound.
    public let port: Int
    /// `spark.shuffle.maxChunksBeingTransferred`: block replies written and not yet sent, over every
    /// connection, beyond which a connection asking for another block is closed.
    let maxChunksBeingTransferred: Int
    private let chunksInFlight = NIOLockedValueBox(0)
    /// What the connections hold of requests still arriving, together at most one largest frame
    /// and some room besides.
    public let incompleteFrames: IncompleteFrameBudget

    private init(
        resolver: ShuffleBlockResolver, logger: Logger, channel: any Channel, port: Int, maxChunksBeingTransferred: Int,
        incompleteFrames: IncompleteFrameBudget
    ) {
        self.incompleteFrames = incompleteFrames
        self.resolver = resolver
        self.logger = logger
        self.channel = channel
        self.port = port
        self.maxChunksBeingTransferred = maxChunksBeingTransferred
    }

    /// Block replies (chunks and streams) written and not yet sent, over every connection (Spark:
    /// `StreamManager.chunksBeingTransferred`).
    var chunksBeingTransferred: Int { chunksInFlight.withLockedValue { $0 } }

    func chunkBeingSent() { chunksInFlight.withLockedValue { $0 += 1 } }

    func chunkSent() { chunksInFlight.withLockedValue { $0 -= 1 } }

    /// Binds `host:port` and serves; with `authentication`, every connection proves the shared
    /// secret first (SASL, as the worker's RPC connections) and may act only for the application
    /// it authenticated for. `maxChunksBeingTransferred` is Spark's setting of that name (no limit
    /// by default). A connection on which nothing is read and no write completes for
    /// `connectionTimeout` (Spark: `spark.shuffle.io.connectionTimeout`, 120 s; nil: never) is
    /// closed, as Spark's service closes its idle connections; a client that stopped reading goes
    /// with it.
    public static func start(
        host: String, port: Int, resolver: ShuffleBlockResolver, authentication: RpcAuthentication?,
        maxFrameSize: Int = TransportFrameDecoder.defaultMaxFrameSize, incompleteFrameLimit: Int? = nil,
        maxChunksBeingTransferred: Int = .max, connectionTimeout: TimeAmount? = .seconds(120),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> ShuffleService {
        let box = NIOLockedValueBox<ShuffleService?>(nil)
        let security = TransportServerAuthentication(authentication: authentication, logger: logger)
        let incompleteFrames = IncompleteFrameBudget(
            limit: incompleteFrameLimit ?? IncompleteFrameBudget.limit(maxFrameSize: maxFrameSize), logger: logger)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                guard let service = box.withLockedValue({ $0 }) else {
                    return channel.eventLoop.makeFailedFuture(ShuffleProtocolError("the shuffle service is starting"))
                }
                let id = ObjectIdentifier(channel)
                service.connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = service.connections.withLockedValue { $0.removeValue(forKey: id) } }
                if let connectionTimeout {
                    do {
                        try channel.pipeline.syncOperations.addHandlers(IdleStateHandler(allTimeout: connectionTimeout), IdleConnectionCloser())
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return security.configure(channel, maxFrameSize: maxFrameSize, incompleteFrames: incompleteFrames) { clientId in
                    ShuffleConnectionHandler(service: service, clientId: clientId)
                }
            }
            .bind(host: host, port: port)
            .get()
        let service = ShuffleService(
            resolver: resolver, logger: logger, channel: channel, port: channel.localAddress?.port ?? port,
            maxChunksBeingTransferred: maxChunksBeingTransferred, incompleteFrames: incompleteFrames)
        box.withLockedValue { $0 = service }
        return service
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        try? await channel.close()
        for connection in connections.withLockedValue({ Array($0.values) }) { try? await connection.close() }
    }

    /// What was served to one application: blocks and bytes, in chunks and in streams.
    public struct Served: Sendable, Equatable, CustomStringConvertible {
        public var chunks = 0
        public var chunkBytes: Int64 = 0
        public var streams = 0
        public var streamBytes: Int64 = 0

        public var description: String {
            "\(chunks) blocks (\(chunkBytes) bytes) by chunk, \(streams) (\(streamBytes) bytes) by stream"
        }
    }

    func recordServed(appId: String, bytes: Int64, byStream: Bool) {
        served.withLockedValue { served in
            // Bounded by the applications registered: a count for an unknown one is not kept.
            guard served[appId] != nil || resolver.hasApplication(appId) else { return }
            if byStream {
                served[appId, default: Served()].streams += 1
                served[appId, default: Served()].streamBytes += bytes
            } else {
                served[appId, default: Served()].chunks += 1
                served[appId, default: Served()].chunkBytes += bytes
            }
        }
    }

    func newStreamId() -> Int64 {
        streamIds.withLockedValue { id in
            defer { id &+= 1 }
            return id
        }
    }

    /// Spark: `executorRemoved`: the executor's files other than shuffle outputs (`.index`,
    /// `.data`), and cached RDD blocks unless `keepRddBlocks`, are deleted in the background; its
    /// shuffle outputs stay served until the application ends.
    public func executorRemoved(appId: String, execId: String, keepRddBlocks: Bool) {
        let directories = resolver.directories(appId: appId, execId: execId)
        guard !directories.isEmpty else { return }
        logger.info("Clean up non-shuffle and non-RDD files associated with the finished executor \(execId)")
        let logger = self.logger
        NIOThreadPool.singleton.submit { state in
            guard state == .active else { return }
            for directory in directories {
                let deleted = Self.deleteFiles(in: directory, depth: 0) { name in
                    !(name.hasSuffix(".index") || name.hasSuffix(".data") || (keepRddBlocks && name.hasPrefix("rdd_")))
                }
                logger.debug("deleted \(deleted) files of executor \(execId) in \(directory)")
            }
        }
    }

    /// Spark: `applicationRemoved`: the application's executors are forgotten (the worker deletes
    /// their directories with the application's).
    public func applicationRemoved(appId: String) {
        let directories = resolver.applicationRemoved(appId: appId)
        let total = served.withLockedValue { $0.removeValue(forKey: appId) } ?? Served()
        if !directories.isEmpty { logger.info("Application \(appId) removed from the shuffle service; served it \(total)") }
    }

    /// Deletes the regular files `matching` under `path` (two levels in Spark's layout; at most four
    /// followed, no symbolic links); returns how many were deleted.
    static func deleteFiles(in path: String, depth: Int, matching: (String) -> Bool) -> Int {
        var top = stat()
        guard depth < 4, lstat(path, &top) == 0, (top.st_mode & S_IFMT) == S_IFDIR, let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        var deleted = 0
        var subdirectories: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let child = path + "/" + name
            var status = stat()
            guard lstat(child, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                subdirectories.append(child)
            } else if (status.st_mode & S_IFMT) == S_IFREG, matching(name), unlink(child) == 0 {
                deleted += 1
            }
        }
        for child in subdirectories { deleted += deleteFiles(in: child, depth: depth + 1, matching: matching) }
        return deleted
    }
}

/// Closes a connection its `IdleStateHandler` finds idle in both directions (Spark:
/// `TransportChannelHandler.userEventTriggered` with `closeIdleConnections`, as the external shuffle
/// service runs it).
final class IdleConnectionCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
