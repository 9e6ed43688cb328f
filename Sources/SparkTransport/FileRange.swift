#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// Reads of a range of an open file by position (`pread`, so the descriptor's offset is never
/// moved and one descriptor can serve several readers): shuffle blocks and encrypted file pieces
/// that leave through a connection, log pages a worker serves.
public enum FileRange {
    /// Fills `buffer` from `offset`, going on after short reads and `EINTR`; returns how many
    /// bytes were read, fewer than `buffer.count` only at the end of the file.
    public static func read(_ descriptor: Int32, at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Int {
        guard let base = buffer.baseAddress, offset >= 0 else { return 0 }
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// A read the system refused.
    public struct Failure: Error, CustomStringConvertible {
        public var errno: Int32
        public init(errno: Int32) { self.errno = errno }
        public var description: String { String(cString: strerror(errno)) }
    }
}

extension ByteBuffer {
    /// Appends up to `count` bytes of the file from `offset` (see `FileRange.read`) and returns
    /// how many were appended: fewer only at the end of the file, none when the read fails.
    @discardableResult
    public mutating func writeFileRange(_ descriptor: Int32, at offset: Int64, count: Int) throws(FileRange.Failure) -> Int {
        guard count > 0 else { return 0 }
        var failure: FileRange.Failure?
        let read = writeWithUnsafeMutableBytes(minimumWritableBytes: count) { target in
            do throws(FileRange.Failure) {
                return try FileRange.read(descriptor, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: target[0..<count]))
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        return read
    }
}
