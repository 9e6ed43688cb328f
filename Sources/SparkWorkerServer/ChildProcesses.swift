import NIOConcurrencyHelpers
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker's child processes: started in their own process group with a clean descriptor
/// table and default signal handling, reaped by polling `waitpid`, killed by group.
///
/// Every pid it started and has not reaped yet is tracked, so the worker can end exactly its own
/// children (`terminateAll`) and never signals a group whose leader was already reaped.
public final class ChildProcesses: @unchecked Sendable {
    // Guarded by `lock`: reaping and signalling happen under it, so a pid is never signalled
    // after it was reaped (and possibly reused).
    private let lock = NIOLock()
    private var alive: Set<pid_t> = []
    private var exitCodes: [pid_t: Int32] = [:]

    public init() {}

    /// What to start.
    public struct Spawn: Sendable {
        public var argv: [String]
        /// The complete environment of the child.
        public var environment: [String: String]
        public var workingDirectory: String
        public var stdoutPath: String
        public var stderrPath: String
        /// When set, the child's stdout and stderr are these descriptors (the write ends of pipes
        /// whose reader rolls the files) instead of the files at the paths.
        public var outputDescriptors: (stdout: Int32, stderr: Int32)?

        public init(
            argv: [String], environment: [String: String], workingDirectory: String, stdoutPath: String, stderrPath: String,
            outputDescriptors: (stdout: Int32, stderr: Int32)? = nil
        ) {
            self.argv = argv
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.stdoutPath = stdoutPath
            self.stderrPath = stderrPath
            self.outputDescriptors = outputDescriptors
        }
    }

    /// Starts a process as the leader of a new process group; stdout and stderr are appended to
    /// the given files (or go to the given descriptors), stdin is `/dev/null`. Throws a Java-style
    /// message on failure.
    public func spawn(_ spawn: Spawn) throws(ChildProcessFailure) -> pid_t {
        guard let executable = spawn.argv.first else { throw ChildProcessFailure("java.io.IOException: empty command") }
        let path = Self.resolve(executable, environment: spawn.environment)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        // Nothing of the worker (its sockets above all) may leak into the child: an inherited
        // connection would keep the executor's WorkerWatcher socket open after the worker died.
        var flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        // Signal dispositions the worker ignores (the service lifecycle ignores SIGTERM/SIGINT to
        // watch them) would otherwise be inherited: the executor could not be terminated.
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        var noSignal = sigset_t()
        sigemptyset(&noSignal)
        posix_spawnattr_setsigmask(&attributes, &noSignal)

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let descriptors = spawn.outputDescriptors {
            posix_spawn_file_actions_adddup2(&actions, descriptors.stdout, 1)
            posix_spawn_file_actions_adddup2(&actions, descriptors.stderr, 2)
        } else {
            // As Java's FileOutputStream creates them (the launch has created them already).
            posix_spawn_file_actions_addopen(&actions, 1, spawn.stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o666)
            posix_spawn_file_actions_addopen(&actions, 2, spawn.stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        }
        guard let addChdir = SpawnExtensions.addChdir, addChdir(&actions, spawn.workingDirectory) == 0 else {
            throw ChildProcessFailure("java.io.IOException: cannot set the working directory \(spawn.workingDirectory)")
        }
        #if !canImport(Darwin)
        // Last: the descriptors above are duplicated from ones this closes.
        guard let closeFrom = SpawnExtensions.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw ChildProcessFailure("java.io.IOException: posix_spawn_file_actions_addclosefrom_np is not available")
        }
        #endif

        let arguments = spawn.argv.map { strdup($0) } + [nil]
        let environment = spawn.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid: pid_t = 0
        // Under the lock so the reaper cannot race with a pid not yet registered.
        let result: Int32 = lock.withLock {
            let result = posix_spawn(&pid, path, &actions, &attributes, arguments, environment)
            if result == 0 { alive.insert(pid) }
            return result
        }
        guard result == 0 else {
            throw ChildProcessFailure(
                "java.io.IOException: Cannot run program \"\(executable)\" (in directory \"\(spawn.workingDirectory)\"): "
                    + "error=\(result), \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Whether `pid` was started here and not reaped yet.
    public func isAlive(_ pid: pid_t) -> Bool {
        lock.withLock { alive.contains(pid) }
    }

    /// Pids started here and not reaped yet.
    public var alivePids: [pid_t] {
        lock.withLock { alive.sorted() }
    }

    /// Reaps `pid` if it ended: its exit code (128 + signal when signalled, as the JVM reports it).
    public func poll(_ pid: pid_t) -> Int32? {
        lock.withLock {
            if let code = exitCodes[pid] { return code }
            guard alive.contains(pid) else { return nil }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                let code = Self.exitCode(status)
                alive.remove(pid)
                exitCodes[pid] = code
                return code
            }
            if result < 0 && errno == ECHILD {
                // Reaped by someone else: treat as gone.
                alive.remove(pid)
                exitCodes[pid] = -1
                return -1
            }
            return nil
        }
    }

    /// Waits until `pid` ended, polling without blocking a thread. Returns nil if cancelled first.
    public func waitForExit(_ pid: pid_t, pollInterval: Duration = .milliseconds(100)) async -> Int32? {
        while !Task.isCancelled {
            if let code = poll(pid) {
                lock.withLock { _ = exitCodes.removeValue(forKey: pid) }
                return code
            }
            try? await Task.sleep(for: pollInterval)
        }
        return nil
    }

    /// Sends `signal` to the process group led by `pid`, if that process was not reaped yet.
    @discardableResult
    public func signalGroup(_ pid: pid_t, _ signal: Int32) -> Bool {
        lock.withLock {
            guard alive.contains(pid) else { return false }
            return killpg(pid, signal) == 0
        }
    }

    /// SIGTERM the group, then SIGKILL it if the leader is still not reaped after `grace`.
    public func terminate(_ pid: pid_t, grace: Duration) async {
        guard signalGroup(pid, SIGTERM) else { return }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isAlive(pid) || poll(pid) != nil { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        signalGroup(pid, SIGKILL)
    }

    /// Ends every child still alive: SIGTERM to each group, SIGKILL after `grace`, reaping them.
    public func terminateAll(grace: Duration) async {
        let pids = alivePids
        guard !pids.isEmpty else { return }
        for pid in pids { signalGroup(pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if pids.allSatisfy({ poll($0) != nil || !isAlive($0) }) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        for pid in pids where isAlive(pid) { signalGroup(pid, SIGKILL) }
        let killDeadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < killDeadline, pids.contains(where: { poll($0) == nil && isAlive($0) }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }

    /// An executable name without `/` is looked up on the child's `PATH`.
    static func resolve(_ executable: String, environment: [String: String]) -> String {
        guard !executable.contains("/") else { return executable }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return executable
    }
}

/// A child process could not be started; `message` reads like the Java exception Spark reports.
public struct ChildProcessFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// glibc's `posix_spawn_file_actions_add{chdir,closefrom}_np`, which Swift's Glibc module hides
/// behind `_GNU_SOURCE`.
enum SpawnExtensions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    static let addChdir: AddChdir? = {
        #if canImport(Darwin)
        return { actions, path in posix_spawn_file_actions_addchdir_np(actions, path) }
        #else
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
        #endif
    }()

    static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()
}
