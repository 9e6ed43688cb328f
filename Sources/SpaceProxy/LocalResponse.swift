import HTTPTypes

/// A response the proxy writes itself (challenge, refusal, redirect, help or error page): plain data, so
/// routing decisions compare directly in tests.
public struct LocalResponse: Equatable, Sendable {
    public var status: HTTPResponse.Status
    public var headerFields: HTTPFields
    public var body: String

    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: String = "") {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// A small self-contained HTML page (no external assets).
    static func page(status: HTTPResponse.Status, title: String, paragraphs: [String], extraHeaders: HTTPFields = [:]) -> LocalResponse {
        var fields: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
        fields.append(contentsOf: extraHeaders)
        let body = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:44em;margin:3em auto;padding:0 1em;color:#222}
            code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}h1{font-size:1.4em}</style></head>
            <body><h1>\(HTML.escape(title))</h1>
            \(paragraphs.map { "<p>\($0)</p>" }.joined(separator: "\n"))
            </body></html>

            """
        return LocalResponse(status: status, headerFields: fields, body: body)
    }

    /// 401 with the Basic challenge.
    static func unauthorized(realm: String) -> LocalResponse {
        var response = page(
            status: .unauthorized, title: "Authentication required",
            paragraphs: ["This proxy needs the user name and password configured for it."])
        response.headerFields[.wwwAuthenticate] = "Basic realm=\"\(HTML.quotedStringContent(realm))\", charset=\"UTF-8\""
        return response
    }

    static func badRequest(_ message: String, extraHeaders: HTTPFields = [:]) -> LocalResponse {
        page(status: .badRequest, title: "Bad request", paragraphs: [HTML.escape(message), chooseHint], extraHeaders: extraHeaders)
    }

    static func forbidden(_ message: String, extraHeaders: HTTPFields = [:]) -> LocalResponse {
        page(status: .forbidden, title: "Backend not allowed", paragraphs: [HTML.escape(message), chooseHint], extraHeaders: extraHeaders)
    }

    static func methodNotAllowed(_ message: String, allow: String) -> LocalResponse {
        page(
            status: .methodNotAllowed, title: "Method not allowed", paragraphs: [HTML.escape(message)],
            extraHeaders: [.allow: allow])
    }

    static func serviceUnavailable(_ message: String) -> LocalResponse {
        page(
            status: .serviceUnavailable, title: "Busy", paragraphs: [HTML.escape(message)],
            extraHeaders: [.retryAfter: "1"])
    }

    /// 502/504 for a backend that could not be reached or did not answer in time.
    static func backendFailure(status: HTTPResponse.Status, backend: BackendAddress, problem: String) -> LocalResponse {
        page(
            status: status, title: status == .gatewayTimeout ? "Backend timed out" : "Backend unreachable",
            paragraphs: [
                "The proxy could not get a response from <code>\(HTML.escape(backend.authority))</code>: \(HTML.escape(problem)).",
                "Check that the process is running and listening on that port. \(chooseHint)",
            ])
    }

    /// 302 to `/` that remembers `backend` in the cookie.
    static func backendChosen(_ backend: BackendAddress, cookieName: String, secure: Bool) -> LocalResponse {
        var cookie = "\(cookieName)=\(backend.authority); Path=/; HttpOnly; SameSite=Lax"
        if secure { cookie += "; Secure" }
        return LocalResponse(
            status: .found,
            headerFields: [.location: "/", .setCookie: cookie, .cacheControl: "no-store", .contentType: "text/plain; charset=utf-8"],
            body: "Now proxying to \(backend.authority); continue at /\n")
    }

    /// A `Set-Cookie` that deletes the backend cookie.
    static func clearCookie(_ cookieName: String) -> HTTPFields {
        [.setCookie: "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"]
    }

    /// The page shown when no backend is chosen and there is no default.
    static func chooser(status: HTTPResponse.Status, policy: BackendPolicy) -> LocalResponse {
        var paragraphs = [
            "This proxy shows the web UIs of the Spark processes in this private space. Pick one by opening "
                + "<code>/set-backend/&lt;host&gt;:&lt;port&gt;</code>; the choice is kept in a cookie and every other "
                + "path is then forwarded to that process.",
            "For the master UI of app <em>my-app</em>: <code>/set-backend/1.master.my-app.app.localspace:8080</code>. "
                + "Workers listen on 8081 (<code>1.worker.my-app.app.localspace:8081</code>), a driver's UI on 4040.",
            "Allowed: any <code>*\(BackendPolicy.spaceDomainSuffix)</code> host"
                + (policy.rules.isEmpty ? "" : ", " + policy.rules.map { "<code>\(HTML.escape($0.description))</code>" }.joined(separator: ", "))
                + ".",
        ]
        if let backend = policy.defaultBackend {
            paragraphs.append(
                "Default backend: <a href=\"/set-backend/\(HTML.escape(backend.authority))\">\(HTML.escape(backend.authority))</a>.")
        }
        return page(status: status, title: "Spark in Space proxy: choose a backend", paragraphs: paragraphs)
    }

    private static let chooseHint = "Choose a backend with <code>/set-backend/&lt;host&gt;:&lt;port&gt;</code>, e.g. <code>/set-backend/1.master.my-app.app.localspace:8080</code>."
}

enum HTML {
    /// Escapes text for element content and quoted attribute values.
    static func escape(_ text: some StringProtocol) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Text safe inside an HTTP quoted-string: no quotes, backslashes or control characters.
    static func quotedStringContent(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\"" && $0 != "\\" && $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init))
    }
}
