import NIOCore

/// Reads a classic libpcap file record by record from bytes that arrive in pieces.
///
/// Header problems throw (the file cannot be read at all); a record whose length is implausible
/// ends the reading with `.corrupt`, keeping every record before it.
public struct PcapReader: Sendable {
    /// The 24-byte global header.
    public struct Header: Sendable, Equatable {
        /// Byte order of every header field in the file.
        public var endianness: Endianness
        /// Whether record timestamps count nanoseconds (magic a1b23c4d) rather than microseconds.
        public var isNanosecondPrecision: Bool
        /// File format version (2.4 in practice).
        public var versionMajor: UInt16
        /// Minor part of the format version.
        public var versionMinor: UInt16
        /// The largest number of bytes captured per packet.
        public var snapLength: UInt32
        /// The raw `network` field.
        public var linkType: UInt32
        /// The link layer `linkType` names.
        public var linkLayer: LinkLayer
    }

    /// One captured packet.
    public struct Record: Sendable {
        /// Position in the file, from 0.
        public var index: Int
        /// When the packet was captured.
        public var time: CaptureTime
        /// Bytes on the wire; more than `data` holds when the snap length cut the packet.
        public var originalLength: Int
        /// The captured bytes, from the link-layer header on.
        public var data: ByteBuffer
    }

    /// What `next()` found.
    public enum Step: Sendable {
        case record(Record)
        /// Append more bytes (or call `unconsumedBytes` at the end of the input).
        case needMoreData
        /// The file is damaged here; nothing after it is read.
        case corrupt(String)
    }

    /// The kinds of file a magic number announces.
    public enum Magic: Sendable, Equatable {
        case pcap
        case pcapng
        case other
    }

    static let headerSize = 24
    static let recordHeaderSize = 16
    /// No link layer carries more than this in one packet; larger record lengths mean damage.
    public static let maxRecordSize = 1 << 20

    private var buffer = ByteBuffer()
    private var corrupt = false
    /// The global header, once read.
    public private(set) var header: Header?
    /// Records returned so far.
    public private(set) var recordCount = 0
    /// File offset of `buffer.readerIndex`.
    public private(set) var offset = 0

    /// A reader waiting for the global header.
    public init() {}

    /// Classifies the first four bytes of a file.
    public static func magic(of bytes: some Collection<UInt8>) -> Magic {
        guard bytes.count >= 4 else { return .other }
        let value = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        switch value {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1: return .pcap
        case 0x0A0D_0D0A: return .pcapng
        default: return .other
        }
    }

    /// Adds the next bytes of the file.
    public mutating func append(_ bytes: ByteBuffer) {
        var bytes = bytes
        if buffer.readerIndex > 1 << 20 || buffer.readableBytes == 0 {
            buffer.discardReadBytes()
        }
        buffer.writeBuffer(&bytes)
    }

    /// Bytes received but not part of a complete record; non-zero at the end means a cut file.
    public var unconsumedBytes: Int { corrupt ? 0 : buffer.readableBytes }

    /// The next record, once enough bytes are there.
    public mutating func next() throws(InspectorError) -> Step {
        if corrupt { return .needMoreData }
        guard let header else {
            guard buffer.readableBytes >= Self.headerSize else { return .needMoreData }
            self.header = try Self.parseHeader(buffer.readSlice(length: Self.headerSize)!)
            offset += Self.headerSize
            return try next()
        }
        guard buffer.readableBytes >= Self.recordHeaderSize else { return .needMoreData }
        let start = buffer.readerIndex
        let endianness = header.endianness
        let seconds = buffer.getInteger(at: start, endianness: endianness, as: UInt32.self)!
        let fraction = buffer.getInteger(at: start + 4, endianness: endianness, as: UInt32.self)!
        let capturedLength = buffer.getInteger(at: start + 8, endianness: endianness, as: UInt32.self)!
        let originalLength = buffer.getInteger(at: start + 12, endianness: endianness, as: UInt32.self)!
        let limit = Swift.max(Int(header.snapLength), 262_144)
        guard capturedLength <= Swift.min(limit, Self.maxRecordSize) else {
            corrupt = true
            return .corrupt("record \(recordCount) at byte \(offset) claims \(capturedLength) captured bytes (snap length \(header.snapLength)); the file is damaged, reading stops here")
        }
        let unit: Int64 = header.isNanosecondPrecision ? 1 : 1000
        guard Int64(fraction) * unit < 1_000_000_000 else {
            corrupt = true
            return .corrupt("record \(recordCount) at byte \(offset) has a sub-second timestamp of \(fraction); the file is damaged, reading stops here")
        }
        guard buffer.readableBytes >= Self.recordHeaderSize + Int(capturedLength) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: Self.recordHeaderSize)
        let data = buffer.readSlice(length: Int(capturedLength))!
        let record = Record(
            index: recordCount,
            time: CaptureTime(seconds: Int64(seconds), nanoseconds: Int64(fraction) * unit, isNanosecondPrecision: header.isNanosecondPrecision),
            originalLength: Int(originalLength),
            data: data)
        recordCount += 1
        offset += Self.recordHeaderSize + Int(capturedLength)
        return .record(record)
    }

    static func parseHeader(_ bytes: ByteBuffer) throws(InspectorError) -> Header {
        let endianness: Endianness
        let nanoseconds: Bool
        switch bytes.getInteger(at: bytes.readerIndex, endianness: .big, as: UInt32.self)! {
        case 0xA1B2_C3D4: (endianness, nanoseconds) = (.big, false)
        case 0xD4C3_B2A1: (endianness, nanoseconds) = (.little, false)
        case 0xA1B2_3C4D: (endianness, nanoseconds) = (.big, true)
        case 0x4D3C_B2A1: (endianness, nanoseconds) = (.little, true)
        case let other:
            throw InspectorError(.badCaptureHeader, "pcap magic is 0x\(String(other, radix: 16)), expected a1b2c3d4 or a1b23c4d in either byte order")
        }
        let start = bytes.readerIndex
        let major = bytes.getInteger(at: start + 4, endianness: endianness, as: UInt16.self)!
        let minor = bytes.getInteger(at: start + 6, endianness: endianness, as: UInt16.self)!
        let snapLength = bytes.getInteger(at: start + 16, endianness: endianness, as: UInt32.self)!
        let linkType = bytes.getInteger(at: start + 20, endianness: endianness, as: UInt32.self)!
        guard major == 2 else {
            throw InspectorError(.badCaptureHeader, "pcap version \(major).\(minor) is not 2.x")
        }
        guard let layer = LinkLayer(linkType: linkType) else {
            throw InspectorError(
                .unsupportedLinkType,
                "pcap link type \(linkType & 0xFFFF) is not supported (supported: NULL 0, EN10MB 1, RAW 101/12/14, LINUX_SLL 113, LINUX_SLL2 276)")
        }
        return Header(
            endianness: endianness, isNanosecondPrecision: nanoseconds, versionMajor: major, versionMinor: minor,
            snapLength: snapLength, linkType: linkType, linkLayer: layer)
    }
}
