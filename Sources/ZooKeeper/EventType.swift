/// `Watcher.Event.EventType`; numbers a newer server may add are kept as `.unknown`.
public enum EventType: Sendable, Hashable {
    case none
    case nodeCreated
    case nodeDeleted
    case nodeDataChanged
    case nodeChildrenChanged
    case dataWatchRemoved
    case childWatchRemoved
    case persistentWatchRemoved
    case unknown(Int32)

    public init(rawValue: Int32) {
        switch rawValue {
        case -1: self = .none
        case 1: self = .nodeCreated
        case 2: self = .nodeDeleted
        case 3: self = .nodeDataChanged
        case 4: self = .nodeChildrenChanged
        case 5: self = .dataWatchRemoved
        case 6: self = .childWatchRemoved
        case 7: self = .persistentWatchRemoved
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .none: -1
        case .nodeCreated: 1
        case .nodeDeleted: 2
        case .nodeDataChanged: 3
        case .nodeChildrenChanged: 4
        case .dataWatchRemoved: 5
        case .childWatchRemoved: 6
        case .persistentWatchRemoved: 7
        case .unknown(let value): value
        }
    }
}
