import Foundation
import SparkTestKit
import Testing

/// An operator's view: a real headless Chromium loads the master's page through space-proxy.
@Suite(.serialized, .enabled(if: (TestEnvironment.sparkHome() != nil && Chromium.executable() != nil) || TestEnvironment.isCI))
struct BrowserThroughProxyTests {
    @Test func theMasterPageThroughTheProxyWithCredentials() async throws {
        let chromium = try #require(Chromium.executable(), "no chromium: run .ci/setup")
        let cluster = try ClusterHarness(name: "browser")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        try await cluster.startWorker(.swift)
        let proxyPort = try freePort()
        let backend = "127.0.0.1:\(cluster.masterWebUIPort)"
        let proxy = try ChildProcess(
            name: "space-proxy", executable: TestEnvironment.product("space-proxy"), arguments: [],
            environment: [
                "PORT": "\(proxyPort)", "SPACE_PROXY_BIND": "127.0.0.1", "SPACE_PROXY_BASIC_AUTH": "spark:{PLAIN}space",
                "SPACE_PROXY_DEFAULT_BACKEND": backend, "SPACE_PROXY_ALLOWED_BACKENDS": backend,
            ],
            logDirectory: cluster.directory)
        defer { proxy.stop() }
        try await waitUntilListening(port: proxyPort)

        // Without credentials: 401, on every route (curl: Foundation's client waits on a Basic challenge).
        for path in ["/", "/json/", "/set-backend/\(backend)"] {
            #expect(try status(of: "http://127.0.0.1:\(proxyPort)\(path)") == "401", "\(path)")
        }
        // With them, an off-space backend is refused.
        #expect(try status(of: "http://spark:space@127.0.0.1:\(proxyPort)/set-backend/example.com:80") == "403")

        // The browser renders the master page (the default backend) through the proxy.
        let screenshot = cluster.directory.appendingPathComponent("master-through-proxy.png")
        let browser = try ChildProcess(
            name: "chromium", executable: chromium,
            arguments: [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--hide-scrollbars", "--user-data-dir=\(cluster.directory.appendingPathComponent("profile").path)",
                "--screenshot=\(screenshot.path)", "--window-size=1280,900", "http://spark:space@127.0.0.1:\(proxyPort)/",
            ],
            logDirectory: cluster.directory)
        defer { browser.stop() }
        #expect(try await browser.waitForExit(timeout: .seconds(120)) == 0, "\(browser.tail())")
        let png = try Data(contentsOf: screenshot)
        let size = try #require(Chromium.pngSize(png), "not a PNG")
        #expect(size.width == 1280 && size.height == 900)
        #expect(png.count > 20_000, "screenshot only \(png.count) bytes")
        print("browser: master page through space-proxy saved to \(screenshot.path) (\(png.count) bytes)")
        // The page the browser got was the master's, with its worker.
        let html = try runCommand("/usr/bin/curl", ["-s", "--max-time", "20", "http://spark:space@127.0.0.1:\(proxyPort)/"]).output
        #expect(html.contains(cluster.masterURL))
        #expect(html.contains("worker-"))
    }

    private func status(of url: String) throws -> String {
        try runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "20", url]).output
    }

    private func waitUntilListening(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? status(of: "http://127.0.0.1:\(port)/")) == "401" { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ChildProcessError(message: "space-proxy did not listen on \(port)")
    }
}
