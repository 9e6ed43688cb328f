import Foundation
import NIOCore
import SparkTestKit
import Testing

extension ProxyIntegration {
    /// The `space-proxy` executable as a separate process: startup refusal, streaming with its own memory
    /// measured from /proc, per-request latency, and graceful shutdown on SIGTERM.
    @Suite("space-proxy process", .serialized, .timeLimit(.minutes(5)))
    struct ProxyProcessTests {
        /// `$SPACE_PROXY_EXECUTABLE` (e.g. a release build), else the `space-proxy` SwiftPM built next to
        /// this test bundle.
        static let executable: URL? = {
            if let explicit = ProcessInfo.processInfo.environment["SPACE_PROXY_EXECUTABLE"] {
                return URL(fileURLWithPath: explicit)
            }
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("space-proxy")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
            return nil
        }()

        static var available: Bool { executable != nil || TestEnvironment.isCI }

        static func start(environment: [String: String], name: String = "space-proxy") throws -> (ChildProcess, URL) {
            let executable = try #require(executable, "space-proxy not built: run swift build --build-tests")
            let logs = try TestEnvironment.temporaryDirectory("space-proxy-process")
            var merged = ["SPARK_BASIC_AUTH": "", "SPACE_PROXY_BASIC_AUTH": "", "SPACE_PROXY_ALLOW_ANONYMOUS": ""]
            for (key, value) in environment { merged[key] = value }
            return (try ChildProcess(name: name, executable: executable, arguments: [], environment: merged, logDirectory: logs), logs)
        }

        @Test("refuses to start without credentials", .enabled(if: available))
        func refusesWithoutCredentials() async throws {
            let (process, logs) = try Self.start(environment: ["PORT": "\(try freePort())", "SPACE_PROXY_BIND": "127.0.0.1"])
            defer { try? FileManager.default.removeItem(at: logs) }
            let status = try await process.waitForExit(timeout: .seconds(30))
            #expect(status == 78)
            #expect(process.log().contains("refusing to start"))
            #expect(process.log().contains("SPACE_PROXY_BASIC_AUTH"))
        }

        @Test("streams 50 MiB with bounded memory, then stops cleanly on SIGTERM", .enabled(if: available))
        func streamingAndShutdown() async throws {
            try await TestBackend.run { backend in
                let port = try freePort()
                let (process, logs) = try Self.start(environment: [
                    "PORT": "\(port)", "SPACE_PROXY_BIND": "127.0.0.1", "SPACE_PROXY_BASIC_AUTH": ProxyUnderTest.credentials,
                    "SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\(backend.port)", "SPACE_PROXY_ALLOWED_BACKENDS": "127.0.0.1",
                ])
                defer {
                    process.stop()
                    try? FileManager.default.removeItem(at: logs)
                }
                try await process.waitForLog("listening", timeout: .seconds(30))

                // Warm up, then take the idle figure.
                #expect(try await TestHTTPClient.send(port: port, TestRequest(.GET, "/target")).status == 200)
                let idle = try #require(ProcessMemory.read(pid: process.pid))

                var latencies: [Double] = []
                for _ in 0..<50 {
                    let start = ContinuousClock.now
                    let response = try await TestHTTPClient.send(port: port, TestRequest(.GET, "/target"))
                    #expect(response.status == 200)
                    latencies.append(Self.seconds(ContinuousClock.now - start) * 1000)
                }
                latencies.sort()

                var figures: [String] = []
                for path in ["/large?mb=50", "/large?mb=50&chunked=1"] {
                    let start = ContinuousClock.now
                    let response = try await TestHTTPClient.send(port: port, TestRequest(.GET, path), timeout: .seconds(120))
                    let seconds = Self.seconds(ContinuousClock.now - start)
                    #expect(response.status == 200)
                    #expect(response.bodyBytes == 50 * 1024 * 1024)
                    #expect(response.checksum == TestBackend.chunkChecksum * 800)
                    figures.append("\(path): \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", 50 / seconds)) MiB/s")
                }
                let upload = ContinuousClock.now
                let uploaded = try await TestHTTPClient.send(port: port, TestRequest(.POST, "/upload", body: .pattern(chunks: 800, chunked: false)), timeout: .seconds(120))
                #expect(uploaded.body == "\(800 * 65536) \(TestBackend.chunkChecksum * 800)\n")
                figures.append("upload 50 MiB: \(String(format: "%.2f", Self.seconds(ContinuousClock.now - upload))) s")

                let after = try #require(ProcessMemory.read(pid: process.pid))
                let growth = after.peakResidentBytes - idle.residentBytes
                print(
                    "space-proxy process (\(Self.executable!.path)): RSS idle \(idle.residentBytes >> 20) MiB, peak \(after.peakResidentBytes >> 20) MiB "
                        + "(+\(growth >> 20) MiB); small-request latency p50 \(String(format: "%.2f", latencies[25])) ms, "
                        + "p95 \(String(format: "%.2f", latencies[47])) ms; \(figures.joined(separator: "; "))")
                // 50 MiB went through three times; the proxy's peak grew by a small fraction of that.
                #expect(growth < 24 * 1024 * 1024, "peak RSS grew by \(growth >> 20) MiB")

                process.signal(SIGTERM)
                let status = try await process.waitForExit(timeout: .seconds(20))
                #expect(status == 0)
                #expect(process.log().contains("stopped"))
                #expect(process.log().contains("proxy/status=200"))
                #expect(!process.log().contains("c3Bhcms6c3BhY2U="))
            }
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }
}

extension ProxyIntegration {
    /// A real browser through the proxy: Basic credentials in the URL, `/set-backend` redirect and cookie,
    /// then the backend's page rendered to a PNG.
    @Suite("browser", .serialized, .timeLimit(.minutes(3)))
    struct BrowserTests {
        static var available: Bool { Chromium.executable() != nil || TestEnvironment.isCI }

        @Test("headless Chromium loads a backend page through the proxy", .enabled(if: available))
        func headlessChromium() async throws {
            let chromium = try #require(Chromium.executable(), "no chromium: install Debian's `chromium` package (apt-get install -y chromium)")
            try await withBackendAndProxy { backend, proxy in
                let directory = try TestEnvironment.temporaryDirectory("space-proxy-browser")
                defer { try? FileManager.default.removeItem(at: directory) }
                let screenshot = directory.appendingPathComponent("proxy.png")
                let url = "http://\(ProxyUnderTest.user):\(ProxyUnderTest.password)@127.0.0.1:\(proxy.port)/set-backend/127.0.0.1:\(backend.port)"
                let browser = try ChildProcess(
                    name: "chromium", executable: chromium,
                    arguments: [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                        "--hide-scrollbars", "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
                        "--screenshot=\(screenshot.path)", "--window-size=1280,900", url,
                    ],
                    logDirectory: directory)
                defer { browser.stop() }
                let status = try await browser.waitForExit(timeout: .seconds(120))
                #expect(status == 0, "chromium failed:\n\(browser.tail())")

                let png = try Data(contentsOf: screenshot)
                let size = try #require(Chromium.pngSize(png), "not a PNG")
                #expect(size.width == 1280 && size.height == 900)
                // A blank or error page compresses to a few KiB; the backend's gradient and table do not.
                #expect(png.count > 20_000, "screenshot only \(png.count) bytes")
                print("space-proxy: chromium screenshot \(size.width)x\(size.height), \(png.count) bytes")

                // The browser, not the test, fetched the page from the backend through the proxy.
                let seen = backend.requests.withLockedValue { $0 }
                #expect(seen.contains { $0.hasPrefix("GET / ") && $0.contains("HeadlessChrome") }, "backend saw \(seen)")
                _ = try await proxy.logs.waitForRequestLine(containing: ["proxy/path=/set-backend/127.0.0.1:\(backend.port)", "proxy/status=302"])
                _ = try await proxy.logs.waitForRequestLine(containing: ["proxy/path=/ ", "proxy/status=200", "proxy/backend=127.0.0.1:\(backend.port)"])
            }
        }
    }
}
