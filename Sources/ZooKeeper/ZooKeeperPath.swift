/// Path rules (ZooKeeper's `PathUtils.validatePath`) and chroot mapping (`ClientCnxn`).
public enum ZooKeeperPath {
    /// Throws `badArguments` unless `path` is absolute, has no empty, `.` or `..` component, no
    /// trailing slash (a sequential create may end in `/`: the counter becomes the name) and no
    /// control or reserved characters.
    public static func validate(_ path: String, isSequential: Bool = false) throws(ZooKeeperError) {
        if isSequential {
            // The server appends the counter, so "/dir/" names a child of /dir.
            try validate(path + "1")
            return
        }
        guard !path.isEmpty else { throw ZooKeeperError(.badArguments, "path must not be empty") }
        guard path.hasPrefix("/") else { throw ZooKeeperError(.badArguments, "path must start with /", path: path) }
        if path == "/" { return }
        guard !path.hasSuffix("/") else { throw ZooKeeperError(.badArguments, "path must not end with /", path: path) }
        for component in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw ZooKeeperError(.badArguments, "empty node name", path: path) }
            guard component != ".", component != ".." else {
                throw ZooKeeperError(.badArguments, "relative paths are not allowed", path: path)
            }
        }
        for scalar in path.unicodeScalars {
            let value = scalar.value
            let invalid = value == 0 || (0x01...0x1F).contains(value) || (0x7F...0x9F).contains(value)
                || (0xD800...0xF8FF).contains(value) || (0xFFF0...0xFFFF).contains(value)
            guard !invalid else {
                throw ZooKeeperError(.badArguments, "invalid character U+\(String(value, radix: 16, uppercase: true))", path: path)
            }
        }
    }

    /// The server path of a client path under `chroot`.
    public static func prependChroot(_ chroot: String?, to path: String) -> String {
        guard let chroot else { return path }
        return path == "/" ? chroot : chroot + path
    }

    /// The client path of a server path under `chroot`; a path outside the chroot is returned as is.
    public static func stripChroot(_ chroot: String?, from path: String) -> String {
        guard let chroot else { return path }
        if path == chroot { return "/" }
        if path.hasPrefix(chroot + "/") { return String(path.dropFirst(chroot.count)) }
        return path
    }

    /// The parent of `path` ("/" for a top-level node, nil for the root).
    public static func parent(of path: String) -> String? {
        guard path != "/", let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of `path`.
    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `parent` + "/" + `child`.
    public static func join(_ parent: String, _ child: String) -> String {
        parent == "/" ? "/" + child : parent + "/" + child
    }
}
