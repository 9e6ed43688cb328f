import ZooKeeper

/// What a `ZooKeeperClient` reports to its subscribers.
public enum ZooKeeperClientEvent: Sendable, Hashable {
    case session(ZooKeeperSessionEvent)
    case watch(ZooKeeperWatchEvent)
}
