import CZlib
import NIOCore

/// Streaming gzip compression with the system zlib: feed chunks, take what is ready, finish once.
///
/// Memory stays bounded whatever the body size: zlib's window and state (about 256 KiB at the
/// default settings) plus one output chunk at a time. Not thread-safe; use it from one task.
public final class GzipDeflater {
    public struct Failure: Error, CustomStringConvertible {
        public var code: Int32
        public var operation: String
        public var description: String { "zlib \(operation) failed with code \(code)" }
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false

    /// - Parameter level: zlib level, 1 (fast) … 9 (small); 6 is zlib's default.
    public init(level: Int32 = 6) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip header and trailer instead of a zlib one.
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw Failure(code: status, operation: "deflateInit2")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input`; returns the compressed bytes ready so far (possibly none).
    public func compress(_ input: ByteBuffer, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        precondition(!finished, "compress after finish")
        return try run(input, flush: Z_NO_FLUSH, allocator: allocator)
    }

    /// Ends the stream: the last compressed bytes and the gzip trailer.
    public func finish(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        precondition(!finished, "finish twice")
        finished = true
        return try run(ByteBuffer(), flush: Z_FINISH, allocator: allocator)
    }

    /// `input` compressed as one gzip member.
    public static func compress(_ input: ByteBuffer, level: Int32 = 6) throws -> ByteBuffer {
        let deflater = try GzipDeflater(level: level)
        var output = try deflater.compress(input)
        var tail = try deflater.finish()
        output.writeBuffer(&tail)
        return output
    }

    private func run(_ input: ByteBuffer, flush: Int32, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        var output = allocator.buffer(capacity: flush == Z_FINISH ? 64 : max(64, input.readableBytes / 4))
        try input.withUnsafeReadableBytes { (inputBytes: UnsafeRawBufferPointer) in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBytes.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(inputBytes.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                if output.writableBytes < 256 { output.reserveCapacity(minimumWritableBytes: max(4096, output.capacity)) }
                let (status, produced) = output.withUnsafeMutableWritableBytes { (space: UnsafeMutableRawBufferPointer) -> (Int32, Int) in
                    stream.pointee.next_out = space.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = uInt(space.count)
                    let status = deflate(stream, flush)
                    let produced = space.count - Int(stream.pointee.avail_out)
                    stream.pointee.next_out = nil
                    stream.pointee.avail_out = 0
                    return (status, produced)
                }
                output.moveWriterIndex(forwardBy: produced)
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Done once zlib took all input and, when finishing, had room left over.
                    if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && output.writableBytes > 0 { return }
                    if status == Z_BUF_ERROR && produced == 0 && flush == Z_NO_FLUSH { return }
                default:
                    throw Failure(code: status, operation: "deflate")
                }
            }
        }
        return output
    }
}
