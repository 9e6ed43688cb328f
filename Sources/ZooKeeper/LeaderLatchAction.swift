/// Tags a request of the latch, so its answer finds its way back.
public struct LeaderLatchOperation: Sendable, Hashable {
    public enum Step: Sendable, Hashable {
        case createParent(String)
        case create
        case listChildren
        case watchPredecessor(String)
        case watchOwnNode
        case deleteNode(String)
    }

    public let epoch: UInt64
    public let step: Step

    public init(epoch: UInt64, step: Step) {
        self.epoch = epoch
        self.step = step
    }
}

/// An effect the shell performs for `LeaderLatch`.
public enum LeaderLatchAction: Sendable, Hashable {
    /// Send `request` on the session; report the result with `completed(operation, …)`.
    case submit(LeaderLatchOperation, ZooKeeperRequest)
    /// We became the leader (Spark: `ElectedLeader`).
    case isLeader
    /// We are no longer the leader (Spark: `RevokedLeadership`).
    case notLeader
    /// Call `retryTimerFired` after this delay.
    case scheduleRetry(afterMs: Int64)
    case log(ZooKeeperLogLevel, String)
}
