/// The proxy's users: `user:hash` entries in nginx/htpasswd formats, as given in `SPACE_PROXY_BASIC_AUTH`
/// (or the seed's `SPARK_BASIC_AUTH`).
///
/// Entries are separated by newlines; a value without any newline is split on commas instead, so a
/// single config var can hold `alice:$apr1$…,bob:{SHA}…`. (A `{PLAIN}` password containing a comma
/// therefore needs the newline form.) Blank lines and lines starting with `#` are ignored.
public struct HtpasswdFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var user: String
        public var hash: PasswordHash
    }

    /// In the order given; user names are unique.
    public private(set) var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// Parses the configuration value; any malformed entry is an error naming its position and user
    /// (never its hash), so that a typo cannot silently lock everyone out or let anyone in.
    public init(parsing text: String) throws {
        let separator: Character = text.contains(where: \.isNewline) ? "\n" : ","
        var entries: [Entry] = []
        var position = 0
        for rawLine in text.split(separator: separator, omittingEmptySubsequences: false) {
            let line = rawLine.trimmed()
            if line.isEmpty || line.hasPrefix("#") { continue }
            position += 1
            guard let colon = line.firstIndex(of: ":") else {
                throw SpaceProxyError(.invalidCredentials, "expected user:hash", context: "entry \(position)")
            }
            let user = String(line[..<colon])
            guard !user.isEmpty else {
                throw SpaceProxyError(.invalidCredentials, "empty user name", context: "entry \(position)")
            }
            guard !entries.contains(where: { $0.user == user }) else {
                throw SpaceProxyError(.invalidCredentials, "user listed twice", context: "entry \(position) (user \"\(user)\")")
            }
            do {
                entries.append(Entry(user: user, hash: try PasswordHash(parsing: String(line[line.index(after: colon)...]))))
            } catch let error as SpaceProxyError {
                throw error.within("entry \(position) (user \"\(user)\")")
            }
        }
        guard !entries.isEmpty else {
            throw SpaceProxyError(.invalidCredentials, "no user:hash entries")
        }
        self.entries = entries
    }

    /// The stored hash of `user`.
    public func hash(for user: String) -> PasswordHash? {
        entries.first { $0.user == user }?.hash
    }

    /// Checks a user and password directly (synchronously, even for bcrypt).
    public func verify(user: String, password: String) -> Bool {
        guard let hash = hash(for: user) else { return false }
        return hash.verify(Array(password.utf8))
    }
}

extension StringProtocol {
    func trimmed() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return String(self[first...last])
    }
}
