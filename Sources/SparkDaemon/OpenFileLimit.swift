#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

extension Daemon {
    /// The soft limit on open descriptors before and after `raiseOpenFileLimit`.
    public struct OpenFileLimit: Equatable, Sendable {
        public var before: UInt64
        public var after: UInt64
        /// The hard limit, which an unprivileged process cannot raise.
        public var hard: UInt64
    }

    /// Raises this process's soft limit on open descriptors to its hard limit, as every JVM does
    /// at start (HotSpot's `-XX:+MaxFDLimit`, on by default), so Spark's daemons and ours hold as
    /// many connections: every worker and driver keeps one to the master, and a shell's default
    /// soft limit of 1024 would otherwise stop the master from accepting at about a thousand.
    /// Processes started afterwards (executors, drivers) inherit the raised limit, as they do from
    /// a JVM worker. Returns nil when the limits cannot be read; `after` equals `before` when the
    /// limit could not be raised.
    @discardableResult
    public static func raiseOpenFileLimit() -> OpenFileLimit? {
        var limit = rlimit()
        guard getOpenFileLimit(&limit) else { return nil }
        let before = UInt64(limit.rlim_cur)
        var targets: [rlim_t] = [limit.rlim_max]
        #if canImport(Darwin)
        // Darwin refuses more than OPEN_MAX descriptors for a soft limit (HotSpot caps it the same way).
        targets = [min(limit.rlim_max, rlim_t(OPEN_MAX))]
        #else
        // An unlimited hard limit (RLIM_INFINITY, all ones) cannot be a soft one: the kernel's ceiling is `fs.nr_open`.
        if limit.rlim_max == rlim_t.max, let ceiling = kernelDescriptorCeiling() { targets.append(ceiling) }
        #endif
        var after = before
        for target in targets where target > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = target
            if setOpenFileLimit(&raised) {
                after = UInt64(target)
                break
            }
        }
        return OpenFileLimit(before: before, after: after, hard: UInt64(limit.rlim_max))
    }

    /// `raiseOpenFileLimit()`, logged: at debug level when raised, as a warning when the limit stays
    /// under `warnBelow` (a hard limit the process cannot raise).
    @discardableResult
    public static func raiseOpenFileLimit(logger: Logger, warnBelow: UInt64 = 4096) -> OpenFileLimit? {
        guard let limit = raiseOpenFileLimit() else { return nil }
        if limit.after != limit.before {
            logger.debug("Raised the open file limit from \(limit.before) to \(limit.after)")
        }
        if limit.after < warnBelow {
            logger.warning("Open file limit is \(limit.after) (hard limit \(limit.hard)): at most that many connections and files at once")
        }
        return limit
    }

    private static func getOpenFileLimit(_ limit: inout rlimit) -> Bool {
        #if canImport(Glibc)
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
        #else
        getrlimit(RLIMIT_NOFILE, &limit) == 0
        #endif
    }

    private static func setOpenFileLimit(_ limit: inout rlimit) -> Bool {
        #if canImport(Glibc)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0
        #else
        setrlimit(RLIMIT_NOFILE, &limit) == 0
        #endif
    }

    #if !canImport(Darwin)
    private static func kernelDescriptorCeiling() -> rlim_t? {
        guard let bytes = try? readFile("/proc/sys/fs/nr_open", limit: 64) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
        return UInt64(text).map { rlim_t($0) }
    }
    #endif
}
