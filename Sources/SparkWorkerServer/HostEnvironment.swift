#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkConfig
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the machine the worker runs on.
public enum HostEnvironment {
    /// The container's (dyno's) cgroup limits.
    public static let containerLimits = ContainerLimits.detect { path in readText(path) }

    /// Logical CPUs the worker may use (Spark: `Runtime.availableProcessors`), bounded by the
    /// container's CPU quota.
    public static func availableCores() -> Int {
        let host = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return containerLimits.cpus.map { min(host, max(1, $0)) } ?? host
    }

    /// Memory in MiB (Spark: `OperatingSystemMXBean.getTotalMemorySize`), bounded by the
    /// container's memory limit.
    public static func totalMemoryMiB() -> Int {
        let physical = ProcessInfo.processInfo.physicalMemory
        let limit = containerLimits.memoryBytes.map { min($0, physical) } ?? physical
        return Int(limit / 1024 / 1024)
    }

    /// Spark's `WorkerArguments.inferDefaultMemory`: total RAM less 1 GiB for the system, at
    /// least `Utils.DEFAULT_DRIVER_MEM_MB` (1024).
    public static func defaultWorkerMemoryMiB(totalMiB: Int = totalMemoryMiB()) -> Int {
        max(totalMiB - 1024, 1024)
    }

    /// Spark's `Utils.localHostName`: `SPARK_LOCAL_HOSTNAME`, else the local IP address.
    public static func localHostName(environment: [String: String]) -> String {
        if let name = environment["SPARK_LOCAL_HOSTNAME"], !name.isEmpty { return name }
        return localIPAddress(environment: environment)
    }

    /// Spark's `Utils.localIpAddress`: `SPARK_LOCAL_IP`, else the address the host name resolves
    /// to, else (when that is a loopback address) the first non-loopback IPv4 address of an interface.
    public static func localIPAddress(environment: [String: String]) -> String {
        if let address = environment["SPARK_LOCAL_IP"], !address.isEmpty { return address }
        if let resolved = resolveOwnHostName(), !resolved.hasPrefix("127.") { return resolved }
        return firstNonLoopbackIPv4() ?? "127.0.0.1"
    }

    static func resolveOwnHostName() -> String? {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        guard let address = first.pointee.ai_addr else { return nil }
        return numericHost(address, length: socklen_t(first.pointee.ai_addrlen))
    }

    static func firstNonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            guard let host = numericHost(address, length: socklen_t(MemoryLayout<sockaddr_in>.size)),
                  !host.hasPrefix("127."), !host.hasPrefix("169.254.")
            else { continue }
            return host
        }
        return nil
    }

    static func numericHost(_ address: UnsafeMutablePointer<sockaddr>, length: socklen_t) -> String? {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { return nil }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `java` on `PATH`, as an absolute path; nil when there is none.
    public static func javaOnPath(environment: [String: String]) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/java"
            if access(candidate, X_OK) == 0, !isDirectory(candidate) { return candidate }
        }
        return nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `path` without its last component (`/a/b/` → `/a`, `b` → `.`, `/a` → `/`).
    public static func parentDirectory(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        var parent = trimmed[..<slash]
        while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// `path` made absolute against the current directory, `.` and `..` resolved by name (links are
    /// left as they are), without a trailing slash.
    public static func absolutePath(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
        var components: [Substring] = []
        for component in full.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The working directory (`getcwd`); `/` when it cannot be read.
    static func currentDirectory() -> String {
        guard let directory = getcwd(nil, 0) else { return "/" }
        defer { free(directory) }
        return String(cString: directory)
    }

    /// Where temporary files go: `TMPDIR` when set, else `/tmp`.
    static func temporaryDirectory(environment: [String: String]) -> String {
        environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }
}
