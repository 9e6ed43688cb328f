import HTTPTypes
import Hummingbird
import SparkConfig

/// What Spark puts in front of every handler of the master's and the workers' web UIs, pages,
/// `/json`, logs, metrics, kill forms and `/proxy` alike: the filters of `spark.ui.filters` (here
/// JWSFilter, the one a daemon of ours can run), then `HttpSecurityFilter`'s response headers.
///
/// A request the filter refuses gets the filter's 403 and nothing else. Every other response says
/// not to cache it, not to be framed by other origins (`X-Frame-Options: SAMEORIGIN`), and carries
/// `X-XSS-Protection` and `X-Content-Type-Options` as configured. Our pages' content security
/// policy gets the `frame-ancestors` directive of `spark.ui.allowFramingFrom`, or none at all with
/// `spark.ui.contentSecurityPolicy.enabled=false`; pages relayed from under `/proxy` keep their own
/// policy, as Spark leaves them theirs.
package struct SecuredResponder<Base: HTTPResponder>: HTTPResponder {
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

    /// `Cache-Control` on every answer, as Spark's filter sets it.
    static var cacheControl: String { "no-cache, no-store, must-revalidate" }

    package func respond(to request: Request, context: Context) async throws -> Response {
        if let filter, case .refused(let reason) = filter.check(
            authorization: request.headers[values: .authorization].first, nowMilliseconds: now()) {
            let refusal = JWSFilter.refusal(reason)
            return request.method == .head ? refusal.createHeadResponse() : refusal
        }
        var response = try await base.respond(to: request, context: context)
        let path = request.uri.path
        let relayed = path == "/proxy" || path.hasPrefix("/proxy/")
        Self.secure(&response.headers, with: headers, relayed: relayed)
        return response
    }

    static func secure(_ fields: inout HTTPFields, with settings: WebUIHeaderSettings, relayed: Bool) {
        // Ours say `no-store`; a relayed page's own choice stands.
        if fields[.cacheControl] == nil || fields[.cacheControl] == "no-store" { fields[.cacheControl] = cacheControl }
        if fields[.xFrameOptions] == nil { fields[.xFrameOptions] = "SAMEORIGIN" }
        if fields[.xXSSProtection] == nil { fields[.xXSSProtection] = settings.xssProtection }
        if settings.contentTypeOptions {
            if fields[.xContentTypeOptions] == nil { fields[.xContentTypeOptions] = "nosniff" }
        } else if !relayed {
            fields[.xContentTypeOptions] = nil
        }
        if !relayed, fields[.contentSecurityPolicy] == WebPage.contentSecurityPolicy {
            fields[.contentSecurityPolicy] = settings.contentSecurityPolicy
                ? WebPage.contentSecurityPolicy(frameAncestors: settings.frameAncestors) : nil
        }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let xXSSProtection = HTTPField.Name("X-XSS-Protection")!
}
