import NIOCore

/// jute `MultiHeader { int type; boolean done; int err }`; `done` ends the list.
struct MultiHeader: Hashable {
    var type: Int32
    var done: Bool
    var err: Int32

    static let end = MultiHeader(type: -1, done: true, err: -1)

    static func read(from buffer: inout ByteBuffer, _ field: String) throws(ZooKeeperCodecError) -> MultiHeader {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            MultiHeader(type: try buffer.readJuteInt("\(field).type"), done: try buffer.readJuteBool("\(field).done"),
                        err: try buffer.readJuteInt("\(field).err"))
        }
    }

    func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(type)
        buffer.writeJuteBool(done)
        buffer.writeJuteInt(err)
    }
}
