import HTTPTypes
import NIOHTTP1

/// The header rewriting between client and backend, as pure functions.
enum HeaderRewriting {
    /// Connection-specific fields (RFC 9110 §7.6.1) that a proxy must not forward, in lowercase.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// Lowercased names listed in `Connection` header values: also hop-by-hop. `Content-Length` is
    /// never one: it frames the message end to end (a sender must not list it, RFC 9110 §7.6.1), and
    /// dropping it would send a request body with no framing at all, which the backend would read as
    /// the next request.
    static func connectionTokens(_ values: [String]) -> Set<String> {
        var tokens: Set<String> = []
        for value in values {
            for token in value.split(separator: ",") {
                let name = token.trimmed().lowercased()
                if !name.isEmpty, name != "content-length" { tokens.insert(name) }
            }
        }
        return tokens
    }

    /// The request head sent to `backend` for a client request.
    ///
    /// Drops hop-by-hop fields, `Authorization` (the proxy's own credentials) and `Expect` (the proxy
    /// answers `100-continue` itself); removes the proxy's cookie from `Cookie`; sets `Host` to the backend;
    /// appends the client to `X-Forwarded-For` and fills `X-Forwarded-Proto`/`-Host` when the Heroku
    /// router has not; asks the backend to close after the response (one connection per request).
    static func backendRequestHead(
        for request: HTTPRequest, backend: BackendAddress, clientAddress: String?, cookieName: String
    ) -> HTTPRequestHead {
        let fields = request.headerFields
        let dropped = hopByHop.union(connectionTokens(fields[values: .connection])).union([
            "authorization", "expect", "host", "cookie", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
        ])
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count + 5)
        headers.add(name: "Host", value: backend.authority)
        for field in fields where !dropped.contains(field.name.canonicalName) {
            headers.add(name: field.name.rawName, value: field.value)
        }
        // The body keeps its framing: a chunked upload stays chunked (NIO's encoder does the chunking).
        if fields[.contentLength] == nil, fields[values: .transferEncoding].contains(where: { $0.lowercased().contains("chunked") }) {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        let cookies = fields[values: .cookie].flatMap { $0.split(separator: ";") }.map { $0.trimmed() }.filter {
            !$0.isEmpty && !$0.hasPrefix(cookieName + "=")
        }
        if !cookies.isEmpty { headers.add(name: "Cookie", value: cookies.joined(separator: "; ")) }

        let forwardedFor = fields[values: HTTPField.Name("X-Forwarded-For")!]
        let chain = forwardedFor + (clientAddress.map { [$0] } ?? [])
        if !chain.isEmpty { headers.add(name: "X-Forwarded-For", value: chain.joined(separator: ", ")) }
        headers.add(name: "X-Forwarded-Proto", value: fields[HTTPField.Name("X-Forwarded-Proto")!] ?? "http")
        if let host = fields[HTTPField.Name("X-Forwarded-Host")!] ?? request.authority {
            headers.add(name: "X-Forwarded-Host", value: host)
        }
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: request.path ?? "/", headers: headers)
    }

    /// The response head sent to the client for a backend's response: hop-by-hop fields dropped (NIO
    /// re-frames the body for the client), `Location` pointing at the backend made relative.
    static func clientResponseHead(for head: HTTPResponseHead, backend: BackendAddress) -> HTTPResponse {
        let dropped = hopByHop.union(connectionTokens(head.headers[canonicalForm: "connection"].map(String.init)))
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers {
            let lowercased = name.lowercased()
            guard !dropped.contains(lowercased), let fieldName = HTTPField.Name(name) else { continue }
            if lowercased == "location" {
                fields.append(HTTPField(name: fieldName, value: rewriteLocation(value, backend: backend)))
            } else {
                fields.append(HTTPField(name: fieldName, value: value))
            }
        }
        let code = Int(head.status.code)
        let status: HTTPResponse.Status = (200...599).contains(code) ? .init(code: code, reasonPhrase: head.status.reasonPhrase) : .badGateway
        return HTTPResponse(status: status, headerFields: fields)
    }

    /// `http://<backend>/path?q` (or `https://`, or `//<backend>/…`) → `/path?q`; anything else unchanged.
    static func rewriteLocation(_ location: String, backend: BackendAddress) -> String {
        let lowercased = location.lowercased()
        let defaultPort: Int?
        let afterScheme: String.Index
        if lowercased.hasPrefix("http://") {
            (defaultPort, afterScheme) = (80, location.index(location.startIndex, offsetBy: 7))
        } else if lowercased.hasPrefix("https://") {
            (defaultPort, afterScheme) = (443, location.index(location.startIndex, offsetBy: 8))
        } else if lowercased.hasPrefix("//") {
            (defaultPort, afterScheme) = (nil, location.index(location.startIndex, offsetBy: 2))
        } else {
            return location
        }
        let rest = location[afterScheme...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let (host, port) = try? BackendAddress.split(String(authority), portRequired: false),
            BackendAddress.normaliseHost(host) == backend.host, (port ?? defaultPort) == backend.port
        else {
            return location
        }
        let target = rest[authorityEnd...]
        return target.hasPrefix("/") ? String(target) : "/" + target
    }
}
