#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A daemon's properties file (`--properties-file`, else `$SPARK_CONF_DIR/spark-defaults.conf`)
/// could not be used; described in the words of Spark's `Utils.getPropertiesFromFile`.
public struct PropertiesFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        case missing
        /// A directory or another file that is not a regular one.
        case notARegularFile
        /// Larger than `PropertiesFile.limit`: a daemon does not read an unbounded file into memory.
        case larger(than: Int)
        /// Any other `errno` of `open` or `read` (no permission, an I/O error).
        case unreadable(Int32)
    }

    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// Whether the file is simply not there as a file: what a daemon looking for its default file
    /// takes as "no properties" (Spark keeps the default only when `isFile`).
    public var isAbsence: Bool { problem == .missing || problem == .notARegularFile }

    public var description: String {
        switch problem {
        case .missing: "Properties file \(path) does not exist"
        case .notARegularFile: "Properties file \(path) is not a normal file"
        case .larger(let limit): "Properties file \(path) is larger than \(limit) bytes"
        case .unreadable(let code): "Properties file \(path) cannot be read: \(String(cString: strerror(code)))"
        }
    }
}

public enum PropertiesFile {
    /// The most a properties file may hold (`Daemon.smallFileLimit`); Spark's files are a few kilobytes.
    public static let limit = Daemon.smallFileLimit

    /// The text of the file at `path`, nil when there is no such file.
    public static func readIfPresent(_ path: String) throws(PropertiesFileError) -> String? {
        do {
            return try read(path)
        } catch {
            if error.isAbsence { return nil }
            throw error
        }
    }

    /// The text of the properties file at `path`, read on the C library (a missing default file is
    /// the common case, and Foundation's reader builds a `CocoaError` for it at every start).
    public static func read(_ path: String) throws(PropertiesFileError) -> String {
        // A FIFO would block the open, a device would never end: only regular files are read.
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw PropertiesFileError(path: path, problem: .notARegularFile)
        }
        do {
            return String(decoding: try Daemon.readFile(path, limit: limit), as: UTF8.self)
        } catch {
            switch error.reason {
            case .system(ENOENT), .system(ENOTDIR): throw PropertiesFileError(path: path, problem: .missing)
            case .system(EISDIR): throw PropertiesFileError(path: path, problem: .notARegularFile)
            case .system(let code): throw PropertiesFileError(path: path, problem: .unreadable(code))
            case .larger(let limit): throw PropertiesFileError(path: path, problem: .larger(than: limit))
            }
        }
    }
}
