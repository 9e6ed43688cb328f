#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Logging
import Synchronization

/// How `spark-master` and `spark-worker` run their services and end.
public enum Daemon {
    /// Runs `body` on the concurrency pool, exits the process with the status it returns, and keeps
    /// the main thread waiting meanwhile.
    ///
    /// The main thread only waits: an asynchronous `main` would leave it through `dispatch_main`, whose
    /// `pthread_exit` unwinds its stack and so maps the unwind tables and `libgcc_s` (most of a megabyte
    /// of resident memory, for nothing). The task is detached because top-level code runs on the main
    /// actor, whose queue this thread never serves.
    public static func run(_ body: @escaping @Sendable () async -> Int32) -> Never {
        Task.detached { exit(await body()) }
        let never = DispatchSemaphore(value: 0)
        while true { never.wait() }
    }

    /// Whether a hang-up should stop the daemon gracefully: as a JVM runs its shutdown hooks on SIGHUP,
    /// unless the daemon was started ignoring it (`nohup`, as Spark's `spark-daemon.sh` starts its
    /// daemons), which a JVM then leaves ignored.
    public static var stopsOnHangUp: Bool {
        var action = sigaction()
        guard sigaction(SIGHUP, nil, &action) == 0 else { return false }
        #if canImport(Glibc)
        let handler = action.__sigaction_handler.sa_handler
        #else
        let handler = action.__sigaction_u.__sa_handler
        #endif
        // SIG_IGN is the handler address 1.
        return unsafeBitCast(handler, to: Int.self) != 1
    }

    /// Logs the stop signals as Spark's daemons log them (`SignalUtils.registerLogger`):
    /// `RECEIVED SIGNAL TERM`, at error level, for TERM, INT and, when it stops the daemon, HUP.
    /// The sources live as long as the process.
    public static func logReceivedSignals(logger: Logger) {
        var signals: [(Int32, String)] = [(SIGTERM, "TERM"), (SIGINT, "INT")]
        if stopsOnHangUp { signals.insert((SIGHUP, "HUP"), at: 1) }
        let sources = signals.map { number, name in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { logger.error("RECEIVED SIGNAL \(name)") }
            source.resume()
            return source
        }
        signalLoggers.withLock { $0.sources += sources }
    }

    /// Dispatch sources are not `Sendable`; these are only kept, never touched again.
    private struct SignalSources: @unchecked Sendable { var sources: [any DispatchSourceSignal] = [] }
    private static let signalLoggers = Mutex(SignalSources())

    /// Writes usage and start-up failures to standard error, before logging is set up.
    public static func writeStandardError(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    /// Writes `text` with as few `write(2)` calls as the descriptor takes (one for a log line on a
    /// pipe, so lines of different threads do not interleave); gives up on errors other than EINTR.
    /// Returns whether all of it was written.
    @discardableResult
    public static func write(_ text: String, to descriptor: Int32) -> Bool {
        var text = text
        return text.withUTF8 { write(UnsafeRawBufferPointer($0), to: descriptor) }
    }

    /// The most `readFile` reads by default: properties files, and the small files of `/proc`, `/sys`
    /// and the work directory, are a few kilobytes.
    public static let smallFileLimit = 1 << 20

    /// The bytes of a whole file, read to its end rather than to the size `stat` reports (files under
    /// `/proc` and `/sys` report none). Throws the `errno` of `open` or `read` (a missing file, a
    /// directory), or `.larger` when the file holds more than `limit` bytes: never a silent prefix.
    public static func readFile(_ path: String, limit: Int = smallFileLimit) throws(FileReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileReadError(reason: .system(errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var tooLarge = false
        let failure = readChunks(from: descriptor, size: 16 * 1024) { chunk in
            guard chunk.count <= limit - bytes.count else {
                tooLarge = true
                return false
            }
            bytes += chunk
            return true
        }
        if failure != 0 { throw FileReadError(reason: .system(failure)) }
        if tooLarge { throw FileReadError(reason: .larger(than: limit)) }
        return bytes
    }

    /// Reads `descriptor` to its end in chunks of up to `size` bytes and hands each to `body`, then an
    /// empty chunk at the end; stops early when `body` returns false. Returns 0, or the `errno` of the
    /// read that failed (EINTR is retried).
    public static func readChunks(
        from descriptor: Int32, size: Int, _ body: (UnsafeRawBufferPointer) throws -> Bool
    ) rethrows -> Int32 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(descriptor, buffer.baseAddress, size)
            #else
            let count = Darwin.read(descriptor, buffer.baseAddress, size)
            #endif
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            guard try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) else { return 0 }
            if count == 0 { return 0 }
        }
    }

    /// Writes `bytes` as `write(_:to:)` writes text.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
        var done = 0
        while done < bytes.count {
            #if canImport(Glibc)
            let wrote = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            #else
            let wrote = Darwin.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            #endif
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { return false }
            done += wrote
        }
        return true
    }

    /// The names in a directory (`readdir`, without `.` and `..`), unsorted; nil when it cannot be
    /// opened or read to the end.
    public static func directoryEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else { break }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return errno == 0 ? names : nil
    }

    /// The running executable's path (Linux: `/proc/self/exe`); nil where it cannot be read.
    public static func executablePath() -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, $0.count - 1) }
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    /// The process's working directory; nil where it cannot be read.
    public static func workingDirectory() -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let found = buffer.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { getcwd($0.baseAddress!, $0.count) != nil }
        }
        guard found else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Waits until `stream` finishes (a server that was asked to stop), at most `timeout`.
    public static func waitUntilFinished(_ stream: AsyncStream<Void>, atMost timeout: Duration) async {
        await withTaskGroup(of: Void.self) { race in
            race.addTask { for await _ in stream {} }
            race.addTask { try? await Task.sleep(for: timeout) }
            await race.next()
            race.cancelAll()
        }
    }
}

/// Why `Daemon.readFile` returned no bytes.
public struct FileReadError: Error, Equatable, Sendable {
    public enum Reason: Equatable, Sendable {
        /// `open` or `read` failed with this `errno`.
        case system(Int32)
        /// The file holds more than this many bytes.
        case larger(than: Int)
    }

    public var reason: Reason

    public init(reason: Reason) {
        self.reason = reason
    }
}
