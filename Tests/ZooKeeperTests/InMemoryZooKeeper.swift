import ZooKeeper

/// A small in-memory ZooKeeper data tree with sessions, ephemeral and sequential nodes, containers
/// and one-shot watches: the peer the latch and the client talk to in memory.
struct InMemoryZooKeeper {
    struct Node {
        var data: [UInt8]
        var stat: Stat
        var children: Set<String> = []
        var isContainer = false
    }

    /// A notification to deliver to a session.
    struct Notification: Equatable {
        var session: Int64
        var event: ZooKeeperWatchEvent
    }

    private(set) var nodes: [String: Node] = ["/": Node(data: [], stat: Stat())]
    private(set) var zxid: Int64 = 0
    private(set) var liveSessions: Set<Int64> = []
    private var nextSession: Int64 = 0x1000
    private var dataWatches: [String: Set<Int64>] = [:]
    private var existWatches: [String: Set<Int64>] = [:]
    private var childWatches: [String: Set<Int64>] = [:]

    mutating func createSession() -> Int64 {
        nextSession += 1
        liveSessions.insert(nextSession)
        return nextSession
    }

    /// The session ends (expiry or close): its ephemeral nodes go, firing watches.
    mutating func endSession(_ session: Int64) -> [Notification] {
        guard liveSessions.remove(session) != nil else { return [] }
        var notifications: [Notification] = []
        for (path, node) in nodes.sorted(by: { $0.key > $1.key }) where node.stat.ephemeralOwner == session {
            notifications += remove(path)
        }
        for key in Array(dataWatches.keys) { dataWatches[key]?.remove(session) }
        for key in Array(existWatches.keys) { existWatches[key]?.remove(session) }
        for key in Array(childWatches.keys) { childWatches[key]?.remove(session) }
        return notifications
    }

    func children(of path: String) -> [String] { nodes[path].map { Array($0.children).sorted() } ?? [] }

    /// Applies `request` for `session`; returns the answer and the notifications it caused.
    mutating func apply(_ request: ZooKeeperRequest, session: Int64) -> (Result<ZooKeeperResponse, ZooKeeperError>, [Notification]) {
        guard liveSessions.contains(session) else { return (.failure(ZooKeeperError(.sessionExpired)), []) }
        var notifications: [Notification] = []
        let result = perform(request, session: session, &notifications)
        return (result, notifications)
    }

    private mutating func perform(_ request: ZooKeeperRequest, session: Int64, _ notifications: inout [Notification]) -> Result<ZooKeeperResponse, ZooKeeperError> {
        switch request {
        case .create(let create):
            return createNode(create, session: session, &notifications).map { .create(path: $0) }
        case .create2(let create), .createContainer(let create):
            return createNode(create, session: session, &notifications).map { .create2(path: $0, stat: nodes[$0]!.stat) }
        case .delete(let path, let version):
            guard let node = nodes[path] else { return .failure(ZooKeeperError(.noNode)) }
            guard version == -1 || version == node.stat.version else { return .failure(ZooKeeperError(.badVersion)) }
            guard node.children.isEmpty else { return .failure(ZooKeeperError(.notEmpty)) }
            zxid += 1
            notifications += remove(path)
            return .success(.empty)
        case .exists(let path, let watch):
            if let node = nodes[path] {
                if watch { dataWatches[path, default: []].insert(session) }
                return .success(.stat(node.stat))
            }
            if watch { existWatches[path, default: []].insert(session) }
            return .failure(ZooKeeperError(.noNode))
        case .getData(let path, let watch):
            guard let node = nodes[path] else { return .failure(ZooKeeperError(.noNode)) }
            if watch { dataWatches[path, default: []].insert(session) }
            return .success(.data(node.data, node.stat))
        case .setData(let path, let data, let version):
            guard var node = nodes[path] else { return .failure(ZooKeeperError(.noNode)) }
            guard version == -1 || version == node.stat.version else { return .failure(ZooKeeperError(.badVersion)) }
            zxid += 1
            node.data = data
            node.stat.version += 1
            node.stat.mzxid = zxid
            node.stat.dataLength = Int32(data.count)
            nodes[path] = node
            notifications += Self.fire(&dataWatches, path, .nodeDataChanged)
            return .success(.stat(node.stat))
        case .getChildren(let path, let watch), .getChildren2(let path, let watch):
            guard let node = nodes[path] else { return .failure(ZooKeeperError(.noNode)) }
            if watch { childWatches[path, default: []].insert(session) }
            if case .getChildren = request { return .success(.children(Array(node.children).sorted())) }
            return .success(.children2(Array(node.children).sorted(), node.stat))
        case .sync(let path):
            return .success(.sync(path: path))
        case .multi(let operations):
            var copy = self
            var pending: [Notification] = []
            var results: [MultiResult] = []
            for (index, operation) in operations.enumerated() {
                let single: ZooKeeperRequest
                switch operation {
                case .create(let create): single = .create(create)
                case .delete(let path, let version): single = .delete(path: path, version: version)
                case .setData(let path, let data, let version): single = .setData(path: path, data: data, version: version)
                case .check(let path, let version):
                    guard let node = copy.nodes[path] else {
                        return .success(.multi(Self.failedMulti(count: operations.count, at: index, .noNode)))
                    }
                    guard version == -1 || version == node.stat.version else {
                        return .success(.multi(Self.failedMulti(count: operations.count, at: index, .badVersion)))
                    }
                    results.append(.check)
                    continue
                }
                switch copy.perform(single, session: session, &pending) {
                case .success(.create(let path)): results.append(.create(path: path))
                case .success(.stat(let stat)): results.append(.setData(stat))
                case .success: results.append(.delete)
                case .failure(let error):
                    // As a 3.8 server: OK before the failure, its code, RUNTIMEINCONSISTENCY after.
                    return .success(.multi(Self.failedMulti(count: operations.count, at: index, error.code)))
                }
            }
            self = copy
            notifications += pending
            return .success(.multi(results))
        case .ping, .closeSession, .setWatches:
            return .success(.empty)
        }
    }

    private static func failedMulti(count: Int, at index: Int, _ code: ZooKeeperError.Code) -> [MultiResult] {
        (0..<count).map { $0 < index ? .error(.ok) : $0 == index ? .error(code) : .error(.runtimeInconsistency) }
    }

    private mutating func createNode(_ create: CreateRequest, session: Int64, _ notifications: inout [Notification]) -> Result<String, ZooKeeperError> {
        guard let parentPath = ZooKeeperPath.parent(of: create.path.hasSuffix("/") ? create.path + "x" : create.path),
              var parent = nodes[parentPath] else { return .failure(ZooKeeperError(.noNode)) }
        guard parent.stat.ephemeralOwner == 0 else { return .failure(ZooKeeperError(.noChildrenForEphemerals)) }
        var path = create.path
        if create.mode.isSequential {
            let counter = String(parent.stat.cversion)
            path += String(repeating: "0", count: max(0, 10 - counter.count)) + counter
        }
        guard nodes[path] == nil else { return .failure(ZooKeeperError(.nodeExists)) }
        zxid += 1
        let stat = Stat(
            czxid: zxid, mzxid: zxid, ctime: zxid, mtime: zxid,
            ephemeralOwner: create.mode.isEphemeral ? session : 0, dataLength: Int32(create.data.count), pzxid: zxid)
        nodes[path] = Node(data: create.data, stat: stat, isContainer: create.mode == .container)
        parent.children.insert(ZooKeeperPath.name(of: path))
        parent.stat.cversion += 1
        parent.stat.numChildren += 1
        parent.stat.pzxid = zxid
        nodes[parentPath] = parent
        notifications += Self.fire(&dataWatches, path, .nodeCreated) + Self.fire(&existWatches, path, .nodeCreated)
        notifications += Self.fire(&childWatches, parentPath, .nodeChildrenChanged)
        return .success(path)
    }

    /// Deletes `path` (no checks) and fires its watches; an emptied container goes too.
    private mutating func remove(_ path: String) -> [Notification] {
        guard nodes.removeValue(forKey: path) != nil else { return [] }
        var notifications = Self.fire(&dataWatches, path, .nodeDeleted) + Self.fire(&existWatches, path, .nodeDeleted)
            + Self.fire(&childWatches, path, .nodeDeleted)
        if let parentPath = ZooKeeperPath.parent(of: path), var parent = nodes[parentPath] {
            parent.children.remove(ZooKeeperPath.name(of: path))
            parent.stat.cversion += 1
            parent.stat.numChildren -= 1
            nodes[parentPath] = parent
            notifications += Self.fire(&childWatches, parentPath, .nodeChildrenChanged)
        }
        return notifications
    }

    private static func fire(_ watches: inout [String: Set<Int64>], _ path: String, _ type: EventType) -> [Notification] {
        guard let sessions = watches.removeValue(forKey: path) else { return [] }
        return sessions.sorted().map { Notification(session: $0, event: ZooKeeperWatchEvent(type: type, path: path)) }
    }
}
