import Foundation
import Hummingbird
import SparkTestKit
@testable import SparkWebUI
import Testing

/// The pages in a real browser: they load under their content security policy without a
/// violation, at desktop and phone widths. Set `WEBUI_SCREENSHOTS=<dir>` to keep the screenshots.
@Suite(.serialized, .enabled(if: Chromium.executable() != nil))
struct BrowserTests {
    static func router() -> (Router<MasterRequestContext>, running: String) {
        let (fixture, running, _) = MasterFixture.busy()
        let master = fixture.master
        let now = fixture.now
        var options = MasterWebOptions(version: "4.3.0")
        let environmentPage = EnvironmentPage.Model(
            runtime: [.init("Spark Version", "4.3.0"), .init("Executable", "/app/.build/release/spark-master")],
            sparkProperties: (0..<30).map { .init("spark.setting.\($0)", String(repeating: "value-\($0) ", count: $0 % 7 + 1)) }
                + [.init("spark.authenticate.secret", "*********(redacted)")],
            metricsProperties: [.init("*.sink.servlet.class", "org.apache.spark.metrics.sink.MetricsServlet")], version: "4.3.0")
        options.environmentPage = { environmentPage }
        let router = MasterWebRoutes.router(
            source: MasterWebSource(snapshot: { master }, now: { now }, killApplication: { _ in }, killDriver: { _ in }), options: options)
        // The worker's log page, with a long log (the pager's links above and below it); the
        // master's own log page is at `/logPage` of this router.
        router.get("/worker/logPage") { _, _ in
            let text = (0..<400).map { "24/11/28 02:15:36 INFO Executor: line \($0) of a long log <not markup>\n" }.joined()
            return WebResponses.html(LogPage.render(LogPage.Model(
                logType: "stderr", owner: .executor(appId: "app-20261128021536-0001", executorId: "0"), text: text, start: 102_400,
                end: 102_400 + Int64(text.utf8.count), total: 1_000_000, byteLength: 102_400, masterWebUiURL: "http://127.0.0.1:8080",
                pathEndsWithSlash: true, version: "4.3.0")))
        }
        // A control: an inline script the policy does not allow must be reported.
        router.get("/control") { _, _ in
            WebResponses.html(WebPage.document(title: "control", heading: "control", content: "<script>document.title='ran'</script>"))
        }
        return (router, running)
    }

    /// Runs Chromium on `url`; returns its log (console messages included) and the screenshot size.
    static func browse(_ url: String, width: Int, height: Int, directory: URL, name: String) async throws -> (log: String, png: Data) {
        let chromium = try #require(Chromium.executable())
        let screenshot = directory.appendingPathComponent("\(name).png")
        let browser = try ChildProcess(
            name: "chromium-\(name)", executable: chromium,
            arguments: [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                "--enable-logging=stderr", "--v=0", "--user-data-dir=\(directory.appendingPathComponent("profile-\(name)").path)",
                "--screenshot=\(screenshot.path)", "--window-size=\(width),\(height)", url,
            ],
            logDirectory: directory)
        defer { browser.stop() }
        let status = try await browser.waitForExit(timeout: .seconds(120))
        #expect(status == 0, "chromium failed:\n\(browser.tail())")
        return (browser.log(), try Data(contentsOf: screenshot))
    }

    @Test(.timeLimit(.minutes(4)))
    func pagesLoadUnderTheirPolicy() async throws {
        let keep = ProcessInfo.processInfo.environment["WEBUI_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
        let directory = try keep ?? TestEnvironment.temporaryDirectory("webui-browser")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
        let (router, running) = Self.router()
        try await TestServer.run(router) { port in
            let pages = [
                ("master", "/"), ("application", "/app/?appId=\(running)"), ("worker-log", "/worker/logPage/?appId=a&executorId=0&logType=stderr"),
                ("environment", "/environment/"),
            ]
            for (name, path) in pages {
                for (form, width, height) in [("desktop", 1280, 900), ("phone", 390, 844)] {
                    let (log, png) = try await Self.browse(
                        "http://127.0.0.1:\(port)\(path)", width: width, height: height, directory: directory, name: "\(name)-\(form)")
                    let violations = log.split(separator: "\n").filter { $0.contains("Content Security Policy") }
                    #expect(violations.isEmpty, "\(name) \(form): \(violations)")
                    let size = try #require(Chromium.pngSize(png))
                    #expect(size.width == width && size.height == height)
                    #expect(png.count > 10_000, "\(name) \(form) screenshot only \(png.count) bytes")
                }
            }
            let (control, _) = try await Self.browse(
                "http://127.0.0.1:\(port)/control", width: 800, height: 600, directory: directory, name: "control")
            #expect(control.contains("violates the following Content Security Policy directive"), "the browser log shows no policy reports")
        }
    }
}
