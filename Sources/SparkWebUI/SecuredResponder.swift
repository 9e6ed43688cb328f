import HTTPTypes
import Hummingbird
import NIOHTTP1
import SparkConfig

/// A daemon web UI's guards, from its configuration: the response headers and the request header
/// bound of `spark.ui.*`, and the filter of `spark.ui.filters`, whose tokens may be as long as the
/// bound lets a header be. A setting that cannot be honoured is refused, naming its key.
package struct WebUISecurity: Sendable {
    package var headers: WebUIHeaderSettings
    package var filter: JWSFilter?

    package init(conf: SparkConf) throws(SparkConfError) {
        headers = try conf.webUIHeaders()
        filter = try JWSFilter.configured(by: conf, at: .webUI)
        filter?.maximumTokenLength = headers.maximumRequestHeaderBytes
    }

    /// What a daemon says once its UI runs behind the filter; nil without one.
    package var filterNote: String? {
        filter.map { _ in "The web UI admits requests with a JSON Web Token signed by the shared key (spark.ui.filters=\(JWSFilter.className))" }
    }
}

/// What Spark puts in front of every handler of the master's and the workers' web UIs, pages,
/// `/json`, logs, metrics, kill forms and `/proxy` alike: the filters of `spark.ui.filters` (here
/// JWSFilter, the one a daemon of ours can run), then `HttpSecurityFilter`'s response headers.
///
/// A request the filter refuses gets the filter's 403 and nothing else. Every other response, an
/// error included, says not to cache it, not to be framed by other origins (`X-Frame-Options:
/// SAMEORIGIN`), and carries `X-XSS-Protection` and `X-Content-Type-Options` as configured. A
/// response relayed from under `/proxy` keeps its backend's own values of these beside Spark's, as
/// Jetty's proxy adds them, and its own content security policy. Every other response carries our
/// pages' policy, with the `frame-ancestors` directive of `spark.ui.allowFramingFrom`, or no policy
/// with `spark.ui.contentSecurityPolicy.enabled=false`.
package struct SecuredResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: RequestContext {
    package typealias Context = Base.Context

    package var base: Base
    package var headers: WebUIHeaderSettings
    package var filter: JWSFilter?
    /// Epoch milliseconds, for the tokens' dates.
    package var now: @Sendable () -> Int64

    package init(_ base: Base, headers: WebUIHeaderSettings, filter: JWSFilter?, now: @escaping @Sendable () -> Int64) {
        self.base = base
        self.headers = headers
        self.filter = filter
        self.now = now
    }

    package init(_ base: Base, security: WebUISecurity, now: @escaping @Sendable () -> Int64) {
        self.init(base, headers: security.headers, filter: security.filter, now: now)
    }

    /// `Cache-Control` on every answer, as Spark's filter sets it.
    static var cacheControl: String { "no-cache, no-store, must-revalidate" }

    package func respond(to request: Request, context: Context) async throws -> Response {
        if let filter, case .refused(let reason) = filter.check(
            authorization: request.headers[values: .authorization].first, nowMilliseconds: now()) {
            let refusal = JWSFilter.refusal(reason)
            return request.method == .head ? refusal.createHeadResponse() : refusal
        }
        var response: Response
        do {
            response = try await base.respond(to: request, context: context)
        } catch let error as HTTPParserError {
            // A malformed request: Hummingbird answers 400 and closes the connection.
            throw error
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            response = Response(status: .internalServerError, headers: [.contentLength: "0"])
        }
        let path = request.uri.path
        let relayed = path == "/proxy" || path.hasPrefix("/proxy/")
        Self.secure(&response.headers, with: headers, relayed: relayed)
        return response
    }

    static func secure(_ fields: inout HTTPFields, with settings: WebUIHeaderSettings, relayed: Bool) {
        var spark: [(HTTPField.Name, String)] = [(.cacheControl, cacheControl), (.xFrameOptions, "SAMEORIGIN"), (.xXSSProtection, settings.xssProtection)]
        if settings.contentTypeOptions { spark.append((.xContentTypeOptions, "nosniff")) }
        if relayed {
            // Spark's values go beside the backend's (a cache and a browser then take the stricter).
            for (name, value) in spark where !fields[values: name].contains(value) { fields.append(HTTPField(name: name, value: value)) }
            return
        }
        for (name, value) in spark { fields[name] = value }
        if !settings.contentTypeOptions { fields[.xContentTypeOptions] = nil }
        fields[.contentSecurityPolicy] = settings.contentSecurityPolicy
            ? WebPage.contentSecurityPolicy(frameAncestors: settings.frameAncestors) : nil
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let xXSSProtection = HTTPField.Name("X-XSS-Protection")!
}
