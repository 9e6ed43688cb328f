/// Request types this codec speaks (`ZooDefs.OpCode`); `rawValue` is the `type` in the request header.
public enum OpCode: Int32, Sendable, Hashable, CaseIterable {
    case notification = 0
    case create = 1
    case delete = 2
    case exists = 3
    case getData = 4
    case setData = 5
    case getChildren = 8
    case sync = 9
    case ping = 11
    case getChildren2 = 12
    case check = 13
    case multi = 14
    case create2 = 15
    case createContainer = 19
    case setWatches = 101
    /// Marks a failed operation in a multi reply, and the end of a multi.
    case error = -1
    case closeSession = -11
}

/// Reserved xids (`ClientCnxn`).
public enum SpecialXid {
    /// Watch notification, server to client.
    public static let notification: Int32 = -1
    public static let ping: Int32 = -2
    public static let auth: Int32 = -4
    public static let setWatches: Int32 = -8
}
