import Foundation

/// A process a test starts, with its output in a log file; `stop()` ends exactly this process
/// (and its process group), and `deinit` makes sure it is gone even when a test fails.
public final class ChildProcess: @unchecked Sendable {
    // Mutable state is guarded by `lock`.
    public let name: String
    public let logFile: URL
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` with `arguments`; stdout and stderr go to `logFile`.
    public init(
        name: String, executable: URL, arguments: [String], environment: [String: String] = [:],
        workingDirectory: URL? = nil, logDirectory: URL
    ) throws {
        self.name = name
        self.logFile = logDirectory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process = Process()
        // Foundation starts the child as the leader of a new process group: stopping the group
        // reaches everything it started (bash wrappers and their JVMs).
        process.executableURL = executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    public var isRunning: Bool { process.isRunning }

    /// Current log contents.
    public func log() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Waits until the log contains `text`; throws with the log tail on timeout or early exit.
    public func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log().contains(text) { return }
            if !process.isRunning {
                throw ChildProcessError(message: "\(name) exited (\(process.terminationStatus)) before logging \"\(text)\":\n\(tail())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildProcessError(message: "\(name) did not log \"\(text)\" within \(timeout):\n\(tail())")
    }

    /// The last lines of the log, for failure messages.
    public func tail(lines: Int = 40) -> String {
        log().split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then SIGKILL after `grace`, to the process's group; waits for the exit.
    public func stop(grace: Duration = .seconds(10)) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        let group = -process.processIdentifier
        guard process.isRunning else {
            kill(group, SIGKILL)  // Whatever it left behind in its group.
            return
        }
        kill(group, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { usleep(50_000) }
        kill(group, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the process to end on its own.
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError(message: "\(name) still running after \(timeout):\n\(tail())")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return process.terminationStatus
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// Runs a command to completion and returns its exit status and combined output.
public func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ChildProcessError(message: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ChildProcessError(message: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw ChildProcessError(message: "getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
