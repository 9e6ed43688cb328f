/// Spark configuration: `spark.*` keys and their values, read the way Spark's daemons read them.
public struct SparkConf: Sendable, Equatable {
    /// Settings by key.
    public private(set) var settings: [String: String]

    public init(_ settings: [String: String] = [:]) {
        self.settings = settings
    }

    public subscript(key: String) -> String? {
        get { settings[key] }
        set { settings[key] = newValue }
    }

    public func contains(_ key: String) -> Bool { settings[key] != nil }

    /// Sets `key` unless it is already set (a properties file never overrides `-D` options).
    public mutating func setIfMissing(_ key: String, _ value: String) {
        if settings[key] == nil { settings[key] = value }
    }

    /// Keys in sorted order, for deterministic output.
    public var sortedKeys: [String] { settings.keys.sorted() }

    // MARK: - Typed getters

    public func string(_ key: String, default defaultValue: String) -> String {
        settings[key] ?? defaultValue
    }

    /// A comma-separated list, each item trimmed, empty ones dropped; empty when unset (Spark:
    /// `stringConf.toSequence`, `Utils.stringToSeq`).
    public func list(_ key: String) -> [String] {
        (settings[key] ?? "").split(separator: ",").map(\.trimmed).filter { !$0.isEmpty }
    }

    public func int(_ key: String, default defaultValue: Int) throws(SparkConfError) -> Int {
        guard let raw = settings[key]?.trimmed else { return defaultValue }
        guard let value = Int(raw) else { throw SparkConfError(key: key, value: raw, expected: "an integer") }
        return value
    }

    public func optionalInt(_ key: String) throws(SparkConfError) -> Int? {
        guard let raw = settings[key]?.trimmed else { return nil }
        guard let value = Int(raw) else { throw SparkConfError(key: key, value: raw, expected: "an integer") }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(SparkConfError) -> Bool {
        guard let raw = settings[key]?.trimmed.lowercased() else { return defaultValue }
        switch raw {
        case "true": return true
        case "false": return false
        default: throw SparkConfError(key: key, value: raw, expected: "true or false")
        }
    }

    /// A duration in seconds (`60`, `60s`, `2min`, `1h`, `500ms`); bare numbers are `defaultUnit`.
    public func seconds(_ key: String, default defaultValue: Double, defaultUnit: TimeUnit = .seconds) throws(SparkConfError) -> Double {
        guard let raw = settings[key] else { return defaultValue }
        guard let value = SparkConf.parseDuration(raw, defaultUnit: defaultUnit) else {
            throw SparkConfError(key: key, value: raw, expected: "a duration such as 60s, 2min or 500ms")
        }
        return value
    }

    /// A size in MiB (`512m`, `1g`, `2048k`); bare numbers are `defaultUnit`.
    public func mebibytes(_ key: String, default defaultValue: Int, defaultUnit: SizeUnit = .mebibytes) throws(SparkConfError) -> Int {
        guard let raw = settings[key] else { return defaultValue }
        guard let value = SparkConf.parseSize(raw, defaultUnit: defaultUnit) else {
            throw SparkConfError(key: key, value: raw, expected: "a size such as 512m or 2g")
        }
        return Int(value / 1_048_576)
    }

    // MARK: - Parsing helpers (Spark's JavaUtils.timeStringAs / byteStringAs)

    public enum TimeUnit: Sendable {
        case milliseconds, seconds

        var seconds: Double {
            switch self {
            case .milliseconds: 0.001
            case .seconds: 1
            }
        }
    }

    public enum SizeUnit: Sendable {
        case bytes, kibibytes, mebibytes

        var bytes: Double {
            switch self {
            case .bytes: 1
            case .kibibytes: 1024
            case .mebibytes: 1024 * 1024
            }
        }
    }

    /// Parses `100ms`, `5s`, `2m`/`2min`, `1h`, `1d`, `10us`; `nil` when malformed.
    public static func parseDuration(_ text: String, defaultUnit: TimeUnit = .seconds) -> Double? {
        let lower = text.trimmed.lowercased()
        let digits = lower.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let suffix = lower.dropFirst(digits.count).trimmingSpaces
        let factor: Double
        switch suffix {
        case "": factor = defaultUnit.seconds
        case "us": factor = 0.000_001
        case "ms": factor = 0.001
        case "s": factor = 1
        case "m", "min": factor = 60
        case "h": factor = 3600
        case "d": factor = 86400
        default: return nil
        }
        return number * factor
    }

    /// Parses `512`, `512k`, `512kb`, `1m`, `1mb`, `2g`, `1t`, `1p` into bytes; `nil` when malformed.
    public static func parseSize(_ text: String, defaultUnit: SizeUnit = .bytes) -> Double? {
        let lower = text.trimmed.lowercased()
        let digits = lower.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let suffix = lower.dropFirst(digits.count).trimmingSpaces
        let factor: Double
        switch suffix {
        case "": factor = defaultUnit.bytes
        case "b": factor = 1
        case "k", "kb": factor = 1024
        case "m", "mb": factor = 1024 * 1024
        case "g", "gb": factor = 1024 * 1024 * 1024
        case "t", "tb": factor = 1024 * 1024 * 1024 * 1024
        case "p", "pb": factor = 1024 * 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        return number * factor
    }

    /// Spark's `Utils.memoryStringToMb`: `k`/`m`/`g`/`t` suffixes, bare numbers are bytes.
    public static func memoryStringToMebibytes(_ text: String) -> Int? {
        guard let bytes = parseSize(text, defaultUnit: .bytes) else { return nil }
        return Int(bytes / (1024 * 1024))
    }
}

/// A configuration value that cannot be used.
public struct SparkConfError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var value: String
    public var expected: String

    public init(key: String, value: String, expected: String) {
        self.key = key
        self.value = value
        self.expected = expected
    }

    public var description: String { "invalid value \"\(value)\" for \(key): expected \(expected)" }
}

extension StringProtocol {
    var trimmed: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    var trimmingSpaces: String { trimmed }
}
