import Logging
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
/// for connecting and for each read. The body streams to `<target>.fetching`, renamed into place
/// once complete; an error leaves nothing behind.
///
/// Trust for `https` is the system's CA bundle, or the PEM file `SSL_CERT_FILE` names.
struct JarDownload: Sendable {
    var timeout: TimeAmount
    var trustRootsFile: String?
    var eventLoopGroup: any EventLoopGroup
    /// Larger bodies are refused (a fat jar is a few hundred MiB).
    var maximumBytes: Int64 = 8 << 30

    static let maximumRedirects = 20
    /// Body bytes gathered before one write to the file (the write runs on NIO's thread pool).
    static let writeChunk = 1 << 20

    typealias Failure = DriverFiles.Failure
    typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    init(timeout: TimeAmount, environment: [String: String], eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.timeout = timeout
        self.trustRootsFile = environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        self.eventLoopGroup = eventLoopGroup
    }

    /// Whether this downloader handles `url` (its scheme is `http` or `https`).
    static func handles(_ url: String) -> Bool {
        guard let scheme = JarURL(url)?.scheme?.lowercased() else { return false }
        return scheme == "http" || scheme == "https"
    }

    func download(_ url: String, to target: String, logger: Logger) async throws(Failure) {
        guard var location = HTTPLocation(url) else {
            throw Failure(className: "java.net.MalformedURLException", message: "Not an http(s) URL a worker can fetch: \(url)")
        }
        let temporary = target + ".fetching"
        var redirects = 0
        while true {
            let outcome: Outcome
            do {
                outcome = try await fetch(location, to: temporary)
            } catch {
                unlink(temporary)
                throw error
            }
            switch outcome {
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
            }
        }
    }

    enum Outcome {
        case saved(Int64)
        case redirect(String)
    }

    /// A read that waited longer than the timeout.
    struct ReadTimedOut: Error {}

    /// Turns the idle-read event into an error that ends the response stream.
    final class ReadTimeoutHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPClientResponsePart
        typealias InboundOut = HTTPClientResponsePart

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
                context.fireErrorCaught(ReadTimedOut())
                context.close(promise: nil)
            } else {
                context.fireUserInboundEventTriggered(event)
            }
        }
    }

    private func fetch(_ location: HTTPLocation, to path: String) async throws(Failure) -> Outcome {
        let tls = location.secure ? try tlsContext() : nil
        let connection: Connection
        do {
            let timeout = timeout
            connection = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(timeout)
                .connect(host: location.host, port: location.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls {
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: location.hostIsAddress ? nil : location.host))
                        }
                        try pipeline.addHTTPClientHandlers()
                        try pipeline.addHandler(IdleStateHandler(readTimeout: timeout))
                        try pipeline.addHandler(ReadTimeoutHandler())
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(className: "java.net.ConnectException", message: "Cannot connect to \(location.hostHeader): \(error)")
        }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: location.hostHeader)
                headers.add(name: "User-Agent", value: "spark-worker")
                headers.add(name: "Accept", value: "*/*")
                headers.add(name: "Connection", value: "close")
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: location.target, headers: headers)))
                try await outbound.write(.end(nil))
                return try await receive(inbound, from: location, into: path)
            }
        } catch let failure as Failure {
            throw failure
        } catch is ReadTimedOut {
            throw Failure(className: "java.net.SocketTimeoutException", message: "Read timed out (\(location))")
        } catch let error as NIOSSLError {
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
        _ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>, from location: HTTPLocation, into path: String
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
                guard !answered else { throw Failure(className: "java.io.IOException", message: "\(location) sent a second response") }
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
                    file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
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
                    try await write(&pending, to: file, path: path)
                }
            case .end:
                guard answered else { continue }
                try await write(&pending, to: file, path: path)
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
        throw Failure(className: "java.io.IOException", message: "Premature EOF: the connection to \(location) closed before the response ended")
    }

    private func tooLarge(_ location: HTTPLocation) -> Failure {
        Failure(className: "java.io.IOException", message: "\(location) is larger than \(maximumBytes) bytes")
    }

    /// Writes and empties `buffer`, off the event loops and the cooperative pool.
    private func write(_ buffer: inout ByteBuffer, to file: Int32, path: String) async throws {
        guard buffer.readableBytes > 0 else { return }
        let bytes = buffer
        buffer.clear()
        let error = try await NIOThreadPool.singleton.runIfActive { () -> Int32 in
            bytes.withUnsafeReadableBytes { Daemon.write($0, to: file) } ? 0 : errno
        }
        guard error == 0 else {
            throw Failure(className: "java.io.IOException", message: "Cannot write \(path): \(String(cString: strerror(error)))")
        }
    }
}
