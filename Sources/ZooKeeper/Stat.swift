import NIOCore

/// A znode's metadata (jute `org.apache.zookeeper.data.Stat`, 68 bytes).
public struct Stat: Sendable, Hashable {
    /// zxid of the create.
    public var czxid: Int64
    /// zxid of the last data change.
    public var mzxid: Int64
    /// Creation time, epoch ms.
    public var ctime: Int64
    /// Last modification time, epoch ms.
    public var mtime: Int64
    /// Data version (what `setData`/`delete` compare against).
    public var version: Int32
    /// Children version.
    public var cversion: Int32
    /// ACL version.
    public var aversion: Int32
    /// Owning session id for an ephemeral node, 0 otherwise.
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    /// zxid of the last change to the children.
    public var pzxid: Int64

    public static let encodedSize = 68

    public init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0, version: Int32 = 0,
        cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0, dataLength: Int32 = 0,
        numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> Stat {
        guard buffer.readableBytes >= encodedSize else {
            throw ZooKeeperCodecError(.truncated, "needs \(encodedSize) bytes, \(buffer.readableBytes) left", context: "Stat")
        }
        return Stat(
            czxid: try buffer.readJuteLong("Stat.czxid"), mzxid: try buffer.readJuteLong("Stat.mzxid"),
            ctime: try buffer.readJuteLong("Stat.ctime"), mtime: try buffer.readJuteLong("Stat.mtime"),
            version: try buffer.readJuteInt("Stat.version"), cversion: try buffer.readJuteInt("Stat.cversion"),
            aversion: try buffer.readJuteInt("Stat.aversion"), ephemeralOwner: try buffer.readJuteLong("Stat.ephemeralOwner"),
            dataLength: try buffer.readJuteInt("Stat.dataLength"), numChildren: try buffer.readJuteInt("Stat.numChildren"),
            pzxid: try buffer.readJuteLong("Stat.pzxid"))
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteLong(czxid)
        buffer.writeJuteLong(mzxid)
        buffer.writeJuteLong(ctime)
        buffer.writeJuteLong(mtime)
        buffer.writeJuteInt(version)
        buffer.writeJuteInt(cversion)
        buffer.writeJuteInt(aversion)
        buffer.writeJuteLong(ephemeralOwner)
        buffer.writeJuteInt(dataLength)
        buffer.writeJuteInt(numChildren)
        buffer.writeJuteLong(pzxid)
    }
}
