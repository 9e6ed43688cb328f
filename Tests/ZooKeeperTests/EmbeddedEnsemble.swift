import Foundation
import NIOCore
import NIOEmbedded
import Testing
import ZooKeeper
import ZooKeeperClient

/// An in-memory ZooKeeper "ensemble" for `ZooKeeperClient`: each connection is a
/// `NIOAsyncTestingChannel` whose pipeline starts with `InMemoryServerHandler`, a server-side codec
/// that decodes the client's frames and answers from one shared `InMemoryZooKeeper`. Everything
/// runs on one `NIOAsyncTestingEventLoop`, whose clock the test advances.
final class EmbeddedEnsemble: @unchecked Sendable {
    // Mutable state is touched only on `loop` (the handlers run there; tests use `onLoop`).
    let loop: NIOAsyncTestingEventLoop
    var zk = InMemoryZooKeeper()
    /// Hosts whose connections are refused.
    var refusing: Set<String> = []
    /// When set, servers read but never answer (a frozen server).
    var silent = false
    /// When set, requests other than pings are applied but their replies kept until `releaseReplies`.
    var holdingReplies = false
    private var heldReplies: [(handler: InMemoryServerHandler, packet: ZooKeeperServerPacket)] = []
    /// Every packet the servers received, with the host.
    var received: [(host: String, packet: ZooKeeperPacket)] = []
    var handlers: [InMemoryServerHandler] = []
    var negotiatedRange: ClosedRange<Int32> = 2000...20000

    init(loop: NIOAsyncTestingEventLoop) {
        self.loop = loop
    }

    func onLoop<T: Sendable>(_ body: @escaping @Sendable (EmbeddedEnsemble) -> T) async throws -> T {
        try await loop.submit { body(self) }.get()
    }

    var connector: ZooKeeperConnector {
        ZooKeeperConnector { [self] server, eventLoop, timeout, initializer in
            if refusing.contains(server.host) {
                return eventLoop.makeFailedFuture(ChannelError.connectTimeout(timeout))
            }
            let channel = NIOAsyncTestingChannel(loop: loop)
            let handler = InMemoryServerHandler(ensemble: self, host: server.host)
            handlers.append(handler)
            do {
                try channel.pipeline.syncOperations.addHandler(handler)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            let address = try! SocketAddress(ipAddress: "127.0.0.1", port: server.port)
            return initializer(channel)
                .flatMap { channel.pipeline.register() }
                .flatMap { channel.connect(to: address) }
                .map { channel as any Channel }
        }
    }

    /// Sends the replies kept while `holdingReplies` was set, in order, and stops keeping them.
    func releaseReplies() {
        holdingReplies = false
        let replies = heldReplies
        heldReplies = []
        for (handler, packet) in replies { handler.send(packet) }
    }

    fileprivate func reply(_ packet: ZooKeeperServerPacket, from handler: InMemoryServerHandler) {
        if holdingReplies {
            heldReplies.append((handler, packet))
        } else {
            handler.send(packet)
        }
    }

    /// The server side expires `session` (as after a long partition): ephemerals go, its
    /// connections are closed.
    func expire(_ session: Int64) {
        deliver(zk.endSession(session))
        for handler in handlers where handler.session == session { handler.drop() }
    }

    /// Closes every open connection (a server restart).
    func dropAll() {
        for handler in handlers { handler.drop() }
    }

    func deliver(_ notifications: [InMemoryZooKeeper.Notification]) {
        for notification in notifications {
            for handler in handlers where handler.session == notification.session && handler.isOpen {
                handler.send(.notification(zxid: -1, WatcherEvent(type: notification.event.type, state: .syncConnected, path: notification.event.path)))
            }
        }
    }
}

/// The server end of one connection, at the head of the client's pipeline: client writes come in
/// through `write`, answers go out through `fireChannelRead`.
final class InMemoryServerHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    // Touched only on the ensemble's loop.
    unowned let ensemble: EmbeddedEnsemble
    let host: String
    private var context: ChannelHandlerContext?
    private var pending = ByteBuffer()
    private var decoder = ZooKeeperFrameDecoder()
    private var handshakeDone = false
    private(set) var session: Int64?
    private(set) var isOpen = true

    init(ensemble: EmbeddedEnsemble, host: String) {
        self.ensemble = ensemble
        self.host = host
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        isOpen = false
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var bytes = unwrapOutboundIn(data)
        pending.writeBuffer(&bytes)
        promise?.succeed(())
        // Bounded by the bytes written.
        while isOpen, let frame = try? decoder.decode(buffer: &pending) {
            handle(frame)
        }
    }

    func send(_ packet: ZooKeeperServerPacket) {
        guard isOpen, let context else { return }
        context.fireChannelRead(wrapInboundOut(packet.frameBytes))
    }

    func drop() {
        guard isOpen else { return }
        isOpen = false
        context?.close(promise: nil)
    }

    private func handle(_ frame: ByteBuffer) {
        var frame = frame
        guard let packet = try? ZooKeeperPacket.read(frame: &frame, isFirst: !handshakeDone) else {
            drop()
            return
        }
        ensemble.received.append((host, packet))
        if ensemble.silent { return }
        switch packet {
        case .connect(let request):
            handshakeDone = true
            let timeout = min(max(request.timeoutMs, ensemble.negotiatedRange.lowerBound), ensemble.negotiatedRange.upperBound)
            if request.sessionID == 0 {
                let id = ensemble.zk.createSession()
                session = id
                send(.connected(ConnectResponse(timeoutMs: timeout, sessionID: id, password: Self.password(id))))
            } else if ensemble.zk.liveSessions.contains(request.sessionID), request.password == Self.password(request.sessionID) {
                session = request.sessionID
                send(.connected(ConnectResponse(timeoutMs: timeout, sessionID: request.sessionID, password: request.password)))
            } else {
                send(.connected(ConnectResponse(timeoutMs: 0, sessionID: 0, password: Array(repeating: 0, count: 16))))
                drop()
            }
        case .request(let xid, let request):
            guard let session else { return drop() }
            let zxid = ensemble.zk.zxid
            switch request {
            case .ping:
                send(.reply(ReplyHeader(xid: -2, zxid: zxid, err: 0), .empty))
            case .closeSession:
                ensemble.deliver(ensemble.zk.endSession(session))
                send(.reply(ReplyHeader(xid: xid, zxid: ensemble.zk.zxid, err: 0), .empty))
                drop()
            case .setWatches(let watches):
                rearm(watches, session: session)
                send(.reply(ReplyHeader(xid: -8, zxid: zxid, err: 0), .empty))
            default:
                let (result, notifications) = ensemble.zk.apply(request, session: session)
                switch result {
                case .success(let response):
                    ensemble.reply(.reply(ReplyHeader(xid: xid, zxid: ensemble.zk.zxid, err: 0), response), from: self)
                case .failure(let error):
                    ensemble.reply(.reply(ReplyHeader(xid: xid, zxid: ensemble.zk.zxid, err: error.code.rawValue), .empty), from: self)
                }
                ensemble.deliver(notifications)
            }
        }
    }

    /// SetWatches, simplified: re-registers each watch, firing at once if the node is gone (data,
    /// child) or there (exist).
    private func rearm(_ watches: SetWatches, session: Int64) {
        for path in watches.dataWatches {
            if case .failure = ensemble.zk.apply(.exists(path: path, watch: true), session: session).0 {
                send(.notification(zxid: -1, WatcherEvent(type: .nodeDeleted, state: .syncConnected, path: path)))
            }
        }
        for path in watches.existWatches {
            if case .success = ensemble.zk.apply(.exists(path: path, watch: true), session: session).0 {
                send(.notification(zxid: -1, WatcherEvent(type: .nodeCreated, state: .syncConnected, path: path)))
            }
        }
        for path in watches.childWatches {
            if case .failure = ensemble.zk.apply(.getChildren(path: path, watch: true), session: session).0 {
                send(.notification(zxid: -1, WatcherEvent(type: .nodeDeleted, state: .syncConnected, path: path)))
            }
        }
    }

    static func password(_ session: Int64) -> [UInt8] {
        (0..<16).map { UInt8(truncatingIfNeeded: session >> ($0 % 8 * 8)) ^ UInt8($0) }
    }
}

/// Records a client's events while `body` runs (structured: the consumer is a child task).
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [ZooKeeperClientEvent] = []

    var events: [ZooKeeperClientEvent] { lock.withLock { _events } }
    var sessionEvents: [ZooKeeperSessionEvent] {
        events.compactMap { if case .session(let event) = $0 { event } else { nil } }
    }
    var watchEvents: [ZooKeeperWatchEvent] {
        events.compactMap { if case .watch(let event) = $0 { event } else { nil } }
    }

    fileprivate func append(_ event: ZooKeeperClientEvent) { lock.withLock { _events.append(event) } }

    static func recording<T: Sendable>(_ client: ZooKeeperClient, _ body: (EventRecorder) async throws -> T) async throws -> T {
        let recorder = EventRecorder()
        let stream = client.events()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in stream { recorder.append(event) }
            }
            defer { group.cancelAll() }
            return try await body(recorder)
        }
    }
}
