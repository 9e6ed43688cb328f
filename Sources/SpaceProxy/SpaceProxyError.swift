/// An error of the space proxy: a code to switch on, a message for operators, the offending input where
/// it is safe to show (never a password or a hash), an optional cause and where it was raised.
public struct SpaceProxyError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, coarsely.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case invalidCredentials
            case invalidBackend
            case backendForbidden
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// An environment variable is missing or malformed; the proxy refuses to start.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A `user:hash` entry of the basic-auth configuration cannot be used.
        public static let invalidCredentials = Code(.invalidCredentials)
        /// A backend is not a `host:port` the proxy can connect to.
        public static let invalidBackend = Code(.invalidBackend)
        /// A backend is well formed but outside the private space and not explicitly allowed.
        public static let backendForbidden = Code(.backendForbidden)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Where the error was found, e.g. `SPACE_PROXY_BASIC_AUTH entry 2 (user "spark")`.
    public var context: String?
    public var cause: (any Error & Sendable)?
    public var file: String
    public var line: Int

    public init(
        _ code: Code, _ message: String, context: String? = nil, cause: (any Error & Sendable)? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.context = context
        self.cause = cause
        self.file = file
        self.line = line
    }

    /// The same error, located more precisely (`context` becomes `outer: inner`).
    func within(_ outer: String) -> SpaceProxyError {
        var copy = self
        copy.context = context.map { "\(outer): \($0)" } ?? outer
        return copy
    }

    public var description: String {
        var text = "\(code): "
        if let context { text += "\(context): " }
        text += message
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
