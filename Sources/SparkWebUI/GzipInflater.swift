import CZlib

/// Streaming gzip decompression with the system zlib (what `GZIPInputStream` reads: one or more
/// gzip members back to back). Feed compressed chunks; decompressed bytes go to a closure, which
/// can stop the stream early. Memory stays bounded: zlib's window plus one output chunk.
/// Not thread-safe; use it from one thread.
public final class GzipInflater {
    public struct Failure: Error, CustomStringConvertible {
        public var code: Int32
        public var operation: String
        public var description: String { "zlib \(operation) failed with code \(code)" }
    }

    /// Decompressed bytes handed to the consumer at a time.
    public static let outputChunk = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    /// Whether the last member's trailer was read (and nothing more came but what is ignored).
    public private(set) var isComplete = false
    /// Bytes after a member that do not start another one are ignored, as `GZIPInputStream` does.
    private var ignoringTrail = false

    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: gzip members only.
        let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw Failure(code: status, operation: "inflateInit2")
        }
        output = .allocate(byteCount: Self.outputChunk, alignment: 1)
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    /// Decompresses `input`, calling `consume` with each decompressed chunk; `consume` returns
    /// false to stop (then this returns false too). Throws on data that is not gzip.
    public func inflate(_ input: UnsafeRawBufferPointer, consume: (UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        guard let base = input.baseAddress, !input.isEmpty, !ignoringTrail else { return true }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while stream.pointee.avail_in > 0 {
            if isComplete {
                // Another member follows (`GZIPInputStream` reads concatenated members on), or
                // something else, which is ignored.
                guard stream.pointee.next_in.pointee == 0x1f else {
                    ignoringTrail = true
                    return true
                }
                guard inflateReset(stream) == Z_OK else { throw Failure(code: Z_STREAM_ERROR, operation: "inflateReset") }
                isComplete = false
            }
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
            switch status {
            case Z_OK, Z_BUF_ERROR:
                if status == Z_BUF_ERROR && produced == 0 { return true }
            case Z_STREAM_END:
                isComplete = true
            default:
                throw Failure(code: status, operation: "inflate")
            }
            if produced > 0, try !consume(UnsafeRawBufferPointer(rebasing: output[0..<produced])) { return false }
        }
        // Input used up; zlib may still hold output for a full buffer.
        while !isComplete {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
            if status == Z_STREAM_END { isComplete = true } else if status != Z_OK && status != Z_BUF_ERROR {
                throw Failure(code: status, operation: "inflate")
            }
            if produced > 0, try !consume(UnsafeRawBufferPointer(rebasing: output[0..<produced])) { return false }
            if produced == 0 { break }
        }
        return true
    }
}
