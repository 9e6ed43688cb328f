import HTTPTypes
import NIOCore
import NIOHTTP1
import Testing

@testable import SpaceProxy

@Suite("configuration")
struct ConfigurationTests {
    @Test("refuses to start without credentials unless anonymous access is explicit")
    func credentialsRequired() throws {
        let error = try #require(throws: SpaceProxyError.self) { try SpaceProxyConfiguration(environment: ["PORT": "5000"]) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("SPACE_PROXY_BASIC_AUTH"))
        #expect(error.description.contains("SPACE_PROXY_ALLOW_ANONYMOUS"))

        let anonymous = try SpaceProxyConfiguration(environment: ["PORT": "5000", "SPACE_PROXY_ALLOW_ANONYMOUS": "true"])
        #expect(anonymous.users == nil)
        #expect(throws: SpaceProxyError.self) {
            try SpaceProxyConfiguration(environment: ["PORT": "5000", "SPACE_PROXY_ALLOW_ANONYMOUS": "yes please"])
        }
    }

    @Test("reads the seed's SPARK_BASIC_AUTH; SPACE_PROXY_BASIC_AUTH wins")
    func credentialNames() throws {
        let seed = try SpaceProxyConfiguration(environment: ["PORT": "5000", "SPARK_BASIC_AUTH": "spark:{PLAIN}space"])
        #expect(seed.users?.verify(user: "spark", password: "space") == true)
        let both = try SpaceProxyConfiguration(
            environment: ["PORT": "5000", "SPARK_BASIC_AUTH": "spark:{PLAIN}space", "SPACE_PROXY_BASIC_AUTH": "ops:{PLAIN}x"])
        #expect(both.users?.entries.map(\.user) == ["ops"])
        // Credentials still apply when anonymous access is also allowed.
        let withAnonymous = try SpaceProxyConfiguration(
            environment: ["SPACE_PROXY_BASIC_AUTH": "ops:{PLAIN}x", "SPACE_PROXY_ALLOW_ANONYMOUS": "true"])
        #expect(withAnonymous.users != nil)
    }

    @Test("defaults")
    func defaults() throws {
        let configuration = try SpaceProxyConfiguration(environment: ["SPACE_PROXY_BASIC_AUTH": "a:{PLAIN}b"])
        #expect(configuration.port == 8080)
        #expect(configuration.bindHost == "0.0.0.0")
        #expect(configuration.backendTimeout == .seconds(60))
        #expect(configuration.connectTimeout == .seconds(10))
        #expect(configuration.clientTimeout == .seconds(30))
        #expect(configuration.policy.defaultBackend == nil)
        #expect(configuration.realm == "Spark in Space")
    }

    @Test("everything set")
    func everything() throws {
        let configuration = try SpaceProxyConfiguration(environment: [
            "PORT": "5001", "SPACE_PROXY_BIND": "127.0.0.1", "SPACE_PROXY_BASIC_AUTH": "a:{PLAIN}b",
            "SPACE_PROXY_DEFAULT_BACKEND": "1.master.my-app.app.localspace:8080",
            "SPACE_PROXY_ALLOWED_BACKENDS": "127.0.0.1, *.internal.example:8081 ,metrics:9090",
            "SPACE_PROXY_BACKEND_TIMEOUT": "2.5", "SPACE_PROXY_CONNECT_TIMEOUT": "1", "SPACE_PROXY_CLIENT_TIMEOUT": "7",
            "SPACE_PROXY_MAX_CONNECTIONS": "10", "SPACE_PROXY_MAX_HEADERS": "50", "SPACE_PROXY_MAX_HEADER_BYTES": "4096",
            "SPACE_PROXY_REALM": "Ops \"only\"",
        ])
        #expect(configuration.port == 5001)
        #expect(configuration.policy.defaultBackend == (try BackendAddress(host: "1.master.my-app.app.localspace", port: 8080)))
        #expect(configuration.policy.rules == [.host("127.0.0.1", port: nil), .suffix(".internal.example", port: 8081), .host("metrics", port: 9090)])
        #expect(configuration.backendTimeout == .milliseconds(2500))
        #expect(configuration.maximumHeaderCount == 50)
        #expect(LocalResponse.unauthorized(realm: configuration.realm).headerFields[.wwwAuthenticate] == "Basic realm=\"Ops only\", charset=\"UTF-8\"")
    }

    @Test("bad values name their variable", arguments: [
        ("PORT", "0"), ("PORT", "http"), ("SPACE_PROXY_BACKEND_TIMEOUT", "-1"), ("SPACE_PROXY_BACKEND_TIMEOUT", "soon"),
        ("SPACE_PROXY_DEFAULT_BACKEND", "example.com"), ("SPACE_PROXY_DEFAULT_BACKEND", "host:99999"),
        ("SPACE_PROXY_ALLOWED_BACKENDS", "ok, bad host"), ("SPACE_PROXY_BASIC_AUTH", "spark:nohash"),
        ("SPACE_PROXY_MAX_HEADERS", "1"),
    ])
    func badValues(_ name: String, _ value: String) throws {
        var environment = ["SPACE_PROXY_BASIC_AUTH": "a:{PLAIN}b"]
        environment[name] = value
        let error = try #require(throws: SpaceProxyError.self) { try SpaceProxyConfiguration(environment: environment) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains(name))
    }
}

@Suite("backend addresses and policy")
struct BackendPolicyTests {
    @Test("parsing", arguments: [
        ("1.master.my-app.app.localspace:8080", "1.master.my-app.app.localspace", 8080),
        ("1.MASTER.My-App.app.localspace.:8080", "1.master.my-app.app.localspace", 8080),
        ("127.0.0.1:1", "127.0.0.1", 1),
        ("[::1]:65535", "::1", 65535),
        ("localhost:4040", "localhost", 4040),
    ])
    func parsing(_ text: String, _ host: String, _ port: Int) throws {
        let backend = try BackendAddress(parsing: text)
        #expect(backend.host == host)
        #expect(backend.port == port)
    }

    @Test("rejected addresses", arguments: [
        "example.com", "example.com:", "example.com:0", "example.com:65536", "example.com:80x", "example.com:+80",
        ":8080", "exa mple.com:80", "-bad.com:80", "bad-.com:80", "a..b:80", "256.1.1.1:80", "1.2.3:80", "::1:80",
        "[::1:80", "[::1]x:80", "user@host:80", "host/path:80", "host%00:80", String(repeating: "a", count: 64) + ".com:80",
    ])
    func rejected(_ text: String) {
        #expect(throws: SpaceProxyError.self) { try BackendAddress(parsing: text) }
    }

    @Test("only the space, the default and the allow-list")
    func decisions() throws {
        let policy = BackendPolicy(
            defaultBackend: try BackendAddress(parsing: "10.1.2.3:8080"),
            rules: try BackendPolicy.parseRules("127.0.0.1,*.corp.example:9000,metrics.internal"))
        func decide(_ text: String) throws -> Bool { policy.decide(try BackendAddress(parsing: text)) == .allowed }
        #expect(try decide("1.master.my-app.app.localspace:8080"))
        #expect(try decide("2.worker.other.app.localspace:8081"))
        #expect(try decide("10.1.2.3:8080"))
        #expect(try !decide("10.1.2.3:22"))
        #expect(try decide("127.0.0.1:4040"))
        #expect(try decide("a.corp.example:9000"))
        #expect(try !decide("a.corp.example:9001"))
        #expect(try !decide("corp.example:9000"))
        #expect(try decide("metrics.internal:1"))
        #expect(try !decide("example.com:80"))
        #expect(try !decide("10.0.0.1:22"))
        #expect(try !decide("app.localspace:80"))
        #expect(try !decide("evil.app.localspace.example.com:80"))
        #expect(try !decide("localspace:80"))
        if case .forbidden(let reason) = policy.decide(try BackendAddress(parsing: "example.com:80")) {
            #expect(reason.contains("example.com:80"))
            #expect(reason.contains("*.app.localspace"))
        } else {
            Issue.record("example.com allowed")
        }
    }
}

@Suite("routing")
struct RouterTests {
    static let router = ProxyRouter(policy: BackendPolicy(rules: [.host("127.0.0.1", port: nil)]))

    static func request(_ path: String, method: HTTPRequest.Method = .get, cookie: String? = nil, proto: String? = nil) -> HTTPRequest {
        var fields = HTTPFields()
        if let cookie { fields[.cookie] = cookie }
        if let proto { fields[HTTPField.Name("X-Forwarded-Proto")!] = proto }
        return HTTPRequest(method: method, scheme: "http", authority: "proxy.example", path: path, headerFields: fields)
    }

    @Test("/set-backend sets the cookie and redirects to /")
    func setBackend() throws {
        guard case .respond(let response) = Self.router.route(Self.request("/set-backend/127.0.0.1:4040")) else {
            Issue.record("not answered locally")
            return
        }
        #expect(response.status == .found)
        #expect(response.headerFields[.location] == "/")
        #expect(response.headerFields[.setCookie] == "space-proxy-backend=127.0.0.1:4040; Path=/; HttpOnly; SameSite=Lax")

        guard case .respond(let secure) = Self.router.route(Self.request("/set-backend/1.master.a.app.localspace:8080/?x=1", proto: "https")) else {
            Issue.record("not answered locally")
            return
        }
        #expect(secure.status == .found)
        #expect(secure.headerFields[.setCookie] == "space-proxy-backend=1.master.a.app.localspace:8080; Path=/; HttpOnly; SameSite=Lax; Secure")

        // Percent-encoded colon, as some clients write it.
        guard case .respond(let encoded) = Self.router.route(Self.request("/set-backend/127.0.0.1%3A4040")) else { return }
        #expect(encoded.headerFields[.setCookie]?.hasPrefix("space-proxy-backend=127.0.0.1:4040;") == true)
    }

    @Test("/set-backend refusals", arguments: [
        ("/set-backend/example.com:80", 403), ("/set-backend/10.0.0.1:22", 403), ("/set-backend/127.0.0.1", 400),
        ("/set-backend/127.0.0.1:0", 400), ("/set-backend/<script>:1", 400), ("/set-backend/%zz", 400),
        ("/set-backend/", 200), ("/set-backend", 200),
    ])
    func setBackendRefusals(_ path: String, _ status: Int) {
        guard case .respond(let response) = Self.router.route(Self.request(path)) else {
            Issue.record("forwarded \(path)")
            return
        }
        #expect(response.status.code == status)
        #expect(response.headerFields[.setCookie] == nil)
        #expect(!response.body.contains("<script>"))
    }

    @Test("/set-backend answers GET only")
    func setBackendMethod() {
        guard case .respond(let response) = Self.router.route(Self.request("/set-backend/127.0.0.1:1", method: .post)) else { return }
        #expect(response.status == .methodNotAllowed)
    }

    @Test("cookie, default, chooser")
    func backendSelection() throws {
        #expect(Self.router.route(Self.request("/x", cookie: "a=b; space-proxy-backend=127.0.0.1:4040")) == .forward(try BackendAddress(parsing: "127.0.0.1:4040")))
        // No cookie, no default: the chooser, 200 at / and 404 elsewhere.
        guard case .respond(let chooser) = Self.router.route(Self.request("/")) else { return }
        #expect(chooser.status == .ok)
        #expect(chooser.body.contains("/set-backend/"))
        guard case .respond(let missing) = Self.router.route(Self.request("/favicon.ico")) else { return }
        #expect(missing.status == .notFound)

        var withDefault = Self.router
        withDefault.policy.defaultBackend = try BackendAddress(parsing: "1.master.a.app.localspace:8080")
        #expect(withDefault.route(Self.request("/")) == .forward(try BackendAddress(parsing: "1.master.a.app.localspace:8080")))
        #expect(withDefault.route(Self.request("/", cookie: "space-proxy-backend=127.0.0.1:1")) == .forward(try BackendAddress(parsing: "127.0.0.1:1")))
    }

    @Test("a forged or stale cookie is refused and cleared")
    func forgedCookie() {
        for (cookie, status) in [("space-proxy-backend=example.com:80", 403), ("space-proxy-backend=garbage", 400)] {
            guard case .respond(let response) = Self.router.route(Self.request("/", cookie: cookie)) else {
                Issue.record("forwarded with \(cookie)")
                continue
            }
            #expect(response.status.code == status)
            #expect(response.headerFields[.setCookie]?.contains("Max-Age=0") == true)
        }
    }
}

@Suite("header rewriting")
struct HeaderRewritingTests {
    static let backend = try! BackendAddress(parsing: "1.master.a.app.localspace:8080")

    @Test("request head for the backend")
    func requestHead() {
        var fields: HTTPFields = [
            .authorization: "Basic c3Bhcms6c3BhY2U=", .cookie: "space-proxy-backend=127.0.0.1:1; JSESSIONID=abc",
            .connection: "keep-alive, X-Hop", HTTPField.Name("X-Hop")!: "1", HTTPField.Name("Keep-Alive")!: "timeout=5",
            .te: "trailers", .upgrade: "websocket", HTTPField.Name("Proxy-Authorization")!: "Basic x", .expect: "100-continue",
            .accept: "text/html", .contentLength: "3", HTTPField.Name("X-Forwarded-For")!: "203.0.113.9",
            HTTPField.Name("X-Forwarded-Proto")!: "https",
        ]
        fields.append(HTTPField(name: .cookie, value: "theme=dark"))
        let request = HTTPRequest(method: .post, scheme: "http", authority: "my-app.herokuapp.com", path: "/app/?appId=1", headerFields: fields)
        let head = HeaderRewriting.backendRequestHead(for: request, backend: Self.backend, clientAddress: "10.0.0.5", cookieName: "space-proxy-backend")
        #expect(head.method == .POST)
        #expect(head.uri == "/app/?appId=1")
        #expect(head.headers["Host"] == ["1.master.a.app.localspace:8080"])
        #expect(head.headers["Authorization"].isEmpty)
        #expect(head.headers["Proxy-Authorization"].isEmpty)
        #expect(head.headers["X-Hop"].isEmpty)
        #expect(head.headers["Keep-Alive"].isEmpty)
        #expect(head.headers["TE"].isEmpty)
        #expect(head.headers["Upgrade"].isEmpty)
        #expect(head.headers["Expect"].isEmpty)
        #expect(head.headers["Connection"] == ["close"])
        #expect(head.headers["Cookie"] == ["JSESSIONID=abc; theme=dark"])
        #expect(head.headers["Accept"] == ["text/html"])
        #expect(head.headers["Content-Length"] == ["3"])
        #expect(head.headers["X-Forwarded-For"] == ["203.0.113.9, 10.0.0.5"])
        #expect(head.headers["X-Forwarded-Proto"] == ["https"])
        #expect(head.headers["X-Forwarded-Host"] == ["my-app.herokuapp.com"])
    }

    @Test("only the proxy cookie: no Cookie header at all; chunked uploads stay chunked")
    func requestEdges() {
        let request = HTTPRequest(
            method: .put, scheme: "http", authority: "p", path: "/u",
            headerFields: [.cookie: "space-proxy-backend=127.0.0.1:1", .transferEncoding: "chunked"])
        let head = HeaderRewriting.backendRequestHead(for: request, backend: Self.backend, clientAddress: nil, cookieName: "space-proxy-backend")
        #expect(head.headers["Cookie"].isEmpty)
        #expect(head.headers["Transfer-Encoding"] == ["chunked"])
        #expect(head.headers["X-Forwarded-For"].isEmpty)
        #expect(head.headers["X-Forwarded-Proto"] == ["http"])
    }

    @Test("Content-Length named in Connection still frames the body: kept for the backend and the client")
    func connectionCannotDropFraming() {
        let request = HTTPRequest(
            method: .get, scheme: "http", authority: "p", path: "/u",
            headerFields: [.connection: "content-length, x-hop", .contentLength: "37", HTTPField.Name("X-Hop")!: "1"])
        let head = HeaderRewriting.backendRequestHead(for: request, backend: Self.backend, clientAddress: nil, cookieName: "space-proxy-backend")
        #expect(head.headers["Content-Length"] == ["37"])
        #expect(head.headers["X-Hop"].isEmpty)
        #expect(head.headers["Connection"] == ["close"])

        let response = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Connection": "Content-Length", "Content-Length": "5"])
        #expect(HeaderRewriting.clientResponseHead(for: response, backend: Self.backend).headerFields[.contentLength] == "5")
    }

    @Test("response head for the client")
    func responseHead() {
        let head = HTTPResponseHead(
            version: .http1_1, status: .found,
            headers: [
                "Location": "http://1.master.a.app.localspace:8080/app/?appId=app-1", "Connection": "close, X-Backend-Hop",
                "X-Backend-Hop": "1", "Transfer-Encoding": "chunked", "Set-Cookie": "JSESSIONID=x", "Keep-Alive": "timeout=1",
            ])
        let response = HeaderRewriting.clientResponseHead(for: head, backend: Self.backend)
        #expect(response.status == .found)
        #expect(response.headerFields[.location] == "/app/?appId=app-1")
        #expect(response.headerFields[.setCookie] == "JSESSIONID=x")
        #expect(response.headerFields[HTTPField.Name("X-Backend-Hop")!] == nil)
        #expect(response.headerFields[.transferEncoding] == nil)
        #expect(response.headerFields[.connection] == nil)
    }

    @Test("Location rewriting", arguments: [
        ("http://1.master.a.app.localspace:8080/", "/"),
        ("http://1.master.a.app.localspace:8080", "/"),
        ("HTTP://1.MASTER.A.app.localspace:8080/x?y#z", "/x?y#z"),
        ("http://1.master.a.app.localspace:8080?q=1", "/?q=1"),
        ("//1.master.a.app.localspace:8080/p", "/p"),
        ("https://1.master.a.app.localspace:8080/s", "/s"),
        ("http://1.master.a.app.localspace/", "http://1.master.a.app.localspace/"),
        ("http://1.master.a.app.localspace:8081/", "http://1.master.a.app.localspace:8081/"),
        ("http://1.worker.a.app.localspace:8081/", "http://1.worker.a.app.localspace:8081/"),
        ("http://example.com/", "http://example.com/"),
        ("/relative", "/relative"),
        ("relative", "relative"),
    ])
    func location(_ location: String, _ expected: String) {
        #expect(HeaderRewriting.rewriteLocation(location, backend: Self.backend) == expected)
    }

    @Test("port 80 backends match URLs without a port")
    func defaultPort() throws {
        let backend = try BackendAddress(parsing: "web.a.app.localspace:80")
        #expect(HeaderRewriting.rewriteLocation("http://web.a.app.localspace/x", backend: backend) == "/x")
        #expect(HeaderRewriting.rewriteLocation("https://web.a.app.localspace/x", backend: backend) == "https://web.a.app.localspace/x")
    }

    @Test("request-target guard")
    func guardDecisions() {
        func head(_ method: HTTPMethod, _ uri: String) -> HTTPRequestHead { HTTPRequestHead(version: .http1_1, method: method, uri: uri) }
        #expect(RequestTargetGuard.refusal(for: head(.GET, "/")) == nil)
        #expect(RequestTargetGuard.refusal(for: head(.GET, "/set-backend/x:1")) == nil)
        #expect(RequestTargetGuard.refusal(for: head(.GET, "http://example.com/"))?.status == .badRequest)
        #expect(RequestTargetGuard.refusal(for: head(.OPTIONS, "*"))?.status == .badRequest)
        #expect(RequestTargetGuard.refusal(for: head(.CONNECT, "example.com:443"))?.status == .methodNotAllowed)
    }
}
