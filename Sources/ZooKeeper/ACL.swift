import NIOCore

/// An access control entry (jute `ACL { int perms; Id id }`).
public struct ACL: Sendable, Hashable {
    /// Permission bits (`ZooDefs.Perms`).
    public struct Permissions: OptionSet, Sendable, Hashable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let read = Permissions(rawValue: 1)
        public static let write = Permissions(rawValue: 2)
        public static let create = Permissions(rawValue: 4)
        public static let delete = Permissions(rawValue: 8)
        public static let admin = Permissions(rawValue: 16)
        public static let all: Permissions = [.read, .write, .create, .delete, .admin]
    }

    public var permissions: Permissions
    /// Authentication scheme, e.g. `world`.
    public var scheme: String
    /// Identity within the scheme, e.g. `anyone`.
    public var id: String

    public init(permissions: Permissions, scheme: String, id: String) {
        self.permissions = permissions
        self.scheme = scheme
        self.id = id
    }

    /// `ZooDefs.Ids.OPEN_ACL_UNSAFE`: world:anyone with every permission (what Spark and Curator use).
    public static let openACLUnsafe: [ACL] = [ACL(permissions: .all, scheme: "world", id: "anyone")]

    /// Smallest encoding: perms + two empty strings.
    static let minimumEncodedSize = 12

    public static func read(from buffer: inout ByteBuffer, _ field: String) throws(ZooKeeperCodecError) -> ACL {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            ACL(
                permissions: Permissions(rawValue: try buffer.readJuteInt("\(field).perms")),
                scheme: try buffer.readJuteString("\(field).id.scheme"),
                id: try buffer.readJuteString("\(field).id.id"))
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(permissions.rawValue)
        buffer.writeJuteString(scheme)
        buffer.writeJuteString(id)
    }
}
