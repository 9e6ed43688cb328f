import NIOCore

/// Splits a ZooKeeper byte stream into frames: `int32 length` (not counting itself) + payload.
///
/// Returns each payload as an exact slice once it has fully arrived; refuses lengths that are zero,
/// negative or above `maxFrameSize` before buffering them. Used on both sides of a connection.
public struct ZooKeeperFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// Largest payload accepted.
    public let maxFrameSize: Int

    /// 4 MiB: generous against the server's `jute.maxbuffer` (1 MiB of data per node by default),
    /// so a large `getChildren` still fits.
    public static let defaultMaxFrameSize = 4 * 1024 * 1024

    public init(maxFrameSize: Int = ZooKeeperFrameDecoder.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return nil
        }
        guard length > 0 else {
            throw ZooKeeperCodecError(.badFrameLength, "frame length \(length) is out of range", context: "frame")
        }
        guard Int(length) <= maxFrameSize else {
            throw ZooKeeperCodecError(.frameTooLarge, "frame of \(length) bytes exceeds the \(maxFrameSize)-byte limit", context: "frame")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(length))!
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

extension ByteBuffer {
    /// Writes a frame: reserves the length, lets `body` write the payload, then fills the length in.
    public mutating func writeZooKeeperFrame(_ body: (inout ByteBuffer) -> Void) {
        let lengthIndex = writerIndex
        writeInteger(Int32(0))
        let start = writerIndex
        body(&self)
        setInteger(Int32(writerIndex - start), at: lengthIndex, endianness: .big)
    }
}
