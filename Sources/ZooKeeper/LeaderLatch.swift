/// Leader election over a ZooKeeper session, sans IO, with the semantics of Curator's `LeaderLatch`
/// as Spark uses it (Curator: `LeaderLatch`, `LockInternals`, `StandardLockInternalsDriver`).
///
/// Each participant creates an EPHEMERAL_SEQUENTIAL node `<latchPath>/_c_<uuid>-latch-<seq>` (Curator's
/// protected naming), lists the children, orders them by the sequence after `latch-`; the first is
/// the leader, every other one watches (getData + watch) only its immediate predecessor and re-lists
/// when that changes. The leader also watches its own node, so losing it ends leadership.
///
/// Connection policy (conservative, Curator's default error policy): leadership ends the moment the
/// connection is lost (`.disconnected`, Curator SUSPENDED) — before the session could expire and
/// another participant take over — and of course on expiry (LOST) and close. On `.reconnected`
/// (same session) the old node is deleted and a new one created, so the participant competes again
/// from the back; on a new session the old node is already gone and a new one is created.
///
/// Requests carry a `LeaderLatchOperation` with an epoch; answers from an older epoch are ignored,
/// except that a node created by a stale create is deleted. Protected naming lets a reconnect
/// find and delete a node whose create answer was lost.
public struct LeaderLatch: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// The election directory, e.g. `/spark/leader_election`.
        public var latchPath: String
        /// Delay before starting over after an unexpected error.
        public var retryDelayMs: Int64

        public init(latchPath: String, retryDelayMs: Int64 = 1000) {
            self.latchPath = latchPath
            self.retryDelayMs = retryDelayMs
        }
    }

    /// Curator's `LeaderLatch.LOCK_NAME`.
    public static let lockName = "latch-"

    enum State: Sendable, Hashable {
        /// `start` not called yet.
        case idle
        /// Started; no connected session.
        case waitingForSession
        /// Our node's create (maybe behind parent creates) is outstanding.
        case creating(parentAttempts: Int)
        /// getChildren is outstanding.
        case listing(ourPath: String)
        /// Watching the predecessor.
        case watching(ourPath: String, predecessor: String)
        case leading(ourPath: String)
        /// Waiting for the retry timer after an unexpected error.
        case backingOff
        case stopped
    }

    public let configuration: Configuration
    private var state: State = .idle
    private var epoch: UInt64 = 0
    private var random: ZooKeeperRandom
    /// The protected-name id of the current session's nodes.
    private var uuid: String
    /// Our node, if one was created in the current session and not deleted.
    private var ourPath: String?
    private var sessionConnected = false

    /// `seed` drives the node ids (Curator uses random UUIDs).
    public init(configuration: Configuration, seed: UInt64) {
        self.configuration = configuration
        self.random = ZooKeeperRandom(seed: seed)
        self.uuid = random.uuidString()
    }

    public var isLeader: Bool {
        switch state {
        case .leading: true
        case .idle, .waitingForSession, .creating, .listing, .watching, .backingOff, .stopped: false
        }
    }

    /// Our current node, if any.
    public var nodePath: String? { ourPath }

    /// The prefix of our node names: `_c_<uuid>-latch-`.
    public var protectedPrefix: String { "_c_\(uuid)-\(Self.lockName)" }

    // MARK: - Inputs

    /// Joins the election once a session is connected (feed session events, starting with the current state).
    public mutating func start() -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        switch state {
        case .idle:
            state = .waitingForSession
            if sessionConnected { reset(&actions) }
        case .waitingForSession, .creating, .listing, .watching, .leading, .backingOff, .stopped:
            actions.append(.log(.debug, "start ignored: the latch is already started"))
        }
        return actions
    }

    /// Leaves the election: gives leadership up and deletes our node (Curator `close`).
    public mutating func stop() -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        switch state {
        case .stopped:
            break
        case .idle, .waitingForSession, .creating, .listing, .watching, .leading, .backingOff:
            epoch += 1
            setLeadership(false, &actions)
            if let ourPath, sessionConnected {
                actions.append(.submit(operation(.deleteNode(ourPath)), .delete(path: ourPath, version: -1)))
            }
            ourPath = nil
            state = .stopped
        }
        return actions
    }

    public mutating func sessionEvent(_ event: ZooKeeperSessionEvent) -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        switch event {
        case .connected:
            // A new session: nodes of an older one are gone (or going).
            sessionConnected = true
            ourPath = nil
            uuid = random.uuidString()
            if isParticipating { reset(&actions) }
        case .reconnected:
            sessionConnected = true
            if isParticipating { reset(&actions) }
        case .disconnected:
            // SUSPENDED: the session may expire any moment and another participant take over.
            sessionConnected = false
            suspend(&actions)
        case .expired:
            sessionConnected = false
            ourPath = nil
            suspend(&actions)
        case .closed:
            sessionConnected = false
            epoch += 1
            setLeadership(false, &actions)
            ourPath = nil
            state = .stopped
        }
        return actions
    }

    /// A request the latch asked for completed.
    public mutating func completed(_ operation: LeaderLatchOperation, _ result: Result<ZooKeeperResponse, ZooKeeperError>) -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        guard operation.epoch == epoch else {
            if case .create = operation.step, case .success(.create2(let path, _)) = result {
                // A node from a round we abandoned: it would block the others, remove it.
                actions.append(.submit(self.operation(.deleteNode(path)), .delete(path: path, version: -1)))
            }
            return actions
        }
        switch operation.step {
        case .createParent, .deleteNode:
            // Parents: NODEEXISTS is fine, anything else shows on the create behind them. Deletes: best effort.
            break
        case .create:
            createCompleted(result, &actions)
        case .listChildren:
            switch result {
            case .success(.children(let names)), .success(.children2(let names, _)):
                checkLeadership(names, &actions)
            case .success(let other):
                unexpected("getChildren answered with \(other)", &actions)
            case .failure(let error) where error.code == .noNode:
                // The election directory is gone, and our node with it.
                reset(&actions)
            case .failure(let error):
                failed(error, during: "listing \(configuration.latchPath)", &actions)
            }
        case .watchPredecessor(let predecessor):
            guard case .watching(_, predecessor) = state else { break }
            switch result {
            case .success:
                break  // Wait for the watch.
            case .failure(let error) where error.code == .noNode:
                // Gone before we could watch it: look again.
                relist(&actions)
            case .failure(let error):
                failed(error, during: "watching \(predecessor)", &actions)
            }
        case .watchOwnNode:
            guard case .leading = state else { break }
            switch result {
            case .success:
                break
            case .failure(let error) where error.code == .noNode:
                actions.append(.log(.warning, "our latch node vanished"))
                reset(&actions)
            case .failure(let error):
                failed(error, during: "watching our node", &actions)
            }
        }
        return actions
    }

    /// A watch event of the session.
    public mutating func watchEvent(_ event: ZooKeeperWatchEvent) -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        switch state {
        case .watching(_, let predecessor) where event.path == predecessor:
            // Usually NodeDeleted; any event used the watch up, so look again either way.
            relist(&actions)
        case .leading(let path) where event.path == path:
            if case .nodeDeleted = event.type {
                actions.append(.log(.warning, "our latch node \(path) was deleted"))
                reset(&actions)
            } else {
                actions.append(.submit(operation(.watchOwnNode), .getData(path: path, watch: true)))
            }
        case .idle, .waitingForSession, .creating, .listing, .watching, .leading, .backingOff, .stopped:
            break
        }
        return actions
    }

    /// The retry timer asked for by `.scheduleRetry` fired.
    public mutating func retryTimerFired() -> [LeaderLatchAction] {
        var actions: [LeaderLatchAction] = []
        switch state {
        case .backingOff:
            if sessionConnected {
                reset(&actions)
            } else {
                state = .waitingForSession
            }
        case .idle, .waitingForSession, .creating, .listing, .watching, .leading, .stopped:
            break
        }
        return actions
    }

    // MARK: - Steps

    private var isParticipating: Bool {
        switch state {
        case .idle, .stopped: false
        case .waitingForSession, .creating, .listing, .watching, .leading, .backingOff: true
        }
    }

    private func operation(_ step: LeaderLatchOperation.Step) -> LeaderLatchOperation {
        LeaderLatchOperation(epoch: epoch, step: step)
    }

    private mutating func setLeadership(_ leader: Bool, _ actions: inout [LeaderLatchAction]) {
        if leader, !isLeader {
            actions.append(.isLeader)
        } else if !leader, isLeader {
            actions.append(.notLeader)
        }
    }

    private mutating func suspend(_ actions: inout [LeaderLatchAction]) {
        guard isParticipating else { return }
        epoch += 1
        setLeadership(false, &actions)
        state = .waitingForSession
    }

    /// Curator `reset`: drop leadership, delete our node, create a new one.
    private mutating func reset(_ actions: inout [LeaderLatchAction]) {
        epoch += 1
        setLeadership(false, &actions)
        if let ourPath {
            actions.append(.submit(operation(.deleteNode(ourPath)), .delete(path: ourPath, version: -1)))
        }
        ourPath = nil
        submitCreate(&actions)
        state = .creating(parentAttempts: 0)
    }

    private func submitCreate(_ actions: inout [LeaderLatchAction]) {
        let prefix = ZooKeeperPath.join(configuration.latchPath, protectedPrefix)
        actions.append(.submit(operation(.create), .create2(CreateRequest(path: prefix, mode: .ephemeralSequential))))
    }

    private mutating func createCompleted(_ result: Result<ZooKeeperResponse, ZooKeeperError>, _ actions: inout [LeaderLatchAction]) {
        guard case .creating(let parentAttempts) = state else { return }
        switch result {
        case .success(.create2(let path, _)), .success(.create(let path)):
            ourPath = path
            relist(&actions)
        case .success(let other):
            unexpected("create answered with \(other)", &actions)
        case .failure(let error) where error.code == .noNode && parentAttempts < 3:
            // Curator creatingParentContainersIfNeeded: persistent ancestors, a container for the
            // election directory, then the node again. All pipelined; the session keeps their order.
            var ancestors: [String] = []
            var cursor = ZooKeeperPath.parent(of: configuration.latchPath)
            while let path = cursor, path != "/" {
                ancestors.insert(path, at: 0)
                cursor = ZooKeeperPath.parent(of: path)
            }
            for path in ancestors {
                actions.append(.submit(operation(.createParent(path)), .create(CreateRequest(path: path, mode: .persistent))))
            }
            actions.append(.submit(operation(.createParent(configuration.latchPath)),
                                   .createContainer(CreateRequest(path: configuration.latchPath, mode: .container))))
            submitCreate(&actions)
            state = .creating(parentAttempts: parentAttempts + 1)
        case .failure(let error):
            failed(error, during: "creating our node", &actions)
        }
    }

    private mutating func relist(_ actions: inout [LeaderLatchAction]) {
        guard let ourPath else {
            reset(&actions)
            return
        }
        actions.append(.submit(operation(.listChildren), .getChildren(path: configuration.latchPath, watch: false)))
        state = .listing(ourPath: ourPath)
    }

    /// Curator `checkLeadership`.
    private mutating func checkLeadership(_ names: [String], _ actions: inout [LeaderLatchAction]) {
        guard case .listing(let path) = state else { return }
        let ourName = ZooKeeperPath.name(of: path)
        let orphans = names.filter { $0 != ourName && $0.hasPrefix(protectedPrefix) }
        if !orphans.isEmpty {
            // Ours from a create whose answer was lost: delete them, then look again.
            for orphan in orphans {
                let orphanPath = ZooKeeperPath.join(configuration.latchPath, orphan)
                actions.append(.submit(operation(.deleteNode(orphanPath)), .delete(path: orphanPath, version: -1)))
            }
            relist(&actions)
            return
        }
        let sorted = Self.sortedParticipants(names)
        guard let index = sorted.firstIndex(of: ourName) else {
            actions.append(.log(.warning, "our latch node \(ourName) is not among the participants; starting over"))
            reset(&actions)
            return
        }
        if index == 0 {
            setLeadership(true, &actions)
            state = .leading(ourPath: path)
            actions.append(.submit(operation(.watchOwnNode), .getData(path: path, watch: true)))
        } else {
            let predecessor = ZooKeeperPath.join(configuration.latchPath, sorted[index - 1])
            state = .watching(ourPath: path, predecessor: predecessor)
            // getData + watch, as Curator: fails with NONODE if the predecessor is already gone
            // (then we re-list); exists + watch would leave a creation watch behind on the server.
            actions.append(.submit(operation(.watchPredecessor(predecessor)), .getData(path: predecessor, watch: true)))
        }
    }

    /// Orders children as Curator does: by the text after the last `latch-` (the zero-padded
    /// sequence), names without it by the whole name; ties by the whole name.
    public static func sortedParticipants(_ names: [String]) -> [String] {
        func key(_ name: String) -> Substring {
            // The text after the last occurrence of `latch-`.
            let utf8 = Array(name.utf8)
            let marker = Array(lockName.utf8)
            guard utf8.count >= marker.count else { return Substring(name) }
            for start in stride(from: utf8.count - marker.count, through: 0, by: -1)
            where utf8[start..<(start + marker.count)].elementsEqual(marker) {
                let index = name.utf8.index(name.utf8.startIndex, offsetBy: start + marker.count)
                return name[index...]
            }
            return Substring(name)
        }
        return names.sorted { lhs, rhs in
            let (l, r) = (key(lhs), key(rhs))
            return l == r ? lhs < rhs : l < r
        }
    }

    private mutating func failed(_ error: ZooKeeperError, during what: String, _ actions: inout [LeaderLatchAction]) {
        switch error.code {
        case .connectionLoss, .sessionExpired, .sessionMoved:
            // A session event follows (or came already) and decides what happens next.
            actions.append(.log(.debug, "\(what): \(error)"))
        default:
            unexpected("\(what): \(error)", &actions)
        }
    }

    private mutating func unexpected(_ message: String, _ actions: inout [LeaderLatchAction]) {
        actions.append(.log(.warning, "\(message); retrying in \(configuration.retryDelayMs) ms"))
        epoch += 1
        setLeadership(false, &actions)
        state = .backingOff
        actions.append(.scheduleRetry(afterMs: configuration.retryDelayMs))
    }
}
