import Foundation
import Logging

/// Keeps what a `Logger` made by `logger(label:)` logs, for a test to look at.
public final class LogRecorder: @unchecked Sendable {
    public struct Entry: Sendable {
        public let level: Logger.Level
        public let label: String
        public let message: String
        public let metadata: [String: String]

        /// The message, then the metadata as `key=value` in key order.
        public var line: String {
            ([message] + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
        }
    }

    private let lock = NSLock()
    private var recorded: [Entry] = []
    private let echo: Bool

    /// With `echo`, each entry is also printed (`level label: line`), as a daemon would log it.
    public init(echo: Bool = false) {
        self.echo = echo
    }

    /// Everything logged so far, in order.
    public var entries: [Entry] { lock.withLock { recorded } }

    /// Each entry's `line`, in order.
    public var lines: [String] { entries.map(\.line) }

    /// Whether any entry's line contains `text`.
    public func contains(_ text: String) -> Bool { entries.contains { $0.line.contains(text) } }

    /// A logger at `level` whose lines land here.
    public func logger(label: String, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in Handler(recorder: self, label: label) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ entry: Entry) {
        lock.withLock { recorded.append(entry) }
        if echo { print("\(entry.level) \(entry.label): \(entry.line)") }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(Entry(level: event.level, label: label, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
