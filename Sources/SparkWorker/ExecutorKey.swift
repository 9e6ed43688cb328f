/// Identifies an executor on this worker: application id and executor id (Spark's `fullId`).
public struct ExecutorKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var appId: String
    public var execId: Int32

    public init(appId: String, execId: Int32) {
        self.appId = appId
        self.execId = execId
    }

    /// `<appId>/<execId>`, as Spark prints and keys it.
    public var fullId: String { "\(appId)/\(execId)" }
    public var description: String { fullId }

    public static func < (lhs: ExecutorKey, rhs: ExecutorKey) -> Bool {
        (lhs.appId, lhs.execId) < (rhs.appId, rhs.execId)
    }
}
