import SparkDaemon
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file operations of an executor launch, straight on the C library: a launch is on the
/// worker's message loop, and Foundation's `FileManager` looks up owner and group names
/// (`/etc/passwd`, `/etc/group`) for every attribute query and writes files atomically with an
/// `fsync`, which a new executor's log files do not need.
extension HostEnvironment {
    /// The size and last modification of a file or directory; nil when `stat` fails. Links are
    /// followed, as Java's `File.lastModified` does (a dangling link has no status).
    struct FileStatus {
        var size: Int64
        /// Seconds since the epoch, with the nanoseconds of the file system's time stamp.
        var modified: Double
    }

    static func status(_ path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return FileStatus(size: Int64(info.st_size), modified: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }

    /// Creates `path`, and first its missing parents when `intermediates`. Parents, and `path` with
    /// the default `mode`, get 0777 less the umask; another `mode` is set exactly (`chmod` after
    /// `mkdir`), as Spark's `chmod700` of scratch directories. An existing directory is success
    /// unless `exclusive`. Returns 0 or the `errno` of the step that failed.
    @discardableResult
    static func makeDirectory(_ path: String, mode: mode_t = 0o777, intermediates: Bool, exclusive: Bool = false) -> Int32 {
        if intermediates {
            let parent = parentDirectory(path)
            if parent != path, parent != ".", !isDirectory(parent) {
                let failure = makeDirectory(parent, intermediates: true)
                if failure != 0 { return failure }
            }
        }
        guard mkdir(path, mode) == 0 else {
            let failure = errno
            if failure == EEXIST, !exclusive, isDirectory(path) { return 0 }
            return failure
        }
        if mode != 0o777, chmod(path, mode) != 0 { return errno }
        return 0
    }

    /// Creates or truncates `path` (mode 0666 less the umask, as Java's `FileOutputStream`) and
    /// writes `text`; false when any step fails, closing included.
    /// Creates `path` empty when it does not exist; an existing file is kept as it is.
    static func createFile(_ path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return false }
        return close(descriptor) == 0
    }

    static func writeFile(_ path: String, _ text: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return false }
        let complete = Daemon.write(text, to: descriptor)
        return close(descriptor) == 0 && complete
    }

    /// A small file (at most `limit` bytes, `Daemon.readFile`), decoded as UTF-8; nil when it cannot be
    /// read or is larger.
    static func readText(_ path: String, limit: Int = Daemon.smallFileLimit) -> String? {
        (try? Daemon.readFile(path, limit: limit)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `path` with every symbolic link resolved (`realpath`); `path` itself when that fails.
    static func resolvingLinks(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
