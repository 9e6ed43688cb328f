import NIOConcurrencyHelpers

/// A lock around a closure.
final class ShellLock: @unchecked Sendable {
    private let lock = NIOLock()

    init() {}

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
