import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SpaceProxy
import SparkTestKit
import Testing

/// Log lines captured from the proxy: message plus metadata, as one searchable string each.
final class LogCapture: Sendable {
    private let recorder = LogRecorder()

    var all: [String] { recorder.lines }

    func logger(label: String) -> Logger { recorder.logger(label: label, level: .info) }

    /// The request lines (one per proxied or answered request).
    var requestLines: [String] { all.filter { $0.hasPrefix("request ") } }

    /// Waits until a request line containing all `fragments` shows up (the line is written after the
    /// response, so a client can see the response slightly before the log).
    func waitForRequestLine(containing fragments: [String], timeout: Duration = .seconds(5)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let line = requestLines.last(where: { line in fragments.allSatisfy { line.contains($0) } }) { return line }
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError(message: "no request log line with \(fragments); lines:\n\(all.joined(separator: "\n"))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A proxy running in-process on 127.0.0.1 for the duration of a test.
struct ProxyUnderTest: Sendable {
    let port: Int
    let logs: LogCapture
    /// Starts the graceful shutdown a SIGTERM would.
    let shutdown: @Sendable () async -> Void

    /// The Basic credentials every test configures: `spark:space`.
    static let user = "spark"
    static let password = "space"
    static let authorization = "Basic " + Data("spark:space".utf8).base64EncodedString()
    /// `spark:{PLAIN}space` plus a bcrypt user, `ops` / `bcrypt-secret` (`htpasswd -nbB -C 5`).
    static let credentials = "spark:{PLAIN}space\nops:$2y$05$UntZqZxrQDJqw9orf5Y/Nu1iozapcNCsszoy.c78Aoc1nqI.NDhBG"

    /// Starts the proxy with `environment` (plus `PORT`, `SPACE_PROXY_BIND=127.0.0.1` and the test
    /// credentials unless given), runs `body`, shuts the proxy down gracefully.
    static func run<T: Sendable>(environment: [String: String], _ body: @Sendable (ProxyUnderTest) async throws -> T) async throws -> T {
        let port = try freePort()
        var merged = [
            "PORT": "\(port)", "SPACE_PROXY_BIND": "127.0.0.1", "SPACE_PROXY_BASIC_AUTH": credentials,
        ]
        for (key, value) in environment { merged[key] = value }
        let configuration = try SpaceProxyConfiguration(environment: merged)
        let logs = LogCapture()
        let (started, continuation) = AsyncStream<Void>.makeStream()
        let service = SpaceProxyService(
            configuration: configuration, logger: logs.logger(label: "space-proxy"),
            onListening: { _ in continuation.yield() })
        return try await ServiceHarness.run(services: [service], started: started, finish: { continuation.finish() }) { shutdown in
            try await body(ProxyUnderTest(port: port, logs: logs, shutdown: shutdown))
        }
    }
}

/// Starts a backend and a proxy that allows it (`SPACE_PROXY_ALLOWED_BACKENDS=127.0.0.1`), with extra
/// proxy environment computed from the backend's port.
func withBackendAndProxy<T: Sendable>(
    environment: @Sendable (Int) -> [String: String] = { _ in [:] },
    _ body: @Sendable (TestBackend, ProxyUnderTest) async throws -> T
) async throws -> T {
    try await TestBackend.run { backend in
        var proxyEnvironment = ["SPACE_PROXY_ALLOWED_BACKENDS": "127.0.0.1"]
        for (key, value) in environment(backend.port) { proxyEnvironment[key] = value }
        return try await ProxyUnderTest.run(environment: proxyEnvironment) { proxy in
            try await body(backend, proxy)
        }
    }
}

/// The suites that run servers, processes or a browser run one after the other: they measure time
/// (timeouts, throughput) and share two cores, so they must not compete with each other.
@Suite("space-proxy integration", .serialized)
enum ProxyIntegration {}
