#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reading by position (`pread`), closed when the value is released.
/// The daemons read logs and archive headers this way without Foundation's `FileHandle`.
public final class ReadOnlyFile {
    private let descriptor: Int32

    /// `nil` when the file cannot be opened (missing, unreadable, a directory is fine to open
    /// but reads from it fail).
    public init?(path: String) {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        descriptor = opened
    }

    deinit { close(descriptor) }

    /// The current size in bytes.
    public func size() throws(ReadOnlyFile.Failure) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Failure(errno: errno) }
        return Int64(info.st_size)
    }

    /// Up to `count` bytes from `offset`; fewer only at the end of the file.
    public func read(at offset: Int64, count: Int) throws(FileRange.Failure) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(FileRange.Failure) -> Int in try FileRange.read(descriptor, at: offset, into: buffer) }
        }
        bytes.removeLast(count - (try filled.get()))
        return bytes
    }

    public typealias Failure = FileRange.Failure
}
