import Foundation
import Hummingbird
import NIOCore
import NIOConcurrencyHelpers
import SparkConfig
import SparkMaster
import SparkModel
@testable import SparkWebUI
import Testing

/// The master's routes over loopback HTTP, from a fixed master state.
struct MasterRoutesTests {
    let fixture: MasterFixture
    let running: String
    let finished: String
    let appKills = NIOLockedValueBox<[String]>([])
    let driverKills = NIOLockedValueBox<[String]>([])

    init() {
        (fixture, running, finished) = MasterFixture.busy()
    }

    func source(killDriver: Bool = true) -> MasterWebSource {
        let master = fixture.master
        let now = fixture.now
        let appKills = appKills
        let driverKills = driverKills
        let killDrivers: @Sendable (String) -> Void = { id in driverKills.withLockedValue { $0.append(id) } }
        return MasterWebSource(
            snapshot: { master }, now: { now }, killApplication: { id in appKills.withLockedValue { $0.append(id) } },
            killDriver: killDriver ? killDrivers : nil)
    }

    func serve<T: Sendable>(
        _ options: MasterWebOptions = MasterWebOptions(), killDriver: Bool = true, _ body: (Int) async throws -> T
    ) async throws -> T {
        try await TestServer.run(MasterWebRoutes.router(source: source(killDriver: killDriver), options: options), body)
    }

    @Test func pages() async throws {
        try await serve { port in
            let home = try await HTTP.request(port: port, "/")
            #expect(home.status == 200)
            #expect(home.header("Content-Type") == "text/html;charset=utf-8")
            #expect(home.header("Content-Security-Policy") == WebPage.contentSecurityPolicy)
            #expect(home.text == MasterPage.render(fixture.master, now: fixture.now, options: MasterPageOptions()))

            let app = try await HTTP.request(port: port, "/app/?appId=\(running)")
            #expect(app.status == 200)
            #expect(app.text.contains("<dt>ID</dt><dd>\(running)</dd>"))
            let completed = try await HTTP.request(port: port, "/app/?appId=\(finished)")
            #expect(completed.status == 200)

            let moved = try await HTTP.request(port: port, "/app?appId=\(running)")
            #expect(moved.status == 301)
            #expect(moved.header("Location") == "app/?appId=\(running)")

            let unknown = try await HTTP.request(port: port, "/app/?appId=app-nope%3Cscript%3E")
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("No application app-nope&lt;script&gt; is known"))
            #expect(try await HTTP.request(port: port, "/app/").status == 404)
            #expect(try await HTTP.request(port: port, "/nothing-here").status == 404)
            let head = try await HTTP.request("HEAD", port: port, "/")
            #expect(head.status == 200, "\(head.status) \(head.headers)")
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func json() async throws {
        try await serve(MasterWebOptions(zoneName: "UTC")) { port in
            let expected = MasterStatusJSON.render(fixture.master, now: fixture.now, zoneName: "UTC").prettyPrinted
            for path in ["/json", "/json/"] {
                let response = try await HTTP.request(port: port, path)
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == "text/json;charset=utf-8")
                #expect(response.text == expected)
            }
            let whole = try #require(try JSONShape.parse(expected) as? [String: Any])
            let entry = try #require((whole["activeapps"] as? [[String: Any]])?.first)
            for path in ["/app/json/?appId=\(running)", "/app/json?appId=\(running)"] {
                let app = try #require(try await HTTP.json(port: port, path) as? [String: Any])
                #expect(NSDictionary(dictionary: app).isEqual(to: entry))
            }
            let missing = try await HTTP.request(port: port, "/app/json/?appId=app-unknown")
            #expect(missing.status == 404)
        }
    }

    @Test func killApplicationAndDriver() async throws {
        let driver = try #require(fixture.master.activeDrivers.first?.id)
        try await serve { port in
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let killed = try await HTTP.request("POST", port: port, "/app/kill/", headers: form, body: "id=\(running)&terminate=true")
            #expect(killed.status == 303)
            #expect(killed.header("Location") == "../../")
            // Without terminate=true nothing happens, as in Spark.
            let ignored = try await HTTP.request("POST", port: port, "/app/kill/", headers: form, body: "id=\(running)")
            #expect(ignored.status == 303)
            // Parameters may come in the query too.
            let byQuery = try await HTTP.request("POST", port: port, "/app/kill?id=\(finished)&terminate=true")
            #expect(byQuery.header("Location") == "../")
            #expect(appKills.withLockedValue { $0 } == [running, finished])

            let driverKilled = try await HTTP.request("POST", port: port, "/driver/kill/", headers: form, body: "id=\(driver)&terminate=true")
            #expect(driverKilled.status == 303)
            #expect(driverKills.withLockedValue { $0 } == [driver])

            let crossSite = try await HTTP.request(
                "POST", port: port, "/app/kill/", headers: form + [("Sec-Fetch-Site", "cross-site")], body: "id=\(running)&terminate=true")
            #expect(crossSite.status == 403)
            #expect(appKills.withLockedValue { $0 }.count == 2)
            #expect(try await HTTP.request("GET", port: port, "/app/kill/").status == 404)
        }
    }

    @Test func killDisabled() async throws {
        try await serve(MasterWebOptions(killEnabled: false)) { port in
            let page = try await HTTP.request(port: port, "/")
            #expect(!page.text.contains("<form"))
            let app = try await HTTP.request(port: port, "/app/?appId=\(running)")
            #expect(!app.text.contains("<form"))
            let kill = try await HTTP.request("POST", port: port, "/app/kill/", body: "id=\(running)&terminate=true")
            #expect(kill.status == 405)
            let driver = try await HTTP.request("POST", port: port, "/driver/kill/", body: "id=x&terminate=true")
            #expect(driver.status == 405)
        }
        #expect(appKills.withLockedValue { $0 }.isEmpty)
        #expect(driverKills.withLockedValue { $0 }.isEmpty)
    }

    @Test func withoutDriverKilling() async throws {
        try await serve(killDriver: false) { port in
            let page = try await HTTP.request(port: port, "/")
            #expect(!page.text.contains("driver/kill/"))
            #expect(page.text.contains("app/kill/"))
            let kill = try await HTTP.request("POST", port: port, "/driver/kill/", body: "id=x&terminate=true")
            #expect(kill.status == 501)
        }
    }

    @Test func redirectUnderReverseProxyURL() async throws {
        try await serve(MasterWebOptions(reverseProxy: true, reverseProxyURL: "https://gw.example/spark/")) { port in
            let killed = try await HTTP.request("POST", port: port, "/app/kill/", body: "id=\(running)&terminate=true")
            #expect(killed.header("Location") == "https://gw.example/spark/")
        }
    }

    /// `POST /workers/kill/?host=…` (Spark's decommission endpoint): only with
    /// `spark.decommission.enabled`, as `spark.master.ui.decommission.allow.mode` allows, the hosts
    /// from the query and the form; 200 when workers were found, 404 when none.
    @Test func decommissioningWorkersByHost() async throws {
        let asked = NIOLockedValueBox<[[String]]>([])
        let master = fixture.master
        let source = MasterWebSource(
            snapshot: { master }, now: { 0 }, killApplication: { _ in }, killDriver: nil,
            decommissionWorkersOnHosts: { hosts in
                asked.withLockedValue { $0.append(hosts) }
                return hosts.contains("127.0.0.1") ? 2 : 0
            })
        func serve(_ access: MasterWebOptions.DecommissionAccess?, _ body: (Int) async throws -> Void) async throws {
            var options = MasterWebOptions()
            options.decommission = access
            try await TestServer.run(MasterWebRoutes.router(source: source, options: options), body)
        }
        // Without spark.decommission.enabled the path is not there; DENY refuses (403, as Spark 4).
        for (access, status) in [(MasterWebOptions.DecommissionAccess?.none, 404), (.deny, 403)] {
            try await serve(access) { port in
                let refused = try await HTTP.request("POST", port: port, "/workers/kill/?host=127.0.0.1")
                #expect(refused.status == status, "\(String(describing: access))")
            }
        }
        #expect(asked.withLockedValue { $0 }.isEmpty)
        for access in [MasterWebOptions.DecommissionAccess.allow, .local] {
            try await serve(access) { port in
                let done = try await HTTP.request(
                    "POST", port: port, "/workers/kill/?host=127.0.0.1", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: "host=other.example")
                #expect(done.status == 200)
                #expect(done.text == "Decommissioning 2 workers\n")
                let none = try await HTTP.request("POST", port: port, "/workers/kill?host=nowhere.example")
                #expect(none.status == 404)
                // A form another site's page posts is refused before anything is read.
                let forged = try await HTTP.request(
                    "POST", port: port, "/workers/kill/?host=127.0.0.1", headers: [("Sec-Fetch-Site", "cross-site")])
                #expect(forged.status == 403)
            }
        }
        #expect(asked.withLockedValue { $0 } == [["127.0.0.1", "other.example"], ["nowhere.example"], ["127.0.0.1", "other.example"], ["nowhere.example"]])
        // LOCAL: loopback peers only (this test's client is one).
        let own: Set<String> = ["10.9.8.7"]
        for (ip, local) in [
            ("127.0.0.1", true), ("::1", true), ("::ffff:127.0.0.9", true), ("10.9.8.7", true), ("::ffff:10.9.8.7", true),
            ("10.1.2.3", false), ("::ffff:10.1.2.3", false), ("2001:db8::1", false),
        ] {
            let address = try SocketAddress(ipAddress: ip, port: 1)
            #expect(MasterWebRoutes.isLocal(address, ownAddresses: own) == local, "\(ip)")
        }
        #expect(MasterWebRoutes.ownAddresses().contains("127.0.0.1"))
    }

    @Test func startingMaster() async throws {
        let router = MasterWebRoutes.router(
            source: MasterWebSource(snapshot: { nil }, now: { 0 }, killApplication: { _ in }, killDriver: nil),
            options: MasterWebOptions())
        try await TestServer.run(router) { port in
            let home = try await HTTP.request(port: port, "/")
            let json = try await HTTP.request(port: port, "/json")
            #expect(home.status == 503)
            #expect(json.status == 503)
        }
    }

    @Test func pathToRoot() {
        #expect(WebResponses.pathToRoot(from: "/") == "./")
        #expect(WebResponses.pathToRoot(from: "/app/kill/") == "../../")
        #expect(WebResponses.pathToRoot(from: "/app/kill") == "../")
        #expect(WebResponses.pathToRoot(from: "/x") == "./")
    }

    /// `/environment/` shows the settings it was given, the secrets redacted; `/logPage/?self` and
    /// `/log?self` read the master's own `.out` file from `SPARK_LOG_DIR`; the front page links both.
    @Test func environmentAndOwnLog() async throws {
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("master-own-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: logs) }
        let text = String(repeating: "INFO Master: <elected> & leading\n", count: 10)
        try text.write(to: logs.appendingPathComponent("spark-me-org.apache.spark.deploy.master.Master-1-host.out"), atomically: true, encoding: .utf8)

        var options = MasterWebOptions(version: "4.3.0")
        options.logDirectory = logs.path
        let environmentPage = EnvironmentPage.Model(
            runtime: [.init("Process ID", "42")],
            sparkProperties: [.init("spark.authenticate.secret", SparkConf.redactionReplacement), .init("spark.master.ui.title", "<b>t</b>")],
            metricsProperties: [.init("*.sink.servlet.path", "/metrics/json")], version: "4.3.0")
        options.environmentPage = { environmentPage }
        try await serve(options) { port in
            let page = try await HTTP.request(port: port, "/environment/")
            #expect(page.status == 200)
            #expect(page.text.contains("<td>spark.authenticate.secret</td><td class=\"wide\">*********(redacted)</td>"))
            #expect(page.text.contains("<td>spark.master.ui.title</td><td class=\"wide\">&lt;b&gt;t&lt;/b&gt;</td>"))
            #expect(page.text.contains("<td>*.sink.servlet.path</td>") && page.text.contains("<a href=\"../\">Back to Master</a>"))
            #expect(try await HTTP.request(port: port, "/environment").text.contains("<a href=\"./\">Back to Master</a>"))

            let log = try await HTTP.request(port: port, "/log?self&logType=out&offset=0&byteLength=32")
            #expect(log.status == 200)
            #expect(log.text == "==== Bytes 0-32 of \(text.utf8.count) of \(logs.path)out ====\nINFO Master: <elected> & leading")
            let logPage = try await HTTP.request(port: port, "/logPage/?self&logType=out")
            #expect(logPage.status == 200)
            #expect(logPage.text.contains("<title>out log page for master</title>"))
            #expect(logPage.text.contains("INFO Master: &lt;elected&gt; &amp; leading"))
            #expect(logPage.text.contains("<a href=\"../log?self=&amp;logType=out&amp;offset=0&amp;byteLength=\(text.utf8.count)\">As text</a>"))
            // Spark's answers: a log type it does not serve is a message in the log's place, a number it
            // cannot read a 400.
            let refused = try await HTTP.request(port: port, "/logPage/?self&logType=../../etc/passwd")
            #expect(refused.status == 200 && refused.text.contains("Error: Log type must be one of stderr, stdout, out"))
            #expect(!refused.text.contains("root:"))
            #expect(try await HTTP.request(port: port, "/log?self&logType=out&offset=ten").status == 400)

            let home = try await HTTP.request(port: port, "/")
            #expect(home.text.contains("<a href=\"environment/\">Environment</a>"))
            #expect(home.text.contains("<a href=\"logPage/?self&amp;logType=out\">Log</a>"))
        }
        // Without a page model there is no page.
        let absent = try await serve { port in try await HTTP.request(port: port, "/environment/").status }
        #expect(absent == 404)
    }
}
