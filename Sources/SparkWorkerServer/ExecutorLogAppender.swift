import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkDaemon
import SparkWebUI
import SparkWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies one of an executor's output streams from a pipe into its log file and rolls the file as
/// `ExecutorLogRolling` says (Spark: `RollingFileAppender`), on a thread of its own: reads block,
/// and rolling may compress a whole file.
///
/// The thread ends at the end of the stream (the executor and everything it started closed the
/// pipe), or after `finish()` once the pipe has nothing more to read. Unlike Spark's appender it
/// keeps reading when the file cannot be written (disk full): the executor never blocks on a
/// full pipe; what could not be written is lost and said once in the worker's log.
final class ExecutorLogAppender: Sendable {
    private struct State {
        var finishRequested = false
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let path: String
    private let directory: String
    private let activeName: String
    private let input: Int32
    private let rolling: ExecutorLogRolling
    private let logger: Logger
    /// Milliseconds since the epoch (the time policy's clock).
    private let clock: @Sendable () -> Int64
    private let state = NIOLockedValueBox(State())

    /// Takes ownership of `input` (the read end of the pipe), appends to the file at `path`.
    init(
        input: Int32, path: String, rolling: ExecutorLogRolling, logger: Logger,
        clock: @escaping @Sendable () -> Int64 = ExecutorLogAppender.nowMilliseconds
    ) {
        self.input = input
        self.path = path
        self.directory = HostEnvironment.parentDirectory(path)
        self.activeName = String(path.split(separator: "/").last ?? Substring(path))
        self.rolling = rolling
        self.logger = logger
        self.clock = clock
    }

    /// Starts the copying thread; false (and the pipe closed) when no thread can be made.
    func start() -> Bool {
        let started = DetachedThread.start { [self] in run() }
        if !started {
            close(input)
            markFinished()
            logger.error("Cannot start a thread to write \(path)")
        }
        return started
    }

    /// Ends the thread once nothing more is waiting in the pipe (the executor has exited; what it
    /// wrote last is still copied).
    func finish() {
        state.withLockedValue { $0.finishRequested = true }
    }

    /// Returns when the thread has closed the file and the pipe.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLockedValue { state -> Bool in
                if state.finished { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func markFinished() {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - The thread

    private func run() {
        defer {
            close(input)
            markFinished()
        }
        var output = openActive()
        defer { if output >= 0 { close(output) } }
        var written: Int64 = 0
        var deadline = rolling.nextRolloverTime(after: clock())
        var writeFailureReported = false
        var lastOpenAttempt = clock()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ExecutorLogRolling.chunkSize, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let finishing = state.withLockedValue { $0.finishRequested }
            var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, finishing ? 0 : 500)
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("Cannot wait for output to write to \(path): \(String(cString: strerror(errno)))")
                return
            }
            if ready == 0 {
                if finishing { return }
                continue
            }
            let count = read(input, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                logger.error("Cannot read output to write to \(path): \(String(cString: strerror(errno)))")
                return
            }
            if count == 0 { return }
            let now = clock()
            if rolling.shouldRoll(beforeWriting: Int64(count), written: written, now: now, deadline: deadline) {
                if output >= 0 { close(output) }
                rollOver(at: now)
                output = openActive()
                lastOpenAttempt = now
                written = 0
                deadline = rolling.nextRolloverTime(after: now)
            } else if output < 0, now - lastOpenAttempt >= 1000 {
                // The file could not be opened (descriptors or disk exhausted): try again, once a second.
                output = openActive()
                lastOpenAttempt = now
                if output >= 0 { writeFailureReported = false }
            }
            if output >= 0, Daemon.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), to: output) {
                written += Int64(count)
            } else if !writeFailureReported {
                writeFailureReported = true
                let reason = output >= 0 ? String(cString: strerror(errno)) : "it could not be opened"
                logger.error("Cannot write executor output to \(path) (\(reason)); what the executor writes now is lost")
            }
        }
    }

    private func openActive() -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        if descriptor < 0 { logger.error("Cannot open \(path): \(String(cString: strerror(errno)))") }
        return descriptor
    }

    /// Moves the active file aside under its rolled name (compressed if asked) and removes the
    /// oldest rolled files beyond the retained count (Spark: `rollover`, `moveFile`, `deleteOldFiles`).
    private func rollOver(at now: Int64) {
        defer { deleteOldFiles() }
        guard access(path, F_OK) == 0 else {
            logger.warning("File \(path) does not exist")
            return
        }
        let suffix = rolling.suffix(at: Self.localTime(now))
        guard let name = ExecutorLogRolling.rolledName(
            active: activeName, suffix: suffix, isTaken: { access(directory + "/" + $0, F_OK) == 0 })
        else {
            logger.error("Error rolling over \(path): every name for the rolled file is taken")
            return
        }
        let target = directory + "/" + name
        if rolling.compress {
            // Written under a name outside the stream's (the log page never sees half a file),
            // then renamed into place.
            let compressed = target + ExecutorLogRolling.gzipSuffix
            let temporary = directory + "/." + name + ExecutorLogRolling.gzipSuffix + ".tmp"
            if let failure = Self.compress(path, to: temporary) {
                unlink(temporary)
                logger.error("Error compressing \(path): \(failure); it is kept uncompressed")
            } else if rename(temporary, compressed) != 0 {
                logger.error("Error rolling over \(path) to \(compressed): \(String(cString: strerror(errno))); it is kept uncompressed")
                unlink(temporary)
            } else {
                unlink(path)
                logger.info("Rolled over \(path) to \(compressed)")
                return
            }
        }
        guard rename(path, target) == 0 else {
            logger.error("Error rolling over \(path) to \(target): \(String(cString: strerror(errno)))")
            return
        }
        logger.info("Rolled over \(path) to \(target)")
    }

    private func deleteOldFiles() {
        guard rolling.maxRetainedFiles > 0 else { return }
        guard let names = Daemon.directoryEntries(directory) else {
            logger.error("Error cleaning logs in directory \(directory)")
            return
        }
        for name in ExecutorLogRolling.rolledFilesToDelete(in: names, active: activeName, keep: rolling.maxRetainedFiles) {
            logger.info("Deleting file executor log file \(directory)/\(name)")
            unlink(directory + "/" + name)
        }
    }

    /// gzip of `source` into `target`, created or truncated (zlib's default level, as
    /// `GZIPOutputStream`); nil on success, else what failed.
    static func compress(_ source: String, to target: String) -> String? {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return "cannot open it: \(String(cString: strerror(errno)))" }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard output >= 0 else { return "cannot create the file: \(String(cString: strerror(errno)))" }
        var failure: String?
        do {
            let deflater = try GzipDeflater()
            let readError = try Daemon.readChunks(from: input, size: 64 * 1024) { chunk in
                let compressed = try chunk.isEmpty ? deflater.finish() : deflater.compress(ByteBuffer(bytes: chunk))
                if compressed.withUnsafeReadableBytes({ Daemon.write($0, to: output) }) { return true }
                failure = "cannot write: \(String(cString: strerror(errno)))"
                return false
            }
            if readError != 0 { failure = "cannot read it: \(String(cString: strerror(readError)))" }
        } catch {
            failure = "\(error)"
        }
        if close(output) != 0, failure == nil { failure = "cannot close the file: \(String(cString: strerror(errno)))" }
        return failure
    }

    @Sendable static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// `milliseconds` since the epoch in the worker's time zone (as Spark's `SimpleDateFormat`
    /// formats with the JVM's default zone).
    static func localTime(_ milliseconds: Int64) -> ExecutorLogRolling.LocalTime {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return ExecutorLogRolling.LocalTime(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec),
            millisecond: Int(milliseconds % 1000))
    }
}

/// A thread that runs one closure and ends (joined by nobody).
enum DetachedThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    static func start(_ run: @escaping @Sendable () -> Void) -> Bool {
        let body = Unmanaged.passRetained(Body(run))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let result = pthread_create(&thread, &attributes, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, body.toOpaque())
        if result != 0 {
            body.release()
            return false
        }
        return true
    }
}
