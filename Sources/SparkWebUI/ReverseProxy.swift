import HTTPTypes
import Hummingbird
import NIOCore

/// Serves a worker's or a driver's web UI under `/proxy/<id>/…` of the master
/// (Spark: `spark.ui.reverseProxy`), so one address reaches every UI of the cluster.
///
/// Each request is forwarded over a fresh HTTP/1.1 connection and answered once the backend's
/// whole response is in (bounded by `BoundedHTTPClient.maxResponseBytes`, 32 MiB by default);
/// redirects and links in HTML are rewritten to stay under the proxy. The backend is asked for
/// an uncompressed body so HTML can be rewritten; gzip toward the browser is the middleware's job.
public struct ReverseProxy: Sendable {
    public var client: BoundedHTTPClient
    /// `spark.ui.reverseProxyUrl` without a trailing `/`, or nil.
    public var reverseProxyURL: String?
    /// Request bodies (forms) larger than this are refused with 413.
    public var maxRequestBytes: Int

    public init(client: BoundedHTTPClient = BoundedHTTPClient(), reverseProxyURL: String? = nil, maxRequestBytes: Int = 8 << 20) {
        self.client = client
        self.reverseProxyURL = reverseProxyURL.map(ReverseProxyRewriter.trimmedBase).flatMap { $0.isEmpty ? nil : $0 }
        self.maxRequestBytes = maxRequestBytes
    }

    /// A request target `/proxy/<id>[/rest][?query]` split into the (percent-decoded) id and the
    /// target to send to the backend (`/rest?query`, or nil when the id is not followed by `/`).
    public static func split(target: String) -> (id: String, remainder: String?)? {
        guard target.hasPrefix("/proxy/") else { return nil }
        let rest = target.dropFirst("/proxy/".count)
        let idEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let id = FormData.decode(rest[..<idEnd].replacingPlus())
        guard !id.isEmpty else { return nil }
        let remainder = rest[idEnd...]
        guard remainder.hasPrefix("/") else { return (id, nil) }
        return (id, String(remainder))
    }

    /// The browser-side root of backend `id`: `/proxy/<id>` or under `spark.ui.reverseProxyUrl`.
    public func prefix(for id: String) -> String {
        (reverseProxyURL ?? "") + "/proxy/" + HTML.pathSegment(id)
    }

    /// Forwards `request` to the UI at `backendURL` (`http://host:port[/base]`); `remainder` is the
    /// target below the proxy prefix (`/logPage/?…`).
    public func forward(_ request: Request, id: String, backendURL: String, remainder: String) async -> Response {
        guard let backend = BackendURL(backendURL) else {
            return WebResponses.errorPage(.badGateway, title: "Bad Gateway", message: "\(id) has no usable web UI address (\(backendURL)).")
        }
        guard backend.scheme == "http" else {
            return WebResponses.errorPage(.badGateway, title: "Bad Gateway", message: "The proxy reaches only http:// UIs, not \(backendURL).")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxRequestBytes)
        } catch {
            return WebResponses.text("Request body too large\n", status: .contentTooLarge)
        }
        let rewriter = ReverseProxyRewriter(prefix: prefix(for: id), backendURL: backendURL)
        let base = ReverseProxyRewriter.trimmedBase(backend.path)
        let target = base + remainder
        let outgoing = BoundedHTTPClient.Request(
            method: request.method.rawValue, host: backend.host, port: backend.port, target: target,
            headers: Self.forwardedHeaders(request.headers), body: body.readableBytes > 0 ? body : nil)
        let answer: BoundedHTTPClient.Response
        do {
            answer = try await client.execute(outgoing)
        } catch let failure as BoundedHTTPClient.Failure {
            let status: HTTPResponse.Status = failure.code == .timeout ? .gatewayTimeout : .badGateway
            return WebResponses.errorPage(status, title: status.reasonPhrase, message: "\(id) at \(backendURL): \(failure.message)")
        } catch {
            return WebResponses.errorPage(.badGateway, title: "Bad Gateway", message: "\(id) at \(backendURL): \(error)")
        }
        return Self.response(answer, rewriter: rewriter, head: request.method == .head)
    }

    /// Hop-by-hop fields (RFC 9110 §7.6.1) and those the client sets itself.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding",
    ]

    static func forwardedHeaders(_ fields: HTTPFields) -> [(String, String)] {
        var listed = Set<String>()
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") { listed.insert(token.trimmingASCIIWhitespace().lowercased()) }
        }
        var headers = fields.compactMap { field -> (String, String)? in
            let name = field.name.canonicalName
            return hopByHop.contains(name) || listed.contains(name) ? nil : (field.name.rawName, field.value)
        }
        // The body is rewritten, so it must arrive uncompressed.
        headers.append(("Accept-Encoding", "identity"))
        return headers
    }

    static func response(_ answer: BoundedHTTPClient.Response, rewriter: ReverseProxyRewriter, head: Bool) -> Response {
        var headers = HTTPFields()
        var listed = Set<String>()
        for (name, value) in answer.headers where name.lowercased() == "connection" {
            for token in value.split(separator: ",") { listed.insert(token.trimmingASCIIWhitespace().lowercased()) }
        }
        var isHTML = false
        var encoded = false
        for (name, value) in answer.headers {
            let lowered = name.lowercased()
            guard !hopByHop.contains(lowered), !listed.contains(lowered), let fieldName = HTTPField.Name(name) else { continue }
            switch lowered {
            case "location", "content-location":
                headers.append(HTTPField(name: fieldName, value: rewriter.location(value)))
            case "content-type":
                isHTML = value.lowercased().hasPrefix("text/html")
                headers.append(HTTPField(name: fieldName, value: value))
            case "content-encoding":
                encoded = value.lowercased() != "identity"
                headers.append(HTTPField(name: fieldName, value: value))
            default:
                headers.append(HTTPField(name: fieldName, value: value))
            }
        }
        let status = HTTPResponse.Status(code: answer.status, reasonPhrase: answer.reason)
        if head {
            return Response(status: status, headers: headers, body: .init())
        }
        var body = answer.body
        if isHTML && !encoded {
            body = ByteBuffer(bytes: rewriter.html(Array(buffer: body)))
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

extension Substring {
    /// A path segment: `+` is literal there, unlike in a form.
    func replacingPlus() -> Substring { Substring(self.replacing("+", with: "%2B")) }
}
