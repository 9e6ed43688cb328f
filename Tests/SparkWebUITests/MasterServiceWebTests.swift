import Foundation
import NIOCore
import NIOPosix
import SparkConfig
import SparkMaster
import SparkMasterServer
import SparkModel
import SparkTestKit
@testable import SparkWebUI
import Testing

/// The web UI of a whole `MasterService` in this process, with an application registered over
/// RPC by a Swift driver.
@Suite(.serialized)
struct MasterServiceWebTests {
    static func withMaster<T: Sendable>(
        conf: [String: String] = [:], port: Int? = nil, webUiPort: Int? = nil, environment: [String: String] = [:],
        _ body: (MasterService, MasterService.Endpoints) async throws -> T
    ) async throws -> T {
        // The REST server on a free port unless the test chooses one (Spark 4's default is 6066).
        let conf = conf["spark.master.rest.port"] == nil ? conf.merging(["spark.master.rest.port": "0"]) { $1 } : conf
        var settings = MasterService.Settings(
            host: "127.0.0.1", port: try port ?? freePort(), webUiPort: try webUiPort ?? freePort(), conf: SparkConf(conf))
        settings.environment = environment
        let service = MasterService(settings: settings)
        return try await ServiceRunner.run([service]) {
            let endpoints = try await service.endpoints()
            try await waitUntil("the master leads") { await service.snapshot()?.state == .alive }
            return try await body(service, endpoints)
        }
    }

    static func appState(_ service: MasterService, _ id: String) async -> ApplicationState? {
        guard let master = await service.snapshot() else { return nil }
        return master.apps[id]?.state ?? master.completedApps.last { $0.id == id }?.state
    }

    @Test(.timeLimit(.minutes(2)))
    func killFromTheWebUIEndsTheApplication() async throws {
        let driver = try await FakeDriver.start()
        do {
            try await Self.withMaster { service, endpoints in
                let port = endpoints.webUiPort
                let appId = try await driver.register(
                    MasterFixture.application(name: "kill me <now>", memory: 512, appUiUrl: "http://127.0.0.1:4040"),
                    masterPort: Int(endpoints.rpc.port))
                #expect(await Self.appState(service, appId) == .waiting)

                let home = try await HTTP.request(port: port, "/", headers: [("Accept-Encoding", "gzip")])
                #expect(home.status == 200)
                #expect(home.header("Content-Encoding") == "gzip")
                let html = String(decoding: try Inflate.gunzip(home.body), as: UTF8.self)
                #expect(html.contains("<title>Spark Master at \(endpoints.masterUrl)</title>"))
                #expect(html.contains("<a href=\"app/?appId=\(appId)\">\(appId)</a><form class=\"kill\""))
                #expect(html.contains("kill me &lt;now&gt;"))
                // MasterService cannot kill drivers from the web UI yet.
                #expect(!html.contains("driver/kill/"))

                let json = try #require(try await HTTP.json(port: port, "/json/") as? [String: Any])
                #expect((json["activeapps"] as? [[String: Any]])?.first?["id"] as? String == appId)
                #expect(json["url"] as? String == endpoints.masterUrl)
                let app = try #require(try await HTTP.json(port: port, "/app/json/?appId=\(appId)") as? [String: Any])
                #expect(app["state"] as? String == "WAITING")

                let killed = try await HTTP.request(
                    "POST", port: port, "/app/kill/", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                    body: "id=\(HTML.queryComponent(appId))&terminate=true")
                #expect(killed.status == 303)
                #expect(killed.header("Location") == "../../")
                try await waitUntil("the application is killed") { await Self.appState(service, appId) == .killed }
                try await waitUntil("the driver hears of it") {
                    driver.messages.contains { if case .applicationRemoved = $0 { return true } else { return false } }
                }
                let after = try #require(try await HTTP.json(port: port, "/json") as? [String: Any])
                #expect((after["activeapps"] as? [Any])?.isEmpty == true)
                #expect((after["completedapps"] as? [[String: Any]])?.first?["state"] as? String == "KILLED")
                let page = try await HTTP.request(port: port, "/app/?appId=\(appId)")
                #expect(page.text.contains("<span class=\"state s-bad\">KILLED</span>"))
            }
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func takenPortsMoveTheMasterToNextOnes() async throws {
        // Spark's `startServiceOnPort`: the next of `spark.port.maxRetries` ports, for the RPC port and the web UI.
        var taken: [any Channel] = []
        do {
            for _ in 0..<2 {
                taken.append(try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get())
            }
            let rpcPort = try #require(taken[0].localAddress?.port), webPort = try #require(taken[1].localAddress?.port)
            try await Self.withMaster(conf: ["spark.port.maxRetries": "8"], port: rpcPort, webUiPort: webPort) { _, endpoints in
                #expect(Int(endpoints.rpc.port) != rpcPort && (rpcPort + 1...rpcPort + 8).contains(Int(endpoints.rpc.port)))
                #expect(endpoints.webUiPort != webPort && (webPort + 1...webPort + 8).contains(endpoints.webUiPort))
                #expect(endpoints.webUiUrl.hasSuffix(":\(endpoints.webUiPort)"))
                let json = try #require(try await HTTP.json(port: endpoints.webUiPort, "/json/") as? [String: Any])
                #expect(json["status"] as? String == "ALIVE")
                #expect(json["url"] as? String == "spark://127.0.0.1:\(endpoints.rpc.port)")
            }
        } catch {
            for channel in taken { try? await channel.close().get() }
            throw error
        }
        for channel in taken { try await channel.close().get() }
    }

    /// Sinks of both instances at one path (Prometheus for `*` only, the applications' JSON at
    /// the master's path): the master's are served there, and the master starts.
    @Test(.timeLimit(.minutes(1)))
    func metricsSinksSharingAPathServeTheFirst() async throws {
        try await Self.withMaster(conf: [
            "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
            "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
            "spark.metrics.conf.applications.sink.servlet.path": "/metrics/master/json/",
        ]) { _, endpoints in
            let prometheus = try await HTTP.request(port: endpoints.webUiPort, "/metrics/prometheus")
            #expect(prometheus.status == 200)
            #expect(prometheus.text.hasPrefix("metrics_master_aliveWorkers_Number{type=\"gauges\"} 0\n"))
            let json = try await HTTP.request(port: endpoints.webUiPort, "/metrics/master/json")
            #expect(json.text.contains("\"master.workers\":{\"value\":0}"))
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func settingsFromSparkConf() async throws {
        let driver = try await FakeDriver.start()
        do {
            let restPort = try freePort()
            try await Self.withMaster(conf: [
                "spark.ui.killEnabled": "false", "spark.master.rest.enabled": "true", "spark.master.rest.port": "\(restPort)",
                "spark.ui.reverseProxy": "true", "spark.ui.reverseProxyUrl": "https://gw.example/spark/",
                "spark.master.ui.title": "Cluster One",
            ]) { service, endpoints in
                let port = endpoints.webUiPort
                let appId = try await driver.register(
                    MasterFixture.application(appUiUrl: "http://127.0.0.1:4040"), masterPort: Int(endpoints.rpc.port))
                let home = try await HTTP.request(port: port, "/")
                #expect(!home.text.contains("<form"))
                #expect(home.text.contains("<title>Cluster One</title>"))
                #expect(home.text.contains("<dt>REST URL</dt><dd>spark://127.0.0.1:\(restPort) "))
                #expect(home.text.contains("<a href=\"https://gw.example/spark/proxy/\(appId)/\">Spark shell</a>"))
                let kill = try await HTTP.request("POST", port: port, "/app/kill/", body: "id=\(appId)&terminate=true")
                #expect(kill.status == 405)
                try await Task.sleep(for: .milliseconds(300))
                #expect(await Self.appState(service, appId) == .waiting)
            }
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
    }
}
