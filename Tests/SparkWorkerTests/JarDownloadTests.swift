import Foundation
import Logging
import NIOCore
import SparkModel
import SparkTestKit
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// Drivers' `http:`/`https:` jars: URLs and redirect targets as the worker reads them, and
/// downloads from CPython's HTTP server (plain and TLS) through what can go wrong on the way.
@Suite struct HTTPLocationTests {
    @Test func absoluteURLs() {
        #expect(HTTPLocation("http://host/jobs/app.jar") == HTTPLocation(secure: false, host: "host", port: 80, target: "/jobs/app.jar"))
        #expect(HTTPLocation("HTTPS://Host.example:8443/a.jar?v=1#main")
            == HTTPLocation(secure: true, host: "Host.example", port: 8443, target: "/a.jar?v=1"))
        #expect(HTTPLocation("https://user:secret@host/a.jar") == HTTPLocation(secure: true, host: "host", port: 443, target: "/a.jar"))
        #expect(HTTPLocation("http://[::1]:8080/a%20b.jar") == HTTPLocation(secure: false, host: "::1", port: 8080, target: "/a%20b.jar"))
        #expect(HTTPLocation("http://host") == HTTPLocation(secure: false, host: "host", port: 80, target: "/"))
        #expect(HTTPLocation("http://host?x") == HTTPLocation(secure: false, host: "host", port: 80, target: "/?x"))
        #expect(HTTPLocation("http://host/é.jar")?.target == "/%C3%A9.jar")
        for bad in ["ftp://host/a.jar", "http:/host/a.jar", "http://", "http://:80/a", "http://host:0/a", "http://host:65536/a",
                    "http://host:8x/a", "http://ho st/a", "http://host/a b.jar", "http://host/a\n.jar", "http://[::1/a", "http://[::1]x/a",
                    "http://" + String(repeating: "a", count: 8200)] {
            #expect(HTTPLocation(bad) == nil, "\(bad)")
        }
    }

    @Test func hostHeaderAndAddresses() throws {
        #expect(try #require(HTTPLocation("http://host:80/a")).hostHeader == "host")
        #expect(try #require(HTTPLocation("https://host:443/a")).hostHeader == "host")
        #expect(try #require(HTTPLocation("https://host:80/a")).hostHeader == "host:80")
        #expect(try #require(HTTPLocation("http://[::1]:81/a")).hostHeader == "[::1]:81")
        #expect(try #require(HTTPLocation("http://[::1]:81/a")).description == "http://[::1]:81/a")
        #expect(try #require(HTTPLocation("http://127.0.0.1/a")).hostIsAddress)
        #expect(try #require(HTTPLocation("http://[::1]/a")).hostIsAddress)
        #expect(try !#require(HTTPLocation("http://localhost/a")).hostIsAddress)
        #expect(try !#require(HTTPLocation("http://10.0.0.1.example/a")).hostIsAddress)
    }

    /// RFC 3986 §5.4's examples that an HTTP base can have (base `http://a/b/c/d;p?q`).
    @Test func redirectTargetsResolveAsRFC3986() throws {
        let base = try #require(HTTPLocation("http://a/b/c/d;p?q"))
        let cases: [(String, String)] = [
            ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
            ("//g", "http://g/"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"), ("#s", "http://a/b/c/d;p?q"),
            ("g#s", "http://a/b/c/g"), ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("./", "http://a/b/c/"),
            ("..", "http://a/b/"), ("../", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"),
            ("../../g", "http://a/g"), ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."), ("..g", "http://a/b/c/..g"), ("./../g", "http://a/b/g"), ("g/../h", "http://a/b/c/h"),
            ("https://other:8443/x.jar", "https://other:8443/x.jar"),
        ]
        for (reference, expected) in cases {
            #expect(base.resolving(reference)?.description == expected, "\(reference)")
        }
        #expect(base.resolving("ftp://a/x.jar") == nil)
        #expect(base.resolving("g h") == nil)
        #expect(try #require(HTTPLocation("https://a/b/c")).resolving("//g/x")?.secure == true)
    }
}

@Suite(.serialized) struct JarDownloadTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A scratch directory with a 3 MiB "jar" of varied bytes (several write chunks).
    static func jarDirectory(_ name: String) throws -> (URL, Data) {
        let directory = URL(fileURLWithPath: try scratchDirectory(name))
        var generator = SeededRandom(seed: 7)
        let bytes = Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try bytes.write(to: directory.appendingPathComponent("app.jar"))
        return (directory, bytes)
    }

    /// Downloads `path` of the server into a fresh file; the failure, if any.
    func fetch(_ url: String, timeout: TimeAmount = .seconds(10), environment: [String: String] = [:], into directory: URL) async
        -> (Data?, DriverFiles.Failure?)
    {
        let target = directory.appendingPathComponent("fetched-\(UUID().uuidString.prefix(6)).jar").path
        do {
            try await JarDownload(timeout: timeout, environment: environment).download(url, to: target, logger: logger)
        } catch {
            #expect(Self.leftovers(in: directory).isEmpty, "a partial file was left for \(url)")
            #expect(!FileManager.default.fileExists(atPath: target))
            return (nil, error)
        }
        #expect(Self.leftovers(in: directory).isEmpty)
        return (FileManager.default.contents(atPath: target), nil)
    }

    /// Temporary download files left in `directory`.
    static func leftovers(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.contains(".fetching") }
    }

    @Test func plainHTTPThroughRedirectsAndErrors() async throws {
        let (directory, jar) = try Self.jarDirectory("jar-download-http")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await FileHTTPServer.start(serving: directory, logDirectory: directory)
        defer { server.stop() }
        let base = server.baseURL

        #expect(await fetch("\(base)/app.jar", into: directory).0 == jar)
        // Four relative redirects (`../2/app.jar`, …, `/app.jar`), and an absolute one.
        #expect(await fetch("\(base)/redirect/3/app.jar", into: directory).0 == jar)
        #expect(await fetch("\(base)/absolute/app.jar", into: directory).0 == jar)
        // `/redirect/n/` takes n + 1 redirects: 20 are followed, the 21st is not.
        #expect(await fetch("\(base)/redirect/19/app.jar", into: directory).0 == jar)
        let loop = await fetch("\(base)/redirect/20/app.jar", into: directory).1
        #expect(loop?.className == "java.net.ProtocolException" && loop?.message == "Server redirected too many times (20)", "\(String(describing: loop))")

        let missing = await fetch("\(base)/absent.jar", into: directory).1
        #expect(missing?.className == "java.io.FileNotFoundException" && missing?.message == "\(base)/absent.jar")
        let failing = await fetch("\(base)/status/503", into: directory).1
        #expect(failing?.className == "java.io.IOException")
        #expect(failing?.message == "Server returned HTTP response code: 503 for URL: \(base)/status/503")
        let noLocation = await fetch("\(base)/status/302", into: directory).1
        #expect(noLocation?.message.contains("answered 302 without a Location") == true, "\(String(describing: noLocation))")

        // A connection closed before any answer is tried once more, as Java does for a GET.
        #expect(await fetch("\(base)/hangup-once/app.jar", into: directory).0 == jar)
        let hangup = await fetch("\(base)/hangup/app.jar", into: directory).1
        #expect(hangup?.className == "java.net.SocketException", "\(String(describing: hangup))")
        #expect(hangup?.message.hasPrefix("Unexpected end of file from server") == true, "\(String(describing: hangup))")

        let truncated = await fetch("\(base)/truncated/app.jar", into: directory).1
        #expect(truncated?.className == "java.io.IOException", "\(String(describing: truncated))")

        let started = ContinuousClock.now
        let stalled = await fetch("\(base)/stall/app.jar", timeout: .seconds(1), into: directory).1
        #expect(stalled?.className == "java.net.SocketTimeoutException", "\(String(describing: stalled))")
        #expect(ContinuousClock.now - started < .seconds(30))

        // Nothing listens on the port the server had once it is gone.
        server.stop()
        let refused = await fetch("\(base)/app.jar", into: directory).1
        #expect(refused?.className == "java.net.ConnectException", "\(String(describing: refused))")
        #expect(await fetch("ftp://127.0.0.1/app.jar", into: directory).1?.className == "java.net.MalformedURLException")
    }

    @Test func httpsWithTheTrustRootsOfSSLCertFile() async throws {
        let (directory, jar) = try Self.jarDirectory("jar-download-https")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (certificate, key) = try FileHTTPServer.makeCertificate(in: directory)
        let server = try await FileHTTPServer.start(serving: directory, certificate: certificate, key: key, logDirectory: directory)
        defer { server.stop() }
        let trusted = ["SSL_CERT_FILE": certificate.path]

        #expect(await fetch("\(server.baseURL)/app.jar", environment: trusted, into: directory).0 == jar)
        // By name: the certificate is for localhost, checked against the name sent.
        #expect(await fetch("https://localhost:\(server.port)/redirect/2/app.jar", environment: trusted, into: directory).0 == jar)
        // Not trusted by the system's roots.
        let untrusted = await fetch("\(server.baseURL)/app.jar", into: directory).1
        #expect(untrusted?.className == "javax.net.ssl.SSLHandshakeException", "\(String(describing: untrusted))")
        // From https to http is refused before connecting.
        let downgrade = await fetch("\(server.baseURL)/insecure/app.jar", environment: trusted, into: directory).1
        #expect(downgrade?.message.hasSuffix("redirected from https to http (http://127.0.0.1:1/app.jar); refused") == true, "\(String(describing: downgrade))")
        // A trust file that is not there says so.
        let noFile = await fetch("\(server.baseURL)/app.jar", environment: ["SSL_CERT_FILE": directory.path + "/absent.pem"], into: directory).1
        #expect(noFile?.className == "javax.net.ssl.SSLException", "\(String(describing: noFile))")
    }

    /// Two workers of one machine fetching the same jar into a shared directory at once: each
    /// writes its own temporary file, and what ends in place is whole.
    @Test func concurrentDownloadsOfOneTarget() async throws {
        let (directory, jar) = try Self.jarDirectory("jar-download-concurrent")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await FileHTTPServer.start(serving: directory, logDirectory: directory)
        defer { server.stop() }
        let target = directory.appendingPathComponent("shared.jar").path
        let download = JarDownload(timeout: .seconds(10), environment: [:])
        let logger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await download.download("\(server.baseURL)/app.jar", to: target, logger: logger) }
            }
            try await group.waitForAll()
        }
        #expect(FileManager.default.contents(atPath: target) == jar)
        #expect(Self.leftovers(in: directory).isEmpty)
    }

    /// A kill ends a download that is waiting on a silent server at once, timeout or not.
    @Test func cancellationEndsAStalledDownload() async throws {
        let (directory, _) = try Self.jarDirectory("jar-download-cancel")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await FileHTTPServer.start(serving: directory, logDirectory: directory)
        defer { server.stop() }
        let target = directory.appendingPathComponent("stalled.jar").path
        for timeout in [TimeAmount.seconds(120), nil] {
            let cancellation = DownloadCancellation()
            let download = JarDownload(timeout: timeout, environment: [:])
            let logger = logger
            let started = ContinuousClock.now
            let task = Task {
                try await download.download("\(server.baseURL)/stall/app.jar", to: target, cancellation: cancellation, logger: logger)
            }
            try await Task.sleep(for: .milliseconds(700))
            cancellation.cancel()
            await #expect(throws: JarDownload.cancelled) { try await task.value }
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(Self.leftovers(in: directory).isEmpty)
        }
        // Cancelled before it starts: no connection is made.
        let early = DownloadCancellation()
        early.cancel()
        await #expect(throws: JarDownload.cancelled) {
            try await JarDownload(timeout: .seconds(5), environment: [:])
                .download("\(server.baseURL)/app.jar", to: target, cancellation: early, logger: Logger(label: "test"))
        }
    }

    /// The worker's step before each attempt, with an `http:` jar: fetched once, kept for later attempts.
    @Test func driverJarFromHTTP() async throws {
        let (directory, jar) = try Self.jarDirectory("jar-download-driver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await FileHTTPServer.start(serving: directory, logDirectory: directory)
        defer { server.stop() }
        let work = directory.path + "/work/driver-1"
        let launch = DriverLaunch(
            driverId: "driver-1", jarUrl: "\(server.baseURL)/redirect/1/app.jar?download=1", localJarPath: work + "/app.jar",
            argv: ["/bin/true"], environment: [], workingDirectory: work, stdoutPath: work + "/stdout", stderrPath: work + "/stderr",
            stderrHeader: "", resourcesFile: nil)
        try await DriverFilesTests.prepare(launch)
        #expect(FileManager.default.contents(atPath: launch.localJarPath) == jar)
        server.stop()
        // Present: not fetched again (the server is gone).
        try await DriverFilesTests.prepare(launch)
        #expect(FileManager.default.contents(atPath: launch.localJarPath) == jar)
    }
}
