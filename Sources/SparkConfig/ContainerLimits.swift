/// The CPU and memory limits a Linux container (a dyno) imposes, read from its cgroup files
/// (v2: `cpu.max`, `memory.max`; v1: `cpu.cfs_quota_us`/`cpu.cfs_period_us`, `memory.limit_in_bytes`).
public struct ContainerLimits: Sendable, Equatable {
    /// Whole CPUs the quota allows (rounded up), `nil` without a quota.
    public var cpus: Int?
    /// Memory limit in bytes, `nil` without a limit.
    public var memoryBytes: UInt64?

    public init(cpus: Int?, memoryBytes: UInt64?) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
    }

    /// Reads the limits through `read`, which returns a file's contents or `nil`.
    public static func detect(read: (String) -> String?) -> ContainerLimits {
        var limits = ContainerLimits(cpus: nil, memoryBytes: nil)
        if let cpuMax = read("/sys/fs/cgroup/cpu.max") {
            limits.cpus = parseCPUMax(cpuMax)
        } else if let quota = read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), let period = read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") {
            limits.cpus = cpus(quota: quota.trimmed, period: period.trimmed)
        }
        if let memory = read("/sys/fs/cgroup/memory.max") ?? read("/sys/fs/cgroup/memory/memory.limit_in_bytes") {
            limits.memoryBytes = parseMemoryLimit(memory)
        }
        return limits
    }

    /// `cpu.max`: `"<quota> <period>"` or `"max <period>"`.
    public static func parseCPUMax(_ text: String) -> Int? {
        let parts = text.trimmed.split(separator: " ")
        guard parts.count == 2 else { return nil }
        return cpus(quota: String(parts[0]), period: String(parts[1]))
    }

    private static func cpus(quota: String, period: String) -> Int? {
        guard quota != "max", let quota = Int64(quota), quota > 0, let period = Int64(period), period > 0 else { return nil }
        return Int((quota + period - 1) / period)
    }

    /// `memory.max` (`max` or bytes) or v1's `memory.limit_in_bytes` (a huge number when unlimited).
    public static func parseMemoryLimit(_ text: String) -> UInt64? {
        let value = text.trimmed
        guard value != "max", let bytes = UInt64(value), bytes > 0, bytes < (1 << 60) else { return nil }
        return bytes
    }
}
