#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Writes log lines the way Spark's daemons print them, so operators' greps keep working:
/// `2026-11-26 01:30:16.370 INFO Worker: Successfully registered with master spark://...`.
public struct SparkLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let stream: Stream

    /// Where the lines go.
    public enum Stream: Sendable {
        case standardError, standardOutput
    }

    public init(label: String, level: Logger.Level = .info, stream: Stream = .standardError) {
        self.label = label
        self.logLevel = level
        self.stream = stream
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let suffix = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(Self.timestamp()) \(Self.levelName(event.level)) \(label): \(event.message)\(suffix)\n"
        Daemon.write(line, to: stream == .standardError ? STDERR_FILENO : STDOUT_FILENO)
    }

    /// The level `SPARK_LOG_LEVEL` names, in log4j's words (`WARN`, `FATAL`) or swift-log's
    /// (`warning`, `critical`); `info` when unset or unknown.
    public static func level(environment: [String: String]) -> Logger.Level {
        guard let name = environment["SPARK_LOG_LEVEL"]?.lowercased() else { return .info }
        switch name {
        case "warn": return .warning
        case "fatal": return .critical
        case "all": return .trace
        default: return Logger.Level(rawValue: name) ?? .info
        }
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in local time.
    static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(time.tv_nsec / 1_000_000), 3))"
    }
}
