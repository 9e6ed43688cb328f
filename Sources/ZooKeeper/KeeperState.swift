/// `Watcher.Event.KeeperState`; servers send `syncConnected` in notifications.
public enum KeeperState: Sendable, Hashable {
    case disconnected
    case syncConnected
    case authFailed
    case connectedReadOnly
    case saslAuthenticated
    case closed
    case expired
    case unknown(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .disconnected
        case 3: self = .syncConnected
        case 4: self = .authFailed
        case 5: self = .connectedReadOnly
        case 6: self = .saslAuthenticated
        case 7: self = .closed
        case -112: self = .expired
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .disconnected: 0
        case .syncConnected: 3
        case .authFailed: 4
        case .connectedReadOnly: 5
        case .saslAuthenticated: 6
        case .closed: 7
        case .expired: -112
        case .unknown(let value): value
        }
    }
}
