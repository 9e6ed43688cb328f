import Foundation
import HTTPTypes

/// What to do with an authenticated request.
public enum ProxyRoute: Equatable, Sendable {
    /// Answer from the proxy itself.
    case respond(LocalResponse)
    /// Forward to this (allowed) backend.
    case forward(BackendAddress)
}

/// Decides, from the request alone, between `/set-backend/<host:port>`, forwarding to the backend in the
/// cookie (or the default), and the proxy's own pages. Pure: no I/O, no clock.
public struct ProxyRouter: Sendable {
    public var policy: BackendPolicy
    public var cookieName: String

    public static let setBackendPath = "/set-backend"

    public init(policy: BackendPolicy, cookieName: String = SpaceProxyConfiguration.defaultCookieName) {
        self.policy = policy
        self.cookieName = cookieName
    }

    public func route(_ request: HTTPRequest) -> ProxyRoute {
        // The request-target guard refuses these before they get here; this keeps routing safe on its own.
        guard request.method != .connect, let path = request.path, path.hasPrefix("/") else {
            return .respond(.badRequest("Only origin-form request targets (/path) are accepted; this is not an open proxy."))
        }
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if pathOnly == Self.setBackendPath || pathOnly.hasPrefix(Self.setBackendPath + "/") {
            return .respond(setBackend(request, target: pathOnly.dropFirst(Self.setBackendPath.count)))
        }
        switch backendFromCookie(request.headerFields) {
        case .none:
            guard let backend = policy.defaultBackend else {
                return .respond(.chooser(status: pathOnly == "/" ? .ok : .notFound, policy: policy))
            }
            return .forward(backend)
        case .some(.success(let backend)):
            switch policy.decide(backend) {
            case .allowed:
                return .forward(backend)
            case .forbidden(let reason):
                return .respond(.forbidden(reason, extraHeaders: LocalResponse.clearCookie(cookieName)))
            }
        case .some(.failure(let error)):
            return .respond(
                .badRequest("The \(cookieName) cookie does not hold a valid backend: \(error.message)", extraHeaders: LocalResponse.clearCookie(cookieName)))
        }
    }

    /// `/set-backend/<host:port>`: validate, remember in a cookie, redirect to `/`.
    private func setBackend(_ request: HTTPRequest, target rawTarget: Substring) -> LocalResponse {
        guard request.method == .get || request.method == .head else {
            return .methodNotAllowed("/set-backend only answers GET.", allow: "GET, HEAD")
        }
        var target = rawTarget.drop { $0 == "/" }
        while target.last == "/" { target = target.dropLast() }
        guard !target.isEmpty else {
            return .chooser(status: .ok, policy: policy)
        }
        guard let decoded = String(target).removingPercentEncoding else {
            return .badRequest("The backend \"\(BackendAddress.printable(target))\" is not validly percent-encoded.")
        }
        let backend: BackendAddress
        do {
            backend = try BackendAddress(parsing: decoded)
        } catch let error as SpaceProxyError {
            return .badRequest(error.message)
        } catch {
            return .badRequest("\(error)")
        }
        switch policy.decide(backend) {
        case .allowed:
            let secure = request.headerFields[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased().hasPrefix("https") ?? false
            return .backendChosen(backend, cookieName: cookieName, secure: secure)
        case .forbidden(let reason):
            return .forbidden(reason)
        }
    }

    /// The backend named by the first proxy cookie, if any.
    func backendFromCookie(_ fields: HTTPFields) -> Result<BackendAddress, SpaceProxyError>? {
        for field in fields where field.name == .cookie {
            for pair in field.value.split(separator: ";") {
                let trimmed = pair.trimmed()
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == cookieName else { continue }
                var value = trimmed[trimmed.index(after: equals)...]
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                do {
                    return .success(try BackendAddress(parsing: String(value)))
                } catch let error as SpaceProxyError {
                    return .failure(error)
                } catch {
                    return .failure(SpaceProxyError(.invalidBackend, "\(error)"))
                }
            }
        }
        return nil
    }
}
