/// One direction of one connection, as the listing names it.
public struct FlowReference: Sendable, Hashable {
    /// Which way the bytes went.
    public enum Direction: String, Sendable, Hashable {
        /// From the side that opened the connection.
        case clientToServer = "client-to-server"
        /// From the side that accepted it.
        case serverToClient = "server-to-client"
        /// A raw stream given without a `--direction` hint.
        case unknown
    }

    /// Connections numbered from 0 in order of their first packet.
    public var connectionIndex: Int
    /// `client -> server`, e.g. `127.0.0.1:37916 -> 127.0.0.1:17077`.
    public var connection: String
    /// Which side sent the bytes.
    public var direction: Direction

    /// Names one direction of a connection.
    public init(connectionIndex: Int, connection: String, direction: Direction) {
        self.connectionIndex = connectionIndex
        self.connection = connection
        self.direction = direction
    }
}
