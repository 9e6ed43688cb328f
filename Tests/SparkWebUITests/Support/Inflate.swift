import CZlib
import NIOCore

/// gzip decompression with zlib directly, independent of the code under test.
enum Inflate {
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var description: String { "inflate failed with code \(code)" }
    }

    static func gunzip(_ input: [UInt8], limit: Int = 64 << 20) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Failure(code: -1) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        let count = input.count
        return try input.withUnsafeMutableBufferPointer { inputBytes in
            stream.next_in = inputBytes.baseAddress
            stream.avail_in = uInt(count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { space -> (Int32, Int) in
                    stream.next_out = space.baseAddress
                    stream.avail_out = uInt(space.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, space.count - Int(stream.avail_out))
                }
                output += chunk[0..<produced]
                guard output.count <= limit else { throw Failure(code: -2) }
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in == 0 else { throw Failure(code: -3) }  // trailing garbage
                    return output
                case Z_OK:
                    continue
                default:
                    throw Failure(code: status)
                }
            }
        }
    }

    static func gunzip(_ buffer: ByteBuffer) throws -> [UInt8] { try gunzip(Array(buffer.readableBytesView)) }
}
