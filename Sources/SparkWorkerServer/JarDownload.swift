import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SparkDaemon
import SparkWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Downloads a cluster-mode driver's jar from an `http:` or `https:` URL, as Spark's worker does
/// through `Utils.fetchFile` and Java's `URLConnection`: one GET per URL, redirects followed (at
/// most 20, Java's `http.maxRedirects`; never from `https` to `http`), `spark.files.fetchTimeout`
/// for connecting and for each read (0: none). A connection that ends before any answer is tried
/// once more, as Java retries an unanswered GET on a new connection. The body streams to a file of
/// its own next to the target (workers of one machine may share the directory), written on a thread
/// of the download's own and renamed into place once complete; an error or a cancellation leaves
/// nothing behind.
///
/// Trust for `https` is the system's CA bundle, or the PEM file `SSL_CERT_FILE` names.
struct JarDownload: Sendable {
    /// Nil: no timeout of our own (the system's for connecting, none for reading).
    var timeout: TimeAmount?
    var trustRootsFile: String?
    var eventLoopGroup: any EventLoopGroup
    /// Larger bodies are refused (a fat jar is a few hundred MiB).
    var maximumBytes: Int64 = 8 << 30

    static let maximumRedirects = 20
    /// Body bytes gathered before one write to the file (the write runs on NIO's thread pool).
    static let writeChunk = 1 << 20

    typealias Failure = DriverFiles.Failure
    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    init(timeout: TimeAmount?, environment: [String: String], eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.timeout = timeout
        self.trustRootsFile = environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        self.eventLoopGroup = eventLoopGroup
    }

    /// Whether this downloader handles `url` (its scheme is `http` or `https`).
    static func handles(_ url: String) -> Bool {
        guard let scheme = JarURL(url)?.scheme?.lowercased() else { return false }
        return scheme == "http" || scheme == "https"
    }

    func download(_ url: String, to target: String, cancellation: DownloadCancellation? = nil, logger: Logger) async throws(Failure) {
        guard var location = HTTPLocation(url) else {
            throw Failure(className: "java.net.MalformedURLException", message: "Not an http(s) URL a worker can fetch: \(url)")
        }
        let temporary = DriverFiles.temporaryPath(for: target)
        let writer = NIOThreadPool(numberOfThreads: 1)
        writer.start()
        defer { writer.shutdownGracefully { _ in } }
        var tls: NIOSSLContext?
        var redirects = 0
        var retried = false
        while true {
            if cancellation?.isCancelled == true { throw Self.cancelled }
            if location.secure, tls == nil { tls = try tlsContext() }
            let outcome: Outcome
            do {
                outcome = try await fetch(location, tls: tls, to: temporary, writer: writer, cancellation: cancellation)
            } catch {
                unlink(temporary)
                throw cancellation?.isCancelled == true ? Self.cancelled : error
            }
            switch outcome {
            case .unanswered(let reason):
                guard !retried else {
                    throw Failure(className: "java.net.SocketException", message: "Unexpected end of file from server (\(location): \(reason))")
                }
                retried = true
                logger.info("\(location) closed the connection without answering (\(reason)); trying once more")
            case .saved(let bytes):
                guard rename(temporary, target) == 0 else {
                    let reason = String(cString: strerror(errno))
                    unlink(temporary)
                    throw Failure(className: "java.io.IOException", message: "Cannot rename \(temporary): \(reason)")
                }
                logger.info("Fetched \(bytes) bytes from \(location)")
                return
            case .redirect(let reference):
                redirects += 1
                guard redirects <= Self.maximumRedirects else {
                    throw Failure(className: "java.net.ProtocolException", message: "Server redirected too many times (\(Self.maximumRedirects))")
                }
                guard let next = location.resolving(reference) else {
                    throw Failure(className: "java.io.IOException", message: "\(location) redirected to an address this worker cannot fetch: \(reference)")
                }
                guard next.secure || !location.secure else {
                    throw Failure(className: "java.io.IOException", message: "\(location) redirected from https to http (\(next)); refused")
                }
                logger.info("Following the redirect from \(location) to \(next)")
                location = next
                retried = false
            }
        }
    }

    static let cancelled = Failure(className: "java.lang.InterruptedException", message: "The download was cancelled")

    enum Outcome {
        case saved(Int64)
        case redirect(String)
        /// The connection ended before any response: the request could not be written, or no head came.
        case unanswered(String)
    }

    /// Raised inside an exchange that ended before any response head.
    struct Unanswered: Error {
        var reason: String
    }

    /// A read that waited longer than the timeout.
    struct ReadTimedOut: Error {}

    /// Turns the idle-read event into an error that ends the response stream. Next to the socket:
    /// any bytes (a TLS handshake, a slow response head) count as reads.
    final class ReadTimeoutHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
                context.fireErrorCaught(ReadTimedOut())
                context.close(promise: nil)
            } else {
                context.fireUserInboundEventTriggered(event)
            }
        }
    }

    private func fetch(
        _ location: HTTPLocation, tls: NIOSSLContext?, to path: String, writer: NIOThreadPool, cancellation: DownloadCancellation?
    ) async throws(Failure) -> Outcome {
        let connection: Connection
        do {
            let timeout = timeout
            connection = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(timeout ?? .minutes(5))
                .connect(host: location.host, port: location.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let timeout {
                            try pipeline.addHandler(IdleStateHandler(readTimeout: timeout))
                            try pipeline.addHandler(ReadTimeoutHandler())
                        }
                        if let tls {
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: location.hostIsAddress ? nil : location.host))
                        }
                        try pipeline.addHTTPClientHandlers()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(className: "java.net.ConnectException", message: "Cannot connect to \(location.hostHeader): \(error)")
        }
        guard cancellation?.attach(connection.channel) != false else {
            connection.channel.close(promise: nil)
            throw Self.cancelled
        }
        defer { cancellation?.detach() }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: location.hostHeader)
                headers.add(name: "User-Agent", value: "spark-worker")
                headers.add(name: "Accept", value: "*/*")
                headers.add(name: "Connection", value: "close")
                do {
                    try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: location.target, headers: headers)))
                    try await outbound.write(.end(nil))
                } catch {
                    throw Unanswered(reason: "\(error)")
                }
                return try await receive(inbound, from: location, into: path, writer: writer)
            }
        } catch let failure as Failure {
            throw failure
        } catch let unanswered as Unanswered {
            return .unanswered(unanswered.reason)
        } catch is ReadTimedOut {
            throw Failure(className: "java.net.SocketTimeoutException", message: "Read timed out (\(location))")
        } catch NIOSSLError.uncleanShutdown {
            throw Failure(className: "java.io.IOException", message: "Premature EOF: \(location) closed the connection without ending TLS")
        } catch let error as NIOSSLError {
            throw Failure(className: "javax.net.ssl.SSLHandshakeException", message: "\(location): \(error)")
        } catch let error as NIOSSLExtraError {
            throw Failure(className: "javax.net.ssl.SSLHandshakeException", message: "\(location): \(error)")
        } catch let error as BoringSSLError {
            throw Failure(className: "javax.net.ssl.SSLHandshakeException", message: "\(location): \(error)")
        } catch {
            throw Failure(className: "java.io.IOException", message: "\(location): \(error)")
        }
    }

    private func tlsContext() throws(Failure) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let trustRootsFile { configuration.trustRoots = .file(trustRootsFile) }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw Failure(className: "javax.net.ssl.SSLException", message: "Cannot set up TLS (trust roots \(trustRootsFile ?? "of the system")): \(error)")
        }
    }

    /// Reads one response: a 200's body into `path`, a redirect's `Location`, or the error Java's
    /// `HttpURLConnection.getInputStream` would throw.
    private func receive(
        _ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>, from location: HTTPLocation, into path: String,
        writer: NIOThreadPool
    ) async throws -> Outcome {
        var file: Int32 = -1
        defer { if file >= 0 { close(file) } }
        var expected: Int64?
        var received: Int64 = 0
        var pending = ByteBuffer()
        var answered = false
        for try await part in inbound {
            switch part {
            case .head(let head):
                // Informational answers (100 Continue) come before the real one.
                if head.status.code < 200 { continue }
                answered = true
                switch head.status.code {
                case 200:
                    if let length = head.headers.first(name: "Content-Length") {
                        guard let value = Int64(length), value >= 0 else {
                            throw Failure(className: "java.io.IOException", message: "\(location) sent Content-Length \(length)")
                        }
                        guard value <= maximumBytes else { throw tooLarge(location) }
                        expected = value
                    }
                    file = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
                    guard file >= 0 else {
                        throw Failure(className: "java.io.IOException", message: "Cannot create \(path): \(String(cString: strerror(errno)))")
                    }
                case 301, 302, 303, 307, 308:
                    guard let target = head.headers.first(name: "Location"), !target.isEmpty else {
                        throw Failure(className: "java.io.IOException", message: "\(location) answered \(head.status.code) without a Location")
                    }
                    return .redirect(target)
                case 404, 410:
                    throw Failure(className: "java.io.FileNotFoundException", message: location.description)
                default:
                    throw Failure(className: "java.io.IOException", message: "Server returned HTTP response code: \(head.status.code) for URL: \(location)")
                }
            case .body(var chunk):
                guard file >= 0 else { continue }
                received += Int64(chunk.readableBytes)
                guard received <= maximumBytes else { throw tooLarge(location) }
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= Self.writeChunk {
                    try await write(&pending, to: file, path: path, writer: writer)
                }
            case .end:
                guard file >= 0 else { continue }
                try await write(&pending, to: file, path: path, writer: writer)
                if let expected, expected != received {
                    throw Failure(className: "java.io.IOException", message: "Premature EOF: \(received) of \(expected) bytes from \(location)")
                }
                let descriptor = file
                file = -1
                guard close(descriptor) == 0 else {
                    throw Failure(className: "java.io.IOException", message: "Cannot write \(path): \(String(cString: strerror(errno)))")
                }
                return .saved(received)
            }
        }
        guard answered else { throw Unanswered(reason: "the connection closed before a response") }
        throw Failure(className: "java.io.IOException", message: "Premature EOF: the connection to \(location) closed before the response ended")
    }

    private func tooLarge(_ location: HTTPLocation) -> Failure {
        Failure(className: "java.io.IOException", message: "\(location) is larger than \(maximumBytes) bytes")
    }

    /// Writes and empties `buffer` on the download's own thread (off the event loops, the
    /// cooperative pool and the shared thread pool, whose long jobs would stall the reads).
    private func write(_ buffer: inout ByteBuffer, to file: Int32, path: String, writer: NIOThreadPool) async throws {
        guard buffer.readableBytes > 0 else { return }
        let bytes = buffer
        buffer.clear()
        let error = try await writer.runIfActive { () -> Int32 in
            // A write of nothing sets no errno.
            bytes.withUnsafeReadableBytes { Daemon.write($0, to: file) } ? 0 : (errno == 0 ? EIO : errno)
        }
        guard error == 0 else {
            throw Failure(className: "java.io.IOException", message: "Cannot write \(path): \(String(cString: strerror(error)))")
        }
    }
}

/// Ends a download early (the driver it is for was killed): closes its connection and makes it
/// throw `JarDownload.cancelled`.
final class DownloadCancellation: Sendable {
    private let state = NIOLockedValueBox<(cancelled: Bool, channel: (any Channel)?)>((false, nil))

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    func cancel() {
        let channel = state.withLockedValue { state -> (any Channel)? in
            state.cancelled = true
            defer { state.channel = nil }
            return state.channel
        }
        channel?.close(promise: nil)
    }

    /// The connection `cancel()` closes; false when already cancelled.
    func attach(_ channel: any Channel) -> Bool {
        state.withLockedValue { state in
            guard !state.cancelled else { return false }
            state.channel = channel
            return true
        }
    }

    func detach() { state.withLockedValue { $0.channel = nil } }
}
