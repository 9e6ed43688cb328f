import NIOCore

/// A watch notification (jute `WatcherEvent`), sent with xid -1.
public struct WatcherEvent: Sendable, Hashable {
    public var type: EventType
    public var state: KeeperState
    /// The znode's path as the server knows it (including any chroot).
    public var path: String

    public init(type: EventType, state: KeeperState, path: String) {
        self.type = type
        self.state = state
        self.path = path
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> WatcherEvent {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            WatcherEvent(
                type: EventType(rawValue: try buffer.readJuteInt("WatcherEvent.type")),
                state: KeeperState(rawValue: try buffer.readJuteInt("WatcherEvent.state")),
                path: try buffer.readJuteString("WatcherEvent.path"))
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(type.rawValue)
        buffer.writeJuteInt(state.rawValue)
        buffer.writeJuteString(path)
    }
}
