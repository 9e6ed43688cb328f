import ZooKeeper

// Typed operations over `execute` (the Java client's `ZooKeeper` methods). Paths are relative to
// the chroot; versions of -1 match any version.
extension ZooKeeperClient {
    /// Creates a node and returns its actual path (with the sequence number for sequential modes).
    @discardableResult
    public func create(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = ACL.openACLUnsafe) async throws(ZooKeeperError) -> String {
        let request = CreateRequest(path: path, data: data, acl: acl, mode: mode)
        let response = try await execute(mode == .container ? .createContainer(request) : .create(request))
        switch response {
        case .create(let created), .create2(let created, _): return created
        case .stat, .data, .children, .children2, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    /// Creates a node and returns its actual path and its stat.
    @discardableResult
    public func create2(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = ACL.openACLUnsafe) async throws(ZooKeeperError) -> (path: String, stat: Stat) {
        let request = CreateRequest(path: path, data: data, acl: acl, mode: mode)
        let response = try await execute(mode == .container ? .createContainer(request) : .create2(request))
        switch response {
        case .create2(let created, let stat): return (created, stat)
        case .create, .stat, .data, .children, .children2, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    public func delete(_ path: String, version: Int32 = -1) async throws(ZooKeeperError) {
        _ = try await execute(.delete(path: path, version: version))
    }

    /// The node's stat, or nil if it does not exist. With `watch`, a watch is left either way
    /// (NodeCreated for a missing node; NodeDataChanged/NodeDeleted otherwise).
    public func exists(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> Stat? {
        do throws(ZooKeeperError) {
            let response = try await execute(.exists(path: path, watch: watch))
            switch response {
            case .stat(let stat): return stat
            case .create, .create2, .data, .children, .children2, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
            }
        } catch where error.code == .noNode {
            return nil
        }
    }

    public func getData(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> (data: [UInt8], stat: Stat) {
        let response = try await execute(.getData(path: path, watch: watch))
        switch response {
        case .data(let data, let stat): return (data, stat)
        case .create, .create2, .stat, .children, .children2, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    @discardableResult
    public func setData(_ path: String, data: [UInt8], version: Int32 = -1) async throws(ZooKeeperError) -> Stat {
        let response = try await execute(.setData(path: path, data: data, version: version))
        switch response {
        case .stat(let stat): return stat
        case .create, .create2, .data, .children, .children2, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    /// Children's names (not paths), in the server's order.
    public func getChildren(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> [String] {
        let response = try await execute(.getChildren(path: path, watch: watch))
        switch response {
        case .children(let names), .children2(let names, _): return names
        case .create, .create2, .stat, .data, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    public func getChildren2(_ path: String, watch: Bool = false) async throws(ZooKeeperError) -> (children: [String], stat: Stat) {
        let response = try await execute(.getChildren2(path: path, watch: watch))
        switch response {
        case .children2(let names, let stat): return (names, stat)
        case .create, .create2, .stat, .data, .children, .sync, .multi, .empty: throw Self.unexpected(response, for: path)
        }
    }

    /// Runs `operations` atomically. On failure throws the first failing operation's error, with
    /// every operation's result in `multiResults`.
    @discardableResult
    public func multi(_ operations: [MultiOperation]) async throws(ZooKeeperError) -> [MultiResult] {
        let response = try await execute(.multi(operations))
        switch response {
        case .multi(let results): return results
        case .create, .create2, .stat, .data, .children, .children2, .sync, .empty: throw Self.unexpected(response, for: nil)
        }
    }

    /// Waits until the server we talk to has caught up with the leader for `path`.
    public func sync(_ path: String) async throws(ZooKeeperError) {
        _ = try await execute(.sync(path: path))
    }

    /// Creates `path` and its missing ancestors as persistent nodes (Curator `creatingParentsIfNeeded`);
    /// nodes that exist already are fine.
    public func ensurePath(_ path: String, data: [UInt8] = []) async throws(ZooKeeperError) {
        try ZooKeeperPath.validate(path)
        var prefixes: [String] = []
        var cursor: String? = path
        while let current = cursor, current != "/" {
            prefixes.insert(current, at: 0)
            cursor = ZooKeeperPath.parent(of: current)
        }
        for prefix in prefixes {
            do {
                try await create(prefix, data: prefix == path ? data : [], mode: .persistent)
            } catch where error.code == .nodeExists {
                continue
            }
        }
    }

    private static func unexpected(_ response: ZooKeeperResponse, for path: String?) -> ZooKeeperError {
        ZooKeeperError(.marshallingError, "unexpected response \(response)", path: path)
    }
}
