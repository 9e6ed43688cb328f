import Foundation

/// Where the inspector writes: the listing, and diagnostics for errors that stop it.
public protocol InspectorOutput: AnyObject {
    /// One line of the listing (standard output).
    func write(_ line: String)
    /// One line about a failure to run (standard error).
    func diagnostic(_ line: String)
}

/// Keeps every line in memory (tests, embedding).
public final class CollectedOutput: InspectorOutput {
    /// Lines of the listing.
    public private(set) var lines: [String] = []
    /// Lines written to standard error.
    public private(set) var diagnostics: [String] = []

    /// An empty collector.
    public init() {}

    /// Keeps a listing line.
    public func write(_ line: String) { lines.append(line) }
    /// Keeps a diagnostic line.
    public func diagnostic(_ line: String) { diagnostics.append(line) }

    /// The listing as one string.
    public var text: String { lines.joined(separator: "\n") }
}

/// Writes to the process's standard output (buffered) and standard error.
public final class StandardOutput: InspectorOutput {
    private var buffer: [UInt8] = []
    private var broken = false
    private static let flushThreshold = 64 * 1024

    /// Output to this process's standard streams.
    public init() {}

    deinit { flush() }

    /// Buffers a listing line.
    public func write(_ line: String) {
        guard !broken else { return }
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    /// Writes a line to standard error at once.
    public func diagnostic(_ line: String) {
        flush()
        try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Writes out what is buffered; a closed pipe ends further output quietly.
    public func flush() {
        guard !buffer.isEmpty, !broken else { return }
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(buffer))
        } catch {
            broken = true
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
