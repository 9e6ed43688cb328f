/// How a znode is created (`org.apache.zookeeper.CreateMode`); `rawValue` is the `flags` on the wire.
/// The TTL modes (5, 6) are not supported.
public enum CreateMode: Int32, Sendable, Hashable, CaseIterable {
    case persistent = 0
    case ephemeral = 1
    case persistentSequential = 2
    case ephemeralSequential = 3
    /// Deleted by the server once its last child is gone (opcode `createContainer`).
    case container = 4

    public var isEphemeral: Bool {
        switch self {
        case .ephemeral, .ephemeralSequential: true
        case .persistent, .persistentSequential, .container: false
        }
    }

    /// The server appends a 10-digit, zero-padded counter to the name.
    public var isSequential: Bool {
        switch self {
        case .persistentSequential, .ephemeralSequential: true
        case .persistent, .ephemeral, .container: false
        }
    }
}
