import SparkConfig

/// Rolling of executor `stdout`/`stderr` files, as Spark's `FileAppender` and
/// `RollingFileAppender` do it when `spark.executor.logs.rolling.strategy` is set in the worker's
/// configuration: the active file keeps its name; when the policy says so, it is renamed with a
/// time suffix (and gzip-compressed to `<name><suffix>.gz` if asked), a new active file is started,
/// and only the newest `maxRetainedFiles` rolled files are kept.
///
/// This type decides names and moments; the shell pumps the bytes and moves the files.
public struct ExecutorLogRolling: Sendable, Equatable {
    public enum Policy: Sendable, Equatable {
        /// Roll at the first write after each multiple of the interval (epoch milliseconds);
        /// rolled files get the suffix of the moment they were rolled.
        case time(intervalMilliseconds: Int64, suffix: SuffixPattern)
        /// Roll before a write would take the active file past `bytes`.
        case size(bytes: Int64)
    }

    /// Spark's `SimpleDateFormat` patterns for rolled file names.
    public enum SuffixPattern: Sendable, Equatable {
        /// `--yyyy-MM-dd`
        case day
        /// `--yyyy-MM-dd--HH`
        case hour
        /// `--yyyy-MM-dd--HH-mm`
        case minute
        /// `--yyyy-MM-dd--HH-mm-ss`
        case second
        /// `--yyyy-MM-dd--HH-mm-ss--SSSS` (the size policy's)
        case millisecond
    }

    /// A moment in the worker's local time zone, as the suffixes print it.
    public struct LocalTime: Sendable, Equatable {
        public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int

        public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
            self.second = second
            self.millisecond = millisecond
        }
    }

    public static let strategyKey = "spark.executor.logs.rolling.strategy"
    public static let intervalKey = "spark.executor.logs.rolling.time.interval"
    public static let maxSizeKey = "spark.executor.logs.rolling.maxSize"
    public static let maxRetainedFilesKey = "spark.executor.logs.rolling.maxRetainedFiles"
    public static let compressionKey = "spark.executor.logs.rolling.enableCompression"

    /// Spark: `TimeBasedRollingPolicy.MINIMUM_INTERVAL_SECONDS`.
    public static let minimumIntervalMilliseconds: Int64 = 60 * 1000
    /// Spark: `SizeBasedRollingPolicy.MINIMUM_SIZE_BYTES` (ten 8 KiB buffers).
    public static let minimumSizeBytes: Int64 = 10 * 8192
    /// Spark: `RollingFileAppender.GZIP_LOG_SUFFIX`.
    public static let gzipSuffix = ".gz"
    /// Spark's appender reads the child's stream in chunks of this size; a size-rolled file stays
    /// within its limit because rolling is decided per chunk.
    public static let chunkSize = 8192
    /// How many `--<n>` names are tried when a rolled name is taken (Spark: 10 000).
    public static let maximumNameAttempts = 10_000

    public var policy: Policy
    /// Rolled files to keep per stream, newest first; 0 or less keeps them all.
    public var maxRetainedFiles: Int
    public var compress: Bool

    public init(policy: Policy, maxRetainedFiles: Int = -1, compress: Bool = false) {
        self.policy = policy
        self.maxRetainedFiles = maxRetainedFiles
        self.compress = compress
    }

    /// What the worker's configuration asks for (Spark: `FileAppender.apply`), with the lines to log
    /// about it once: nil when rolling is off, or when a value is not understood (then with a warning,
    /// and the streams are written whole as without rolling).
    public static func configured(by conf: SparkConf) -> (rolling: ExecutorLogRolling?, messages: [(WorkerLogLevel, String)]) {
        let strategy = conf.string(strategyKey, default: "")
        var messages: [(WorkerLogLevel, String)] = []
        let policy: Policy?
        switch strategy {
        case "":
            return (nil, [])
        case "time":
            let interval = conf.string(intervalKey, default: "daily")
            switch interval {
            case "daily":
                policy = .time(intervalMilliseconds: 24 * 3600 * 1000, suffix: .day)
            case "hourly":
                policy = .time(intervalMilliseconds: 3600 * 1000, suffix: .hour)
            case "minutely":
                policy = .time(intervalMilliseconds: 60 * 1000, suffix: .minute)
            default:
                // Spark: IntParam, a Java int (a sign is allowed).
                if let seconds = Int32(interval) {
                    var milliseconds = Int64(seconds) * 1000
                    if milliseconds < minimumIntervalMilliseconds {
                        messages.append((.warning, "Rolling interval [\(milliseconds) ms] is too small. "
                            + "Setting the interval to the acceptable minimum of \(minimumIntervalMilliseconds) ms."))
                        milliseconds = minimumIntervalMilliseconds
                    }
                    policy = .time(intervalMilliseconds: milliseconds, suffix: .second)
                } else {
                    messages.append((.warning, "Illegal interval for rolling executor logs [\(interval)], rolling logs not enabled"))
                    policy = nil
                }
            }
        case "size":
            let size = conf.string(maxSizeKey, default: "1048576")
            if let parsed = Int32(size) {
                var bytes = Int64(parsed)
                if bytes < minimumSizeBytes {
                    messages.append((.warning, "Rolling size [\(bytes) bytes] is too small. "
                        + "Setting the size to the acceptable minimum of \(minimumSizeBytes) bytes."))
                    bytes = minimumSizeBytes
                }
                policy = .size(bytes: bytes)
            } else {
                messages.append((.warning, "Illegal size [\(size)] for rolling executor logs, rolling logs not enabled"))
                policy = nil
            }
        default:
            messages.append((.warning, "Illegal strategy [\(strategy)] for rolling executor logs, rolling logs not enabled"))
            policy = nil
        }
        guard let policy else { return (nil, messages) }
        // Spark reads these two when it starts each executor's appenders, and a bad value fails
        // every executor launch; here it turns rolling off, said once.
        let retained: Int
        let compress: Bool
        do {
            retained = try conf.int(maxRetainedFilesKey, default: -1)
            compress = try conf.bool(compressionKey, default: false)
        } catch {
            messages.append((.warning, "\(error); rolling logs not enabled"))
            return (nil, messages)
        }
        guard Int32(exactly: retained) != nil else {
            messages.append((.warning, "\(maxRetainedFilesKey) should be an int, not \(retained); rolling logs not enabled"))
            return (nil, messages)
        }
        let rolling = ExecutorLogRolling(policy: policy, maxRetainedFiles: retained, compress: compress)
        messages.append((.info, "Rolling executor logs enabled: \(rolling.description)"))
        return (rolling, messages)
    }

    /// For the worker's log: what the policy does.
    public var description: String {
        var text: String
        switch policy {
        case .time(let interval, _): text = "every \(interval / 1000) seconds"
        case .size(let bytes): text = "every \(bytes) bytes"
        }
        text += maxRetainedFiles > 0 ? ", keeping \(maxRetainedFiles) rolled files" : ", keeping every rolled file"
        if compress { text += ", gzip-compressed" }
        return text
    }

    /// The first moment (epoch milliseconds) a time policy rolls at, for an active file started at
    /// `now`: the next multiple of the interval (Spark: `calculateNextRolloverTime`). nil for size.
    public func nextRolloverTime(after now: Int64) -> Int64? {
        guard case .time(let interval, _) = policy, interval > 0 else { return nil }
        let (quotient, remainder) = now.quotientAndRemainder(dividingBy: interval)
        return (remainder > 0 ? quotient + 1 : quotient) * interval
    }

    /// Whether to roll before writing `count` more bytes, with `written` bytes in the active file
    /// since it was started and `deadline` from `nextRolloverTime` (Spark: `shouldRollover`).
    public func shouldRoll(beforeWriting count: Int64, written: Int64, now: Int64, deadline: Int64?) -> Bool {
        switch policy {
        case .time:
            guard let deadline else { return false }
            return now > deadline
        case .size(let bytes):
            return count + written > bytes
        }
    }

    /// The suffix for a file rolled at `time`.
    public func suffix(at time: LocalTime) -> String {
        switch policy {
        case .time(_, let pattern): return Self.format(time, pattern)
        case .size: return Self.format(time, .millisecond)
        }
    }

    static func format(_ time: LocalTime, _ pattern: SuffixPattern) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        }
        var text = "--" + pad(time.year, 4) + "-" + pad(time.month, 2) + "-" + pad(time.day, 2)
        if pattern == .day { return text }
        text += "--" + pad(time.hour, 2)
        if pattern == .hour { return text }
        text += "-" + pad(time.minute, 2)
        if pattern == .minute { return text }
        text += "-" + pad(time.second, 2)
        if pattern == .second { return text }
        return text + "--" + pad(time.millisecond, 4)
    }

    /// The name for the file rolled now: `active + suffix`, or with `--<n>` appended when that
    /// (or its `.gz`) is taken. nil when every attempt is taken.
    public static func rolledName(active: String, suffix: String, isTaken: (String) -> Bool) -> String? {
        let preferred = active + suffix
        if !isTaken(preferred) && !isTaken(preferred + gzipSuffix) { return preferred }
        for attempt in 0..<maximumNameAttempts {
            let name = "\(preferred)--\(attempt)"
            if !isTaken(name) && !isTaken(name + gzipSuffix) { return name }
        }
        return nil
    }

    /// The files of one stream in a directory, oldest first: the rolled ones sorted by name
    /// without `.gz`, then the active one if present (Spark: `getSortedRolledOverFiles`).
    public static func streamFiles(in names: [String], active: String) -> [String] {
        var rolled = names.filter { $0.hasPrefix(active) && $0 != active }
        rolled.sort { strippingGzip($0) < strippingGzip($1) }
        return names.contains(active) ? rolled + [active] : rolled
    }

    /// Rolled files to delete so that `keep` remain, oldest (by name) first (Spark: `deleteOldFiles`).
    public static func rolledFilesToDelete(in names: [String], active: String, keep: Int) -> [String] {
        guard keep > 0 else { return [] }
        let rolled = names.filter { $0.hasPrefix(active) && $0 != active }.sorted()
        return Array(rolled.prefix(max(0, rolled.count - keep)))
    }

    static func strippingGzip(_ name: String) -> Substring {
        name.hasSuffix(gzipSuffix) ? name.dropLast(gzipSuffix.count) : Substring(name)
    }
}
