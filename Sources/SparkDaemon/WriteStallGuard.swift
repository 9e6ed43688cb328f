#if canImport(Glibc)
import Glibc
#endif
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
/// Progress is a write completing, fewer bytes buffered in the channel than at the last look (a
/// large write leaves in parts), or more bytes acknowledged by the client than at the last look
/// (Linux's `TCP_INFO`). The last counts most for slow readers: the kernel's send buffer, autotuned
/// to megabytes, takes more from the channel only once a third of it is free, which for a client
/// reading a few hundred kilobytes a second can take longer than the timeout, while its
/// acknowledgements show every read. It passes every message on unchanged, so it may sit anywhere
/// in the pipeline; space-proxy puts it first, next to the socket.
///
/// A close that passes through it while writes are still leaving waits until they have left (or have
/// stopped moving for `timeout`). Hummingbird's idle timer starts once an answer's end is queued, and
/// closing then would drop whatever a slow but steady client had not taken yet; a close after a last
/// answer (a server shutting down) would cut that answer short the same way. Closes of one direction
/// only pass at once.
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
    /// Bytes the client had acknowledged at the last look, when known.
    private var ackedAtLastLook: UInt64?
    private var nextLook: Scheduled<Void>?
    /// A close asked for while writes were pending, with the promises of every such request.
    private var deferredClose: [EventLoopPromise<Void>?]?

    public init(timeout: TimeAmount, logger: Logger, metadataPrefix: String = "proxy") {
        self.timeout = timeout
        self.logger = logger
        self.metadataPrefix = metadataPrefix
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        if pendingWrites == 0 {
            lastProgress = .now()
            ackedAtLastLook = nil
        }
        pendingWrites += 1
        written.futureResult.assumeIsolated().whenComplete { _ in
            self.pendingWrites -= 1
            self.lastProgress = .now()
            if self.pendingWrites == 0 { self.closeIfDeferred(context: context) }
        }
        context.write(data, promise: written)
        bufferedAtLastLook = Self.bufferedBytes(context)
        if nextLook == nil { scheduleLook(context: context, at: .now() + lookInterval) }
    }

    /// Looks are this often while writes are pending, so a stall is seen at most a quarter of the
    /// timeout late, and acknowledgements are compared over short spans.
    private var lookInterval: TimeAmount { .nanoseconds(max(timeout.nanoseconds / 4, 1_000_000)) }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        if deferredClose == nil {
            deferredClose = [promise]
            // What is written but not flushed would never leave.
            context.flush()
        } else {
            deferredClose?.append(promise)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
        // Closed by the peer or below: the close asked for has happened.
        succeedDeferredClose()
        context.fireChannelInactive()
    }

    private func succeedDeferredClose() {
        guard let promises = deferredClose else { return }
        deferredClose = nil
        for promise in promises { promise?.succeed() }
    }

    private func closeIfDeferred(context: ChannelHandlerContext) {
        // The writes failed because the connection went first: the close asked for has happened.
        guard context.channel.isActive else { return succeedDeferredClose() }
        guard let promises = deferredClose else { return }
        deferredClose = nil
        let closed = context.eventLoop.makePromise(of: Void.self)
        for promise in promises { if let promise { closed.futureResult.cascade(to: promise) } }
        context.close(promise: closed)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
        succeedDeferredClose()
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
        if let acked = Self.bytesAcknowledged(context) {
            if let before = ackedAtLastLook, acked > before { lastProgress = .now() }
            ackedAtLastLook = acked
        }
        guard lastProgress + timeout <= .now() else {
            scheduleLook(context: context, at: .now() + lookInterval)
            return
        }
        logger.notice(
            "client stopped reading: connection closed",
            metadata: [
                "\(metadataPrefix)/client": "\(context.remoteAddress?.ipAddress ?? "?")", "\(metadataPrefix)/buffered-bytes": "\(buffered)",
                "\(metadataPrefix)/timeout-seconds": "\(timeout.nanoseconds / 1_000_000_000)",
            ])
        if deferredClose != nil {
            closeIfDeferred(context: context)
        } else {
            context.close(promise: nil)
        }
    }

    private static func bufferedBytes(_ context: ChannelHandlerContext) -> Int {
        (try? context.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// `tcpi_bytes_acked` of the connection's socket; nil where it cannot be read (not a TCP socket
    /// of NIOPosix, not Linux, or a kernel older than 4.1, which fills less of the structure).
    private static func bytesAcknowledged(_ context: ChannelHandlerContext) -> UInt64? {
        #if os(Linux)
        guard let provider = context.channel as? any SocketOptionProvider else { return nil }
        var acked: UInt64?
        // On the channel's event loop the answer is there at once, and so is the callback.
        let info: EventLoopFuture<TCPInfoPrefix> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(IPPROTO_TCP), name: SocketOptionName(TCP_INFO))
        info.assumeIsolated().whenSuccess { acked = $0.bytesAcked }
        return acked.flatMap { $0 == 0 ? nil : $0 }
        #else
        return nil
        #endif
    }
}

#if os(Linux)
/// Linux's `struct tcp_info` (`linux/tcp.h`) up to `tcpi_bytes_acked`, at byte 120 since Linux 4.1;
/// the C library's declaration stops before it. A kernel that fills less leaves it zero.
private struct TCPInfoPrefix: Sendable {
    var head: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    var bytesAcked: UInt64
}
#endif
