import NIOCore

/// jute `CreateRequest { ustring path; buffer data; vector<ACL> acl; int flags }`, shared by
/// create (1), create2 (15) and createContainer (19).
public struct CreateRequest: Sendable, Hashable {
    /// For a sequential mode, the prefix the counter is appended to.
    public var path: String
    public var data: [UInt8]
    public var acl: [ACL]
    public var mode: CreateMode

    public init(path: String, data: [UInt8] = [], acl: [ACL] = ACL.openACLUnsafe, mode: CreateMode) {
        self.path = path
        self.data = data
        self.acl = acl
        self.mode = mode
    }

    public static func read(from buffer: inout ByteBuffer) throws(ZooKeeperCodecError) -> CreateRequest {
        try buffer.readJuteRecord { (buffer) throws(ZooKeeperCodecError) in
            let path = try buffer.readJuteString("CreateRequest.path")
            let data = try buffer.readJuteBuffer("CreateRequest.data")
            let acl = try buffer.readJuteVector("CreateRequest.acl", minimumElementSize: ACL.minimumEncodedSize) { (b, f) throws(ZooKeeperCodecError) in
                try ACL.read(from: &b, f)
            }
            let flags = try buffer.readJuteInt("CreateRequest.flags")
            guard let mode = CreateMode(rawValue: flags) else {
                throw ZooKeeperCodecError(.invalidValue, "create flags \(flags) are not a supported CreateMode", context: "CreateRequest.flags")
            }
            return CreateRequest(path: path, data: data, acl: acl, mode: mode)
        }
    }

    public func write(into buffer: inout ByteBuffer) {
        buffer.writeJuteString(path)
        buffer.writeJuteBuffer(data)
        buffer.writeJuteVector(acl) { $1.write(into: &$0) }
        buffer.writeJuteInt(mode.rawValue)
    }
}
