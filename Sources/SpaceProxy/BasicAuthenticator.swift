import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Checks `Authorization: Basic …` headers against the configured users.
///
/// bcrypt is deliberately slow, and a browser sends the same credentials with every asset it loads, so
/// successful checks are remembered (as an HMAC under a per-process random key, never the password),
/// expensive checks run on a thread pool rather than an event loop, and at most a bounded number of
/// them run at once (more → `busy`, answered 503), so wrong-password floods cannot starve the proxy.
public final class BasicAuthenticator: Sendable {
    public enum Outcome: Equatable, Sendable {
        /// Let through; `user` is nil when the proxy runs without credentials.
        case allowed(user: String?)
        /// No `Authorization` header, or not the Basic scheme.
        case missingCredentials
        /// A Basic header whose payload is not base64 of `user:password`.
        case malformedCredentials
        /// Unknown user or wrong password (the client is told the same either way).
        case rejected(user: String)
        /// Too many expensive checks in progress.
        case busy
    }

    /// nil: anonymous access (`SPACE_PROXY_ALLOW_ANONYMOUS=true` without users).
    public let users: HtpasswdFile?
    /// Random per process: fingerprints mean nothing outside it.
    private let cacheKey: [UInt8] = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
    private let cache: NIOLockedValueBox<VerifiedCredentials>
    private let slowChecksInProgress = NIOLockedValueBox(0)
    private let maximumConcurrentSlowChecks: Int
    private let threadPool: NIOThreadPool

    /// Longer passwords are rejected unhashed: htpasswd takes at most 255 characters, bcrypt reads 72
    /// bytes, and MD5-crypt, checked on the event loop, costs a thousand rounds over the password.
    public static let maximumPasswordBytes = 1024

    public init(
        users: HtpasswdFile?, cacheCapacity: Int = 256, maximumConcurrentSlowChecks: Int = 16,
        threadPool: NIOThreadPool = .singleton
    ) {
        self.users = users
        self.cache = NIOLockedValueBox(VerifiedCredentials(capacity: cacheCapacity))
        self.maximumConcurrentSlowChecks = maximumConcurrentSlowChecks
        self.threadPool = threadPool
    }

    /// What an `Authorization` header value holds.
    enum Credentials: Equatable {
        case notBasic
        case malformed
        case basic(user: String, password: [UInt8])
    }

    /// Decodes a Basic `Authorization` value into user and password.
    static func decode(authorization value: String) -> Credentials {
        let trimmed = value.trimmed()
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "basic" else {
            return .notBasic
        }
        let payload = trimmed[trimmed.index(after: space)...].trimmed()
        guard let decoded = Data(base64Encoded: payload) else { return .malformed }
        let bytes = Array(decoded)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .malformed }
        return .basic(user: String(decoding: bytes[..<colon], as: UTF8.self), password: Array(bytes[(colon + 1)...]))
    }

    /// Decides on a request's `Authorization` header values.
    public func authenticate(authorization values: [String]) async -> Outcome {
        guard let users else { return .allowed(user: nil) }
        guard let value = values.first else { return .missingCredentials }
        let user: String
        let password: [UInt8]
        switch Self.decode(authorization: value) {
        case .notBasic: return .missingCredentials
        case .malformed: return .malformedCredentials
        case .basic(let decodedUser, let decodedPassword): (user, password) = (decodedUser, decodedPassword)
        }
        // An unknown user is checked against a configured user's hash anyway, so that the time taken does
        // not tell which user names exist. Which one is drawn from the name, keyed per process: the same
        // name always costs the same, and with users of cheap and costly schemes an unknown name is as
        // likely to be fast or slow as a known one.
        // The length is the client's own choice: refusing it says nothing about the user.
        guard password.count <= Self.maximumPasswordBytes else { return .rejected(user: user) }
        let knownHash = users.hash(for: user)
        guard let hash = knownHash ?? decoy(for: user, among: users.entries) else { return .rejected(user: user) }

        let fingerprint = Array(HMAC<SHA256>.authenticationCode(for: Array(user.utf8) + [0] + password, using: SymmetricKey(data: cacheKey)))
        if knownHash != nil, cache.withLockedValue({ $0.contains(fingerprint) }) { return .allowed(user: user) }

        let verified: Bool
        if hash.isExpensive {
            let admitted = slowChecksInProgress.withLockedValue { count in
                guard count < maximumConcurrentSlowChecks else { return false }
                count += 1
                return true
            }
            guard admitted else { return .busy }
            defer { slowChecksInProgress.withLockedValue { $0 -= 1 } }
            do {
                verified = try await threadPool.runIfActive { hash.verify(password) }
            } catch {
                // The pool is shutting down: nobody gets in on a check that did not run.
                return .busy
            }
        } else {
            verified = hash.verify(password)
        }
        guard verified, knownHash != nil else { return .rejected(user: user) }
        cache.withLockedValue { $0.insert(fingerprint) }
        return .allowed(user: user)
    }

    /// The entry whose hash an unknown `user` is checked against: one drawn by a keyed hash of the name.
    private func decoy(for user: String, among entries: [HtpasswdFile.Entry]) -> PasswordHash? {
        guard !entries.isEmpty else { return nil }
        let code = HMAC<SHA256>.authenticationCode(for: Array("decoy\u{0}".utf8) + Array(user.utf8), using: SymmetricKey(data: cacheKey))
        let draw = code.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return entries[Int(draw % UInt64(entries.count))].hash
    }
}

/// A bounded first-in-first-out set of fingerprints of credentials that verified.
struct VerifiedCredentials: Sendable {
    let capacity: Int
    private var members: Set<[UInt8]> = []
    private var order: [[UInt8]] = []

    init(capacity: Int) { self.capacity = max(0, capacity) }

    func contains(_ fingerprint: [UInt8]) -> Bool { members.contains(fingerprint) }

    mutating func insert(_ fingerprint: [UInt8]) {
        guard capacity > 0, members.insert(fingerprint).inserted else { return }
        order.append(fingerprint)
        if order.count > capacity { members.remove(order.removeFirst()) }
    }

    var count: Int { members.count }
}
