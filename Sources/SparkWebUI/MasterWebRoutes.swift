import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import SparkMaster
import SparkModel

/// What the master's web UI reads and asks of the running master.
public struct MasterWebSource: Sendable {
    /// The master's state now; nil while it starts.
    public var snapshot: @Sendable () async -> MasterStateMachine?
    /// Epoch milliseconds.
    public var now: @Sendable () -> Int64
    public var killApplication: @Sendable (String) -> Void
    /// Nil when the shell cannot kill drivers: the buttons are hidden and the POST answers 501.
    public var killDriver: (@Sendable (String) -> Void)?
    /// Decommissions the workers on the given hosts and says how many; nil when the shell cannot.
    public var decommissionWorkersOnHosts: (@Sendable ([String]) async -> Int)?

    public init(
        snapshot: @escaping @Sendable () async -> MasterStateMachine?, now: @escaping @Sendable () -> Int64,
        killApplication: @escaping @Sendable (String) -> Void, killDriver: (@Sendable (String) -> Void)?,
        decommissionWorkersOnHosts: (@Sendable ([String]) async -> Int)? = nil
    ) {
        self.snapshot = snapshot
        self.now = now
        self.killApplication = killApplication
        self.killDriver = killDriver
        self.decommissionWorkersOnHosts = decommissionWorkersOnHosts
    }
}

/// The master's web UI settings, read from `spark.*` by the shell.
public struct MasterWebOptions: Sendable {
    /// `spark.ui.killEnabled` (default true).
    public var killEnabled: Bool
    /// `spark://host:port` of the REST server when `spark.master.rest.enabled`.
    public var restURL: String?
    /// `spark.ui.reverseProxy`.
    public var reverseProxy: Bool
    /// `spark.ui.reverseProxyUrl`.
    public var reverseProxyURL: String?
    /// Zone name in `submitdate` (`java.util.Date.toString`).
    public var zoneName: String
    /// Shown in page footers.
    public var version: String?
    /// Compress responses for clients that accept gzip.
    public var gzip: Bool
    /// The proxy's HTTP client (timeouts, response limit).
    public var proxyClient: BoundedHTTPClient
    /// `Content-Type` of `/json`: Spark's Jetty servlets say `text/json`.
    public var jsonContentType: String
    /// The metric documents served (Spark's metrics servlets of the `master` and `applications`
    /// instances; by default JSON at `/metrics/master/json` and `/metrics/applications/json`).
    public var metrics: [MetricsRoute] = []
    /// `spark.master.ui.title`.
    public var title: String?
    /// `spark.master.ui.historyServerUrl`.
    public var historyServerURL: String?
    /// Who may decommission workers by `POST /workers/kill/` (`spark.master.ui.decommission.allow.mode`),
    /// nil without `spark.decommission.enabled`.
    public var decommission: DecommissionAccess?
    /// The environment page's content, made when the page is asked for (redaction runs a regular
    /// expression, which an idle master need not load); nil: no page.
    public var environmentPage: (@Sendable () -> EnvironmentPage.Model)?
    /// Where the master's own log is (`LogFiles.masterLogDirectory`: `SPARK_LOG_DIR`, else `logs/`).
    public var logDirectory = "logs/"

    public enum DecommissionAccess: String, Sendable {
        /// Requests from a loopback address only (Spark's default).
        case local = "LOCAL"
        case allow = "ALLOW"
        case deny = "DENY"
    }

    public init(
        killEnabled: Bool = true, restURL: String? = nil, reverseProxy: Bool = false, reverseProxyURL: String? = nil,
        zoneName: String = "UTC", version: String? = nil, gzip: Bool = true, proxyClient: BoundedHTTPClient = BoundedHTTPClient(),
        jsonContentType: String = "text/json;charset=utf-8"
    ) {
        self.killEnabled = killEnabled
        self.restURL = restURL
        self.reverseProxy = reverseProxy
        self.reverseProxyURL = reverseProxyURL
        self.zoneName = zoneName
        self.version = version
        self.gzip = gzip
        self.proxyClient = proxyClient
        self.jsonContentType = jsonContentType
    }

    var pageOptions: MasterPageOptions {
        MasterPageOptions(
            killEnabled: killEnabled, restURL: restURL,
            links: MasterLinks(reverseProxy: reverseProxy, reverseProxyURL: reverseProxyURL), version: version, title: title,
            historyServerURL: historyServerURL)
    }
}

/// The master's HTTP endpoints (Spark: `MasterWebUI`, `MasterPage`, `ApplicationPage`):
///
/// - `GET /` the master page; `GET /app/?appId=` an application's page
/// - `GET /json`, `/json/` the master's state as Spark 4.3 writes it; `/json/<field>` one of its fields,
///   `/json/clusterutilization` cores and memory used in percent; `GET /app/json/?appId=` one application
/// - `GET /environment/` the master's settings, secrets redacted
/// - `GET /logPage/?self&logType=out` the master's own log (in `SPARK_LOG_DIR`) on a page, `GET /log?…`
///   the same as text
/// - `POST /app/kill/` and `POST /driver/kill/` with `id=<id>&terminate=true` (form or query),
///   when `spark.ui.killEnabled`; redirect back to `/`
/// - `/proxy/<workerId or appId>/…` the worker's or driver's UI, with `spark.ui.reverseProxy`
public enum MasterWebRoutes {
    public static func router(source: MasterWebSource, options: MasterWebOptions) -> Router<MasterRequestContext> {
        // HEAD of every page answers as its GET would, without the body.
        let router = Router(context: MasterRequestContext.self, options: .autoGenerateHeadEndpoints)
        if options.gzip { router.add(middleware: GzipMiddleware()) }
        add(to: router, source: source, options: options)
        return router
    }

    /// Adds the routes to an existing router.
    public static func add(to router: Router<MasterRequestContext>, source: MasterWebSource, options: MasterWebOptions) {
        var settings = options.pageOptions
        settings.canKillDrivers = source.killDriver != nil
        let pageOptions = settings
        let starting: @Sendable () -> Response = {
            WebResponses.text("The master is starting\n", status: .serviceUnavailable)
        }

        router.get("/") { _, _ -> Response in
            guard let master = await source.snapshot() else { return starting() }
            return WebResponses.html(MasterPage.render(master, now: source.now(), options: pageOptions))
        }

        let json: @Sendable (Request, MasterRequestContext) async throws -> Response = { _, _ in
            guard let master = await source.snapshot() else { return starting() }
            return WebResponses.json(
                MasterStatusJSON.render(master, now: source.now(), zoneName: options.zoneName), contentType: options.jsonContentType)
        }
        // The router matches `/json/` here too.
        router.get("/json", use: json)
        // Metrics, at their paths with or without a trailing `/` (Spark redirects to the latter).
        // A path taken by a page stays the page's.
        // Two sinks at one path: the first is served (as Jetty serves the first handler).
        var taken: Set<String> = ["/", "/json", "/app", "/app/json", "/app/kill", "/driver/kill", "/environment", "/log", "/logPage"]
        for route in options.metrics where !route.path.hasPrefix("/proxy/") && !route.path.hasPrefix("/json/") {
            guard taken.insert(route.path).inserted else { continue }
            router.get(RouterPath(route.path)) { _, _ -> Response in
                guard let master = await source.snapshot() else { return starting() }
                let gauges = switch route.source {
                case .master: MetricsDocument.master(master)
                case .applications: MetricsDocument.applications(master, now: source.now())
                case .worker: [MetricsDocument.Gauge]()
                }
                let (body, contentType) = route.response(gauges)
                return WebResponses.text(body, contentType: contentType)
            }
        }
        // Spark 4: the letters after `/json/` (anything after them ignored) name one field, or
        // `clusterutilization`.
        router.get("/json/**") { request, _ -> Response in
            let rest = request.uri.path.dropFirst("/json/".count)
            let field = String(rest.prefix { $0.isASCII && $0.isLetter })
            guard let master = await source.snapshot() else { return starting() }
            let document = switch field {
            case "": MasterStatusJSON.render(master, now: source.now(), zoneName: options.zoneName)
            case "clusterutilization": MasterStatusJSON.clusterUtilization(master)
            default: MasterStatusJSON.render(master, now: source.now(), zoneName: options.zoneName, field: field)
            }
            return WebResponses.json(document, contentType: options.jsonContentType)
        }

        if let environmentPage = options.environmentPage {
            router.get("/environment") { request, _ -> Response in
                WebResponses.html(EnvironmentPage.render(environmentPage(), pathEndsWithSlash: request.uri.path.hasSuffix("/")))
            }
        }
        // Spark's master serves only its own log here, whatever else the query says.
        for path in ["/log", "/logPage"] {
            router.get(RouterPath(path)) { request, _ -> Response in
                let query = request.uri.queryParameters
                let logType = query["logType"].map(String.init)
                let (offset, byteLength): (Int64?, Int64?)
                switch LogFiles.range(offset: query["offset"], byteLength: query["byteLength"]) {
                case .success(let range): (offset, byteLength) = range
                case .failure(let failure): return WebResponses.text(failure.message + "\n", status: failure.status)
                }
                let directory = options.logDirectory
                // Rolled, gzipped logs take a while to read: off the event loops.
                let slice = try await NIOThreadPool.singleton.runIfActive {
                    LogFiles.daemonLog(
                        logType: logType, directory: directory, daemonClass: "org.apache.spark.deploy.master.Master", offset: offset,
                        byteLength: byteLength)
                }
                if path == "/log" { return WebResponses.text(slice.header + slice.text) }
                let endsWithSlash = request.uri.path.hasSuffix("/")
                return WebResponses.html(LogPage.render(.init(
                    logType: logType ?? "null", owner: .daemon("master"), text: slice.text, start: slice.start, end: slice.end,
                    total: slice.total, byteLength: slice.byteLength, masterWebUiURL: endsWithSlash ? "../" : "./",
                    pathEndsWithSlash: endsWithSlash, version: options.version)))
            }
        }

        router.get("/app") { request, _ -> Response in
            let query = FormData(request.uri.query ?? "")
            if !request.uri.path.hasSuffix("/") {
                // Relative links on the page resolve against /app/, so the page lives there.
                return WebResponses.redirect(to: "app/" + HTML.query(query.fields), status: .movedPermanently)
            }
            guard let master = await source.snapshot() else { return starting() }
            guard let id = query["appId"], let app = ApplicationPage.find(id, in: master) else {
                return WebResponses.errorPage(
                    .notFound, title: "Application not found",
                    message: "No application \(query["appId"] ?? "(no appId given)") is known to this master.", home: "../")
            }
            return WebResponses.html(ApplicationPage.render(app, master: master, now: source.now(), options: pageOptions))
        }

        router.get("/app/json") { request, _ -> Response in
            guard let master = await source.snapshot() else { return starting() }
            let query = FormData(request.uri.query ?? "")
            guard let id = query["appId"], let app = ApplicationPage.find(id, in: master) else {
                return WebResponses.json(
                    .object([("error", .string("no such application"))]), status: .notFound, contentType: options.jsonContentType)
            }
            return WebResponses.json(
                ApplicationJSON.render(
                    app, now: source.now(), offsetSeconds: master.configuration.timeZoneOffsetSeconds, zoneName: options.zoneName),
                contentType: options.jsonContentType)
        }

        router.post("/app/kill") { request, context -> Response in
            try await kill(request, context: context, options: options) { id in
                // Spark ignores ids it does not know; so does the master's core.
                source.killApplication(id)
            }
        }
        router.post("/driver/kill") { request, context -> Response in
            guard let killDriver = source.killDriver else {
                guard options.killEnabled else { return killDisabled() }
                return WebResponses.text("Killing drivers from the web UI is not available in this master\n", status: .notImplemented)
            }
            return try await kill(request, context: context, options: options, killDriver)
        }

        // Spark: `POST /workers/kill/?host=<host>[&host=…]` decommissions the workers on those hosts;
        // the path exists only with `spark.decommission.enabled`, and a caller the mode does not
        // allow gets 403 (Spark 4).
        if let access = options.decommission, let decommission = source.decommissionWorkersOnHosts {
            // LOCAL: from an address of this machine (Spark: loopback, wildcard or an interface's).
            let ownAddresses = Self.ownAddresses()
            router.post("/workers/kill") { request, context -> Response in
                let allowed = switch access {
                case .allow: true
                case .local: context.remoteAddress.map { Self.isLocal($0, ownAddresses: ownAddresses) } ?? false
                case .deny: false
                }
                guard allowed else { return WebResponses.text("Decommissioning workers is not allowed\n", status: .forbidden) }
                // A form posted from another site (cross-site request forgery) is refused, as kills are.
                if request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() == "cross-site" {
                    return WebResponses.text("Cross-site decommission requests are refused\n", status: .forbidden)
                }
                return try await decommissionWorkers(request, decommission)
            }
        }

        if options.reverseProxy {
            let proxy = ReverseProxy(client: options.proxyClient, reverseProxyURL: options.reverseProxyURL)
            let handler: @Sendable (Request, MasterRequestContext) async throws -> Response = { request, _ in
                let target = request.head.path ?? request.uri.path
                guard let split = ReverseProxy.split(target: target) else { return WebResponses.text("Not found\n", status: .notFound) }
                guard let master = await source.snapshot() else { return starting() }
                guard let backend = proxyTarget(split.id, in: master) else {
                    return WebResponses.errorPage(
                        .notFound, title: "Not found", message: "No worker or running application \(split.id) is known to this master.")
                }
                guard let remainder = split.remainder else {
                    // `/proxy/<id>` → `/proxy/<id>/`, so the UI's relative links resolve under it.
                    let rest = target.dropFirst("/proxy/".count)
                    let idEnd = rest.firstIndex(of: "?") ?? rest.endIndex
                    return WebResponses.redirect(to: rest[..<idEnd] + "/" + rest[idEnd...], status: .found)
                }
                return await proxy.forward(request, id: split.id, backendURL: backend, remainder: remainder)
            }
            for method in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch, .options] {
                router.on("/proxy/{id}", method: method, use: handler)
                router.on("/proxy/{id}/**", method: method, use: handler)
            }
        }
    }

    /// The UI behind `/proxy/<id>`: a listed worker's, or a running application's driver UI.
    public static func proxyTarget(_ id: String, in master: MasterStateMachine) -> String? {
        if let worker = master.workerList.first(where: { $0.id == id }) { return worker.webUiAddress }
        if let app = master.apps[id], !app.isFinished, !app.desc.appUiUrl.isEmpty { return app.desc.appUiUrl }
        return nil
    }

    /// The hosts of the request (`host=`, from the query and the form), decommissioned.
    static func decommissionWorkers(_ request: Request, _ decommission: @Sendable ([String]) async -> Int) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let form = FormData(request.uri.query ?? "").fields + FormData(String(buffer: body)).fields
        let hosts = form.filter { $0.0 == "host" }.map(\.1)
        let count = await decommission(hosts)
        guard count > 0 else { return WebResponses.text("No worker on \(hosts.joined(separator: ", "))\n", status: .notFound) }
        return WebResponses.text("Decommissioning \(count) worker\(count == 1 ? "" : "s")\n")
    }

    /// Spark's `isLocal` for LOCAL: a loopback or wildcard address, or one of this machine's
    /// interfaces (`ownAddresses`); IPv4-mapped IPv6 addresses as their IPv4 address.
    static func isLocal(_ address: SocketAddress, ownAddresses: Set<String>) -> Bool {
        guard let ip = address.ipAddress.map(Self.unmapped) else { return false }
        return ip == "::1" || ip == "::" || ip == "0.0.0.0" || ip.hasPrefix("127.") || ownAddresses.contains(ip)
    }

    static func unmapped(_ ip: String) -> String {
        let lowered = ip.lowercased()
        return lowered.hasPrefix("::ffff:") && lowered.contains(".") ? String(lowered.dropFirst("::ffff:".count)) : lowered
    }

    /// The addresses of this machine's interfaces, as `isLocal` compares them.
    static func ownAddresses() -> Set<String> {
        Set(((try? System.enumerateDevices()) ?? []).compactMap { $0.address?.ipAddress.map(unmapped) })
    }

    static func killDisabled() -> Response {
        WebResponses.text("Killing is disabled (spark.ui.killEnabled=false)\n", status: .methodNotAllowed)
    }

    /// Spark: `handleAppKillRequest`, `handleDriverKillRequest` — acts only with `terminate=true`.
    static func kill(
        _ request: Request, context: MasterRequestContext, options: MasterWebOptions, _ action: @Sendable (String) -> Void
    ) async throws -> Response {
        guard options.killEnabled else { return killDisabled() }
        // A form posted from another site (cross-site request forgery) is refused.
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!]?.lowercased() == "cross-site" {
            return WebResponses.text("Cross-site kill requests are refused\n", status: .forbidden)
        }
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        var form = FormData(request.uri.query ?? "")
        form.fields += FormData(String(buffer: body)).fields
        if form["terminate"]?.lowercased() == "true", let id = form["id"], !id.isEmpty {
            action(id)
        }
        // Behind the front proxy of `spark.ui.reverseProxyUrl` the master lives at that URL;
        // otherwise the way back is relative, which also holds under any path prefix.
        let proxyURL = options.reverseProxy ? options.reverseProxyURL.map(ReverseProxyRewriter.trimmedBase) : nil
        let home = proxyURL.flatMap { $0.isEmpty ? nil : $0 + "/" } ?? WebResponses.pathToRoot(from: request.uri.path)
        return WebResponses.redirect(to: home)
    }
}
