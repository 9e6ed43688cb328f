import Logging
import NIOCore

/// Closes a client connection whose outgoing bytes stop moving: something is being written to it and,
/// for `timeout`, none of it left (a client that stopped reading, or one gone without a reset).
///
/// An HTTP server waits while a client connection's buffer is full, so without this a client that
/// never reads holds its connection (and, in space-proxy, the relay and the backend connection) for
/// good. The client timeout of Hummingbird's `HTTPConnectionStateHandler` does not apply while a
/// response is being written; Jetty's idle timeout, which Spark's own UIs run behind, covers a blocked
/// write the same way this does.
///
/// Progress is a write completing, or fewer bytes buffered in the channel than at the last look (a
/// large write leaves in parts). It passes every message on unchanged, so it may sit anywhere in the
/// pipeline; space-proxy puts it first, next to the socket.
public final class WriteStallGuard: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public typealias OutboundIn = Any

    private let timeout: TimeAmount
    private let logger: Logger
    /// Prefix of the closing line's metadata keys (`proxy/client`, …).
    private let metadataPrefix: String
    /// Writes passed on whose promise has not completed.
    private var pendingWrites = 0
    private var lastProgress = NIODeadline.now()
    private var bufferedAtLastLook = 0
    private var nextLook: Scheduled<Void>?

    public init(timeout: TimeAmount, logger: Logger, metadataPrefix: String = "proxy") {
        self.timeout = timeout
        self.logger = logger
        self.metadataPrefix = metadataPrefix
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        if pendingWrites == 0 { lastProgress = .now() }
        pendingWrites += 1
        written.futureResult.assumeIsolated().whenComplete { _ in
            self.pendingWrites -= 1
            self.lastProgress = .now()
        }
        context.write(data, promise: written)
        bufferedAtLastLook = Self.bufferedBytes(context)
        if nextLook == nil { scheduleLook(context: context, at: lastProgress + timeout) }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
    }

    private func scheduleLook(context: ChannelHandlerContext, at deadline: NIODeadline) {
        nextLook = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.look(context: context)
        }
    }

    private func look(context: ChannelHandlerContext) {
        nextLook = nil
        guard pendingWrites > 0, context.channel.isActive else { return }
        let buffered = Self.bufferedBytes(context)
        if buffered < bufferedAtLastLook { lastProgress = .now() }
        bufferedAtLastLook = buffered
        let deadline = lastProgress + timeout
        guard deadline <= .now() else {
            scheduleLook(context: context, at: deadline)
            return
        }
        logger.notice(
            "client stopped reading: connection closed",
            metadata: [
                "\(metadataPrefix)/client": "\(context.remoteAddress?.ipAddress ?? "?")", "\(metadataPrefix)/buffered-bytes": "\(buffered)",
                "\(metadataPrefix)/timeout-seconds": "\(timeout.nanoseconds / 1_000_000_000)",
            ])
        context.close(promise: nil)
    }

    private static func bufferedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }
}
