/// What the periodic work-directory cleanup should delete.
public struct WorkDirectoryCleanup: Sendable, Equatable {
    /// The worker's work directory.
    public var directory: String
    /// Names of sub-directories in use (applications with running executors, running drivers).
    public var keep: Set<String>
    /// Directories with any file modified within this many seconds are kept.
    public var appDataTtlSeconds: Double

    public init(directory: String, keep: Set<String>, appDataTtlSeconds: Double) {
        self.directory = directory
        self.keep = keep
        self.appDataTtlSeconds = appDataTtlSeconds
    }
}
