import NIOCore

/// Re-registers a session's watches on a new connection (jute `SetWatches`, opcode 101, xid -8).
/// The server fires at once every watch whose node changed after `relativeZxid`.
public struct SetWatches: Sendable, Hashable {
    public var relativeZxid: Int64
    public var dataWatches: [String]
    public var existWatches: [String]
    public var childWatches: [String]

    public init(relativeZxid: Int64, dataWatches: [String], existWatches: [String], childWatches: [String]) {
        self.relativeZxid = relativeZxid
        self.dataWatches = dataWatches
        self.existWatches = existWatches
        self.childWatches = childWatches
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> SetWatches {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            SetWatches(
                relativeZxid: try buffer.readJuteLong("SetWatches.relativeZxid"),
                dataWatches: try buffer.readJuteVector("SetWatches.dataWatches", minimumElementSize: 4) { (b, f) throws(ZooKeeperCodecError) in try b.readJuteString(f) },
                existWatches: try buffer.readJuteVector("SetWatches.existWatches", minimumElementSize: 4) { (b, f) throws(ZooKeeperCodecError) in try b.readJuteString(f) },
                childWatches: try buffer.readJuteVector("SetWatches.childWatches", minimumElementSize: 4) { (b, f) throws(ZooKeeperCodecError) in try b.readJuteString(f) })
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteLong(relativeZxid)
        for list in [dataWatches, existWatches, childWatches] {
            buffer.writeJuteVector(list) { $0.writeJuteString($1) }
        }
    }

    /// Bytes this record takes on the wire.
    public var encodedSize: Int {
        8 + [dataWatches, existWatches, childWatches].reduce(0) { $0 + 4 + $1.reduce(0) { $0 + 4 + $1.utf8.count } }
    }
}
