import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import SparkMasterServer
import SparkTestKit
import SparkWebUI
import Testing

/// What the master's HTTP servers do with clients that hold connections: silent connections are
/// closed as Spark's Jetty connectors close them (web UI after 8 s, REST server after 30 s), and
/// the REST server serves at most `spark.master.rest.maxThreads` requests at once.
@Suite(.serialized)
struct ConnectionLimitsTests {
    @Test(.timeLimit(.minutes(2)))
    func silentConnectionsAreClosed() async throws {
        let restPort = try freePort()
        try await MasterServiceWebTests.withMaster(conf: ["spark.master.rest.port": "\(restPort)"]) { _, endpoints in
            let start = ContinuousClock.now
            let web = try await RawConnection.open(port: endpoints.webUiPort)
            let webHalfRequest = try await RawConnection.open(port: endpoints.webUiPort)
            try await webHalfRequest.send("GET /json/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let rest = try await RawConnection.open(port: restPort)
            let restHalfBody = try await RawConnection.open(port: restPort)
            try await restHalfBody.send(
                "POST /v1/submissions/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ac")
            let restKeptAlive = try await RawConnection.open(port: restPort)
            try await restKeptAlive.send("GET /v1/submissions/status/driver-x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await restKeptAlive.waitForText("\"success\" : false")
            #expect(restKeptAlive.text.hasPrefix("HTTP/1.1 200 OK"))

            #expect(await web.waitForClose(within: .seconds(20)), "an idle web UI connection stays open")
            #expect(await webHalfRequest.waitForClose(within: .seconds(5)), "a web UI request whose head never ends stays open")
            let webClosed = ContinuousClock.now - start
            #expect(webClosed >= .seconds(7), "the web UI closed a connection after \(webClosed), before its 8 s")
            #expect(rest.isOpen && restHalfBody.isOpen && restKeptAlive.isOpen, "the REST server closed a connection within 8 s")

            #expect(await rest.waitForClose(within: .seconds(45)), "an idle REST connection stays open")
            #expect(await restHalfBody.waitForClose(within: .seconds(5)), "a REST request whose body never ends stays open")
            #expect(await restKeptAlive.waitForClose(within: .seconds(5)), "an idle kept-alive REST connection stays open")
            let restClosed = ContinuousClock.now - start
            #expect(restClosed >= .seconds(29), "the REST server closed a connection after \(restClosed), before its 30 s")
            #expect(!restHalfBody.text.contains("\"success\" : true"))

            // Both still serve.
            #expect(try await HTTP.request(port: endpoints.webUiPort, "/json/").status == 200)
            #expect(try await HTTP.request(port: restPort, "/v1/submissions/status/driver-x").status == 200)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func restRequestsBeyondMaxThreadsWaitForASlot() async throws {
        let restPort = try freePort()
        let conf = ["spark.master.rest.port": "\(restPort)", "spark.master.rest.maxThreads": "2"]
        try await MasterServiceWebTests.withMaster(conf: conf) { service, _ in
            let limit = try #require(service.restRequests.withLockedValue { $0 })
            // Two submissions whose bodies have not all arrived hold both slots.
            let head = "POST /v1/submissions/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            let body = #"{"action": "CreateSubmissionRequest", "appResource": "#  // cut short: refused as malformed
            var slow: [RawConnection] = []
            for _ in 0..<2 {
                let connection = try await RawConnection.open(port: restPort)
                try await connection.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body.prefix(10))
                slow.append(connection)
            }
            try await waitUntil("both submissions are being served") { limit.servingCount == 2 }

            let status = try await RawConnection.open(port: restPort)
            try await status.send("GET /v1/submissions/status/driver-x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await waitUntil("the status request waits") { limit.waitingCount == 1 }
            try await Task.sleep(for: .seconds(1))
            #expect(status.text.isEmpty, "a third request was served while two held the slots: \(status.text)")
            #expect(limit.servingCount == 2)

            // One submission's body arrives (and is refused); its slot goes to the waiting request.
            try await slow[0].send(String(body.dropFirst(10)))
            try await slow[0].waitForText("Malformed request")
            #expect(slow[0].text.hasPrefix("HTTP/1.1 400 Bad Request"))
            try await status.waitForText("\"success\" : false")
            #expect(status.text.hasPrefix("HTTP/1.1 200 OK"))
            #expect(slow[1].text.isEmpty)
            for connection in slow + [status] { await connection.close() }
            try await waitUntil("every slot is free again") { limit.servingCount == 0 && limit.waitingCount == 0 }
        }
    }
}

/// A daemon's HTTP server holds a bounded number of connections: one more waits, unaccepted and
/// unanswered, until one of them closes, and is then served.
@Suite struct ConnectionCapTests {
    @Test(.timeLimit(.minutes(1)))
    func connectionsBeyondTheCapWaitUntilOneCloses() async throws {
        let router = Router()
        router.get("/ping") { _, _ in "pong" }
        let (server, tasks) = try await DaemonServer.start(router, idleTimeout: .seconds(30), maximumConnections: 2)
        let request = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        var held: [RawConnection] = []
        for _ in 0..<2 {
            let connection = try await RawConnection.open(port: server.port)
            try await connection.send(request)
            try await connection.waitForText("pong")
            held.append(connection)
        }
        // The kernel completes the handshake; the server does not take the connection.
        let third = try await RawConnection.open(port: server.port)
        try await third.send(request)
        try await Task.sleep(for: .seconds(1))
        #expect(third.text.isEmpty, "a connection beyond the cap was served: \(third.text)")
        await held[0].close()
        try await third.waitForText("pong")
        #expect(third.text.hasPrefix("HTTP/1.1 200"))
        for connection in held.dropFirst() + [third] { await connection.close() }
        await DaemonServer.stop(server, tasks)
    }
}

/// A client that asks for a large streamed answer (a gzipped log, say) and stops reading is
/// closed after the idle timeout, as Jetty closes it, so it cannot hold a connection (and its
/// place under the cap) for good. Hummingbird's own idle timer does not run while an answer is
/// streamed; `WriteStallGuard` does.
@Suite struct WriteStallTests {
    @Test(.timeLimit(.minutes(1)))
    func aClientThatStopsReadingIsClosed() async throws {
        let router = Router()
        let slice = ByteBuffer(repeating: 0x61, count: 64 << 10)
        router.get("/large") { _, _ in
            Response(status: .ok, body: ResponseBody(contentLength: 512 * slice.readableBytes) { writer in
                for _ in 0..<512 { try await writer.write(slice) }
                try await writer.finish(nil)
            })
        }
        router.get("/ping") { _, _ in "pong" }
        let (server, tasks) = try await DaemonServer.start(router, idleTimeout: .seconds(1), maximumConnections: 1)
        // Reads nothing: the answer stops in the sockets' buffers.
        let stalled = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: server.port).get()
        try await stalled.writeAndFlush(ByteBuffer(string: "GET /large HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).get()
        // It holds the one connection the server takes; the next is served once the stall is closed.
        let start = ContinuousClock.now
        let next = try await RawConnection.open(port: server.port)
        try await next.send("GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try await next.waitForText("pong", timeout: .seconds(20))
        #expect(ContinuousClock.now - start >= .milliseconds(500))
        await next.close()
        try? await stalled.close()
        await DaemonServer.stop(server, tasks)
    }
}

/// A client that reads a large answer slowly, but steadily, gets all of it, however long that takes
/// beyond the idle timeout: Hummingbird starts its idle timer once an answer's end is queued, and
/// `WriteStallGuard` holds the close that timer asks for until what was written has left (Jetty's
/// idle timeout likewise counts from the last bytes that moved).
@Suite struct SlowReaderTests {
    @Test(.timeLimit(.minutes(1)))
    func aSlowReaderGetsTheWholeAnswer() async throws {
        let (took, idleTimeout) = try await read(length: 12 << 20, idleTimeout: .seconds(2), pause: .milliseconds(10))
        #expect(took > .seconds(3), "the answer arrived in \(took), within 1.5 idle timeouts of \(idleTimeout): the test proves nothing")
    }

    /// Slower than the server's own buffer shows: the kernel's send buffer, autotuned to megabytes on
    /// loopback, has room for more only after a third of it has left, which at this pace takes
    /// longer than the idle timeout. What the client acknowledged (TCP_INFO) still moves.
    @Test(.timeLimit(.minutes(1)))
    func aReaderSlowerThanTheKernelsBufferShowsGetsTheWholeAnswer() async throws {
        let (took, _) = try await read(length: 6 << 20, idleTimeout: .milliseconds(500), pause: .milliseconds(25))
        #expect(took > .seconds(3), "the answer arrived in \(took): the test proves nothing")
    }

    /// Asks for `length` bytes and reads them, one read of at most 16 KiB every `pause`; returns how long it took.
    private func read(length: Int, idleTimeout: TimeAmount, pause: Duration) async throws -> (Duration, TimeAmount) {
        let router = Router()
        router.get("/large") { _, _ in
            Response(status: .ok, headers: [.contentLength: "\(length)"], body: .init(byteBuffer: ByteBuffer(repeating: 0x61, count: length)))
        }
        let (server, tasks) = try await DaemonServer.start(router, idleTimeout: idleTimeout, maximumConnections: 4)
        let received = NIOLockedValueBox(Received())
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 10)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ByteCounter(received: received)) }
            }
            .connect(host: "127.0.0.1", port: server.port).get()
        try await client.writeAndFlush(ByteBuffer(string: "GET /large HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")).get()
        // One read every 10 ms, each of at most the small receive buffer: a few MB/s at best, so the
        // answer takes longer than the idle timeout to arrive. (Much slower, and the write-stall check
        // could see no progress: it watches the server's own buffer, which moves only when the
        // kernel's, autotuned to megabytes on loopback, has room for a third of itself.)
        let start = ContinuousClock.now
        while client.isActive, (received.withLockedValue { $0.bodyBytes } ?? 0) < length, ContinuousClock.now - start < .seconds(40) {
            client.read()
            try await Task.sleep(for: pause)
        }
        let took = ContinuousClock.now - start
        let body = received.withLockedValue { $0.bodyBytes }
        #expect(body == length, "\(body.map(String.init) ?? "no head") bytes of an answer of \(length) arrived in \(took)")
        try? await client.close()
        await DaemonServer.stop(server, tasks)
        return (took, idleTimeout)
    }

    /// What arrived: the head (kept until its end is seen) and the count of every byte.
    private struct Received {
        var head: [UInt8] = []
        var total = 0
        /// Bytes after the head, once its end arrived.
        var bodyBytes: Int? {
            let end: [UInt8] = Array("\r\n\r\n".utf8)
            guard head.count >= 4, let index = (0...(head.count - 4)).first(where: { Array(head[$0..<$0 + 4]) == end }) else { return nil }
            return total - (index + 4)
        }
    }

    private final class ByteCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<Received>

        init(received: NIOLockedValueBox<Received>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            received.withLockedValue { received in
                if received.head.count < 4096 { received.head += buffer.readableBytesView.prefix(4096 - received.head.count) }
                received.total += buffer.readableBytes
            }
        }
    }
}

/// A daemon's HTTP server (`WebUIServer`) on a free loopback port, with the tasks that serve it.
enum DaemonServer {
    static func start(
        _ router: Router<BasicRequestContext>, idleTimeout: TimeAmount, maximumConnections: Int
    ) async throws -> (WebUIServer, NIOLockedValueBox<[Task<Void, Never>]>) {
        var logger = Logger(label: "daemon-server-test")
        logger.logLevel = .warning
        let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
        let server = try await WebUIServer.start(
            serviceName: "Test", responder: router.buildResponder(), idleTimeout: idleTimeout, maximumConnections: maximumConnections,
            host: "127.0.0.1", port: 0, retries: 0, logger: logger, serverLogger: logger
        ) { task in tasks.withLockedValue { $0.append(Task { await task() }) } }
        return (server, tasks)
    }

    static func stop(_ server: WebUIServer, _ tasks: NIOLockedValueBox<[Task<Void, Never>]>) async {
        await server.stop()
        for task in tasks.withLockedValue({ $0 }) { await task.value }
    }
}

/// A TCP connection written and read by hand, to act as a slow or silent client.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    static func open(port: Int) async throws -> RawConnection {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received: received)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// What the server sent so far.
    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    var isOpen: Bool { channel.isActive }

    /// Whether the server closed the connection within `timeout`.
    func waitForClose(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while channel.isActive, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !channel.isActive
    }

    func waitForText(_ needle: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(needle) {
            guard ContinuousClock.now < deadline else { throw ChildProcessError(message: "no \(needle) in \(text)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func close() async { try? await channel.close().get() }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>

        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            received.withLockedValue { $0.append(contentsOf: buffer.readableBytesView) }
        }
    }
}
