/// A parsed connect string, `host1:port1,host2:port2[/chroot]` (ZooKeeper's `ConnectStringParser`).
public struct ConnectString: Sendable, Hashable, CustomStringConvertible {
    public static let defaultPort = 2181

    public var servers: [ZooKeeperServerAddress]
    /// The prefix every path is resolved under, or nil for the root.
    public var chroot: String?

    public init(servers: [ZooKeeperServerAddress], chroot: String? = nil) {
        self.servers = servers
        self.chroot = chroot
    }

    /// Parses `host[:port][,host[:port]...][/chroot]`; IPv6 hosts go in brackets. The port defaults to 2181.
    public init(parsing text: String) throws(ZooKeeperError) {
        var hostsPart = Substring(text)
        var chroot: String?
        if let slash = text.firstIndex(of: "/") {
            hostsPart = text[..<slash]
            let path = String(text[slash...])
            // A chroot of "/" is the root itself.
            if path != "/" {
                try ZooKeeperPath.validate(path)
                chroot = path
            }
        }
        var servers: [ZooKeeperServerAddress] = []
        for entry in hostsPart.split(separator: ",", omittingEmptySubsequences: true) {
            let item = entry.trimmingSpaces()
            guard !item.isEmpty else { continue }
            servers.append(try Self.parseServer(item, in: text))
        }
        guard !servers.isEmpty else {
            throw ZooKeeperError(.badArguments, "connect string \"\(text)\" names no server")
        }
        self.servers = servers
        self.chroot = chroot
    }

    private static func parseServer(_ item: Substring, in text: String) throws(ZooKeeperError) -> ZooKeeperServerAddress {
        var host = item
        var portText: Substring?
        if item.hasPrefix("[") {
            guard let close = item.firstIndex(of: "]") else {
                throw ZooKeeperError(.badArguments, "unterminated IPv6 address in \"\(text)\"")
            }
            host = item[item.index(after: item.startIndex)..<close]
            let rest = item[item.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw ZooKeeperError(.badArguments, "bad server \"\(item)\" in \"\(text)\"") }
                portText = rest.dropFirst()
            }
        } else if let colon = item.lastIndex(of: ":") {
            host = item[..<colon]
            portText = item[item.index(after: colon)...]
        }
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw ZooKeeperError(.badArguments, "bad port in \"\(item)\" of \"\(text)\"")
            }
            port = parsed
        }
        guard !host.isEmpty else { throw ZooKeeperError(.badArguments, "empty host in \"\(text)\"") }
        return ZooKeeperServerAddress(host: String(host), port: port)
    }

    public var description: String {
        servers.map(\.description).joined(separator: ",") + (chroot ?? "")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}
