import Foundation

/// Memory figures of a running Linux process, from `/proc/<pid>/status`.
public struct ProcessMemory: Sendable, Equatable {
    /// Resident set size now, in bytes (`VmRSS`).
    public var residentBytes: Int
    /// Peak resident set size, in bytes (`VmHWM`).
    public var peakResidentBytes: Int

    /// Reads the figures of `pid` (the calling process by default); nil where `/proc` is unavailable.
    public static func read(pid: Int32 = getpid()) -> ProcessMemory? {
        guard let status = readProcFile("/proc/\(pid)/status") else { return nil }
        func kilobytes(_ key: String) -> Int? {
            for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
                let number = line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                return number.flatMap { Int($0) }
            }
            return nil
        }
        guard let rss = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") else { return nil }
        return ProcessMemory(residentBytes: rss * 1024, peakResidentBytes: peak * 1024)
    }

    /// /proc files report a size of zero, so read them to the end rather than by their size.
    private static func readProcFile(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
