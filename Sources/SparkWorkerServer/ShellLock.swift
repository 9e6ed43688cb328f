import Foundation

/// A lock around a closure.
final class ShellLock: @unchecked Sendable {
    private let lock = NSLock()

    init() {}

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
