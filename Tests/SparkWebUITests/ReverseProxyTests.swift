import Foundation
import Hummingbird
import NIOCore
import SparkMaster
import SparkModel
import SparkTestKit
@testable import SparkWebUI
import Testing

struct ReverseProxyTests {
    // MARK: - Rewriting

    @Test func locations() {
        let rewriter = ReverseProxyRewriter(prefix: "/proxy/worker-1", backendURL: "http://127.0.0.1:8081")
        #expect(rewriter.location("/logPage/?a=b") == "/proxy/worker-1/logPage/?a=b")
        #expect(rewriter.location("http://127.0.0.1:8081/target?x=1") == "/proxy/worker-1/target?x=1")
        #expect(rewriter.location("HTTP://127.0.0.1:8081") == "/proxy/worker-1/")
        #expect(rewriter.location("http://127.0.0.1:80812/x") == "http://127.0.0.1:80812/x")
        #expect(rewriter.location("http://example.com/elsewhere") == "http://example.com/elsewhere")
        #expect(rewriter.location("relative/path") == "relative/path")
        #expect(rewriter.location("//cdn.example/x.js") == "//cdn.example/x.js")
        #expect(rewriter.location("/proxy/worker-1/already") == "/proxy/worker-1/already")

        let gateway = ReverseProxyRewriter(prefix: "https://gw.example/spark/proxy/app-1/", backendURL: "http://10.0.0.5:4040/base")
        #expect(gateway.location("/jobs/") == "https://gw.example/spark/proxy/app-1/jobs/")
        #expect(gateway.location("/base/jobs/") == "https://gw.example/spark/proxy/app-1/jobs/")
        #expect(gateway.location("http://10.0.0.5:4040/base/stages/?id=1") == "https://gw.example/spark/proxy/app-1/stages/?id=1")
        #expect(gateway.location("/spark/proxy/app-1/jobs/") == "/spark/proxy/app-1/jobs/")
    }

    @Test func htmlLinks() {
        let rewriter = ReverseProxyRewriter(prefix: "/proxy/w1", backendURL: "http://127.0.0.1:8081")
        let input = """
            <a href="/logPage/?appId=a&amp;executorId=0">log</a> <A HREF='/static/x.css'>
            <img src=/static/logo.png alt=x> <form method="post" action = "/kill/">
            <a href="relative">r</a> <a href="//cdn.example/y">c</a> <a href="http://127.0.0.1:8081/json">j</a>
            <a href="https://other.example/">o</a> <img srcset="/a.png 1x"> <a data-href="/no">d</a>
            <a href="/proxy/w1/done">done</a> <a href="/unterminated
            """
        let output = String(decoding: rewriter.html(Array(input.utf8)), as: UTF8.self)
        let expected = """
            <a href="/proxy/w1/logPage/?appId=a&amp;executorId=0">log</a> <A HREF='/proxy/w1/static/x.css'>
            <img src=/proxy/w1/static/logo.png alt=x> <form method="post" action = "/proxy/w1/kill/">
            <a href="relative">r</a> <a href="//cdn.example/y">c</a> <a href="/proxy/w1/json">j</a>
            <a href="https://other.example/">o</a> <img srcset="/a.png 1x"> <a data-href="/no">d</a>
            <a href="/proxy/w1/done">done</a> <a href="/unterminated
            """
        #expect(output == expected)
    }

    @Test func splitTargets() {
        #expect(ReverseProxy.split(target: "/proxy/worker-1/logPage/?a=b")! == ("worker-1", "/logPage/?a=b"))
        #expect(ReverseProxy.split(target: "/proxy/app%2D1/")! == ("app-1", "/"))
        #expect(ReverseProxy.split(target: "/proxy/a+b/")! == ("a+b", "/"))
        #expect(ReverseProxy.split(target: "/proxy/worker-1")! == ("worker-1", nil))
        #expect(ReverseProxy.split(target: "/proxy/worker-1?x=1")! == ("worker-1", nil))
        #expect(ReverseProxy.split(target: "/proxy/") == nil)
        #expect(ReverseProxy.split(target: "/json") == nil)
    }

    // MARK: - Forwarding

    /// A server pretending to be a worker's (or driver's) web UI.
    static func backend(port: Int) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/") { request, _ -> Response in
            let html = """
                <!DOCTYPE html><html><head><link rel="stylesheet" href="/static/ui.css"></head><body>
                <a href="/logPage/?appId=app-1&amp;executorId=0&amp;logType=stdout">stdout</a>
                <a href="http://127.0.0.1:\(port)/json/">json</a> <a href="http://127.0.0.1:8080">master</a>
                <form action="/kill/" method="post"></form> seen-accept-encoding=\(request.headers[.acceptEncoding] ?? "none")
                \(String(repeating: "<p>padding so the page is worth compressing</p>\n", count: 100))
                </body></html>
                """
            return Response(status: .ok, headers: [.contentType: "text/html;charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/redirect") { _, _ -> Response in
            Response(status: .found, headers: [.location: "http://127.0.0.1:\(port)/target?from=redirect"])
        }
        router.get("/logPage") { request, _ -> String in
            "log of \(request.uri.queryParameters["appId"] ?? "?") via \(request.head.authority ?? "?") target \(request.head.path ?? "?")\n"
        }
        router.post("/echo") { request, _ -> String in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            return "\(request.method.rawValue) \(request.headers[.contentType] ?? "") \(String(buffer: body)) connection=\(request.headers[.connection] ?? "")"
        }
        router.get("/large") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: .init(byteBuffer: ByteBuffer(repeating: 0x61, count: 3 << 20)))
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .milliseconds(1500))
            return "late\n"
        }
        return router
    }

    /// The master's routes over a master that knows one worker and one running application whose
    /// UIs are the backend on `backendPort`.
    static func masterRouter(backendPort: Int, options: MasterWebOptions) -> (Router<MasterRequestContext>, workerId: String, appId: String) {
        var fixture = MasterFixture()
        fixture.addWorker(port: 41867, cores: 2, memory: 2048, webUi: "http://127.0.0.1:\(backendPort)")
        let appId = fixture.addApp(port: 50001, MasterFixture.application(appUiUrl: "http://127.0.0.1:\(backendPort)"))
        let master = fixture.master
        let now = fixture.now
        let router = MasterWebRoutes.router(
            source: MasterWebSource(snapshot: { master }, now: { now }, killApplication: { _ in }, killDriver: nil), options: options)
        return (router, MasterFixture.workerId(port: 41867), appId)
    }

    @Test(.timeLimit(.minutes(2)))
    func forwardsToWorkerAndApplicationUIs() async throws {
        let backendPort = try freePort()
        let client = BoundedHTTPClient(connectTimeout: .seconds(10), timeout: .seconds(30), maxResponseBytes: 1 << 20)
        let (router, workerId, appId) = Self.masterRouter(
            backendPort: backendPort, options: MasterWebOptions(reverseProxy: true, proxyClient: client))
        try await TestServer.runPair(Self.backend(port: backendPort), on: backendPort, router) { port in
            // The master page links to the proxied UIs.
            let home = try await HTTP.request(port: port, "/")
            #expect(home.text.contains("<a href=\"proxy/\(workerId)/\">\(workerId)</a>"))
            #expect(home.text.contains("<a href=\"proxy/\(appId)/\">Spark shell</a>"))

            for id in [workerId, appId] {
                let page = try await HTTP.request(port: port, "/proxy/\(id)/")
                #expect(page.status == 200)
                #expect(page.header("Content-Type") == "text/html;charset=utf-8")
                #expect(page.text.contains("<link rel=\"stylesheet\" href=\"/proxy/\(id)/static/ui.css\">"))
                #expect(page.text.contains("<a href=\"/proxy/\(id)/logPage/?appId=app-1&amp;executorId=0&amp;logType=stdout\">stdout</a>"))
                #expect(page.text.contains("<a href=\"/proxy/\(id)/json/\">json</a>"))
                #expect(page.text.contains("<a href=\"http://127.0.0.1:8080\">master</a>"))
                #expect(page.text.contains("<form action=\"/proxy/\(id)/kill/\""))
                #expect(page.text.contains("seen-accept-encoding=identity"))
            }

            let log = try await HTTP.request(port: port, "/proxy/\(workerId)/logPage/?appId=app-7&logType=stderr")
            #expect(log.text == "log of app-7 via 127.0.0.1:\(backendPort) target /logPage/?appId=app-7&logType=stderr\n")

            let bare = try await HTTP.request(port: port, "/proxy/\(workerId)")
            #expect(bare.status == 302)
            #expect(bare.header("Location") == "\(workerId)/")

            let redirect = try await HTTP.request(port: port, "/proxy/\(workerId)/redirect")
            #expect(redirect.status == 302)
            #expect(redirect.header("Location") == "/proxy/\(workerId)/target?from=redirect")

            let echo = try await HTTP.request(
                "POST", port: port, "/proxy/\(appId)/echo", headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Connection", "keep-alive")],
                body: "id=1&terminate=true")
            #expect(echo.text == "POST application/x-www-form-urlencoded id=1&terminate=true connection=close")

            // Compressed toward the browser by the master's middleware.
            let gzip = try await HTTP.request(port: port, "/proxy/\(workerId)/", headers: [("Accept-Encoding", "gzip")])
            #expect(gzip.header("Content-Encoding") == "gzip")
            #expect(String(decoding: try Inflate.gunzip(gzip.body), as: UTF8.self).contains("href=\"/proxy/\(workerId)/static/ui.css\""))

            // Bounded: too large a response ends in a gateway error.
            let large = try await HTTP.request(port: port, "/proxy/\(workerId)/large")
            #expect(large.status == 502)
            #expect(large.text.contains("exceeds"))

            let unknown = try await HTTP.request(port: port, "/proxy/worker-unknown/")
            #expect(unknown.status == 404)
        }
    }

    /// A backend slower than the proxy's deadline ends in 504.
    @Test(.timeLimit(.minutes(1)))
    func slowBackend() async throws {
        let backendPort = try freePort()
        let client = BoundedHTTPClient(connectTimeout: .seconds(5), timeout: .milliseconds(300))
        let (router, workerId, _) = Self.masterRouter(backendPort: backendPort, options: MasterWebOptions(reverseProxy: true, proxyClient: client))
        try await TestServer.runPair(Self.backend(port: backendPort), on: backendPort, router) { port in
            let started = ContinuousClock.now
            let slow = try await HTTP.request(port: port, "/proxy/\(workerId)/slow")
            #expect(slow.status == 504)
            #expect(ContinuousClock.now - started < .seconds(1.4))
        }
    }

    @Test func underReverseProxyURL() async throws {
        let backendPort = try freePort()
        let (router, workerId, _) = Self.masterRouter(
            backendPort: backendPort, options: MasterWebOptions(reverseProxy: true, reverseProxyURL: "https://gw.example/spark"))
        try await TestServer.runPair(Self.backend(port: backendPort), on: backendPort, router) { port in
            let home = try await HTTP.request(port: port, "/")
            #expect(home.text.contains("<a href=\"https://gw.example/spark/proxy/\(workerId)/\">\(workerId)</a>"))
            let page = try await HTTP.request(port: port, "/proxy/\(workerId)/")
            #expect(page.text.contains("href=\"https://gw.example/spark/proxy/\(workerId)/logPage/?appId=app-1"))
            let redirect = try await HTTP.request(port: port, "/proxy/\(workerId)/redirect")
            #expect(redirect.header("Location") == "https://gw.example/spark/proxy/\(workerId)/target?from=redirect")
        }
    }

    @Test func unreachableBackendAndDisabledProxy() async throws {
        let deadPort = try freePort()
        let (router, workerId, _) = Self.masterRouter(backendPort: deadPort, options: MasterWebOptions(reverseProxy: true))
        try await TestServer.run(router) { port in
            let page = try await HTTP.request(port: port, "/proxy/\(workerId)/")
            #expect(page.status == 502)
            #expect(page.text.contains("cannot connect"))
        }
        let (plain, _, _) = Self.masterRouter(backendPort: deadPort, options: MasterWebOptions())
        try await TestServer.run(plain) { port in
            #expect(try await HTTP.request(port: port, "/proxy/\(workerId)/").status == 404)
            let home = try await HTTP.request(port: port, "/")
            #expect(home.text.contains("<a href=\"http://127.0.0.1:\(deadPort)/\">\(workerId)</a>"))
        }
    }
}
