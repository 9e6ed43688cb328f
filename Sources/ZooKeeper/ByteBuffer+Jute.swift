import NIOCore

// Jute binary encoding (org.apache.jute.BinaryOutputArchive): big-endian, no tags;
// ustring/buffer/vector = int32 length (-1 = null) + content. Readers never half-consume:
// on failure the reader index is back where it was.
extension ByteBuffer {
    // MARK: Reading

    /// `int`: 4 bytes, two's complement.
    public mutating func readJuteInt(_ field: String) throws(ZooKeeperCodecError) -> Int32 {
        guard let value = readInteger(endianness: .big, as: Int32.self) else {
            throw ZooKeeperCodecError(.truncated, "needs 4 bytes for an int, \(readableBytes) left", context: field)
        }
        return value
    }

    /// `long`: 8 bytes, two's complement.
    public mutating func readJuteLong(_ field: String) throws(ZooKeeperCodecError) -> Int64 {
        guard let value = readInteger(endianness: .big, as: Int64.self) else {
            throw ZooKeeperCodecError(.truncated, "needs 8 bytes for a long, \(readableBytes) left", context: field)
        }
        return value
    }

    /// `boolean`: one byte; like `DataInput.readBoolean`, any non-zero byte is true.
    public mutating func readJuteBool(_ field: String) throws(ZooKeeperCodecError) -> Bool {
        guard let value = readInteger(as: UInt8.self) else {
            throw ZooKeeperCodecError(.truncated, "needs 1 byte for a boolean", context: field)
        }
        return value != 0
    }

    /// A length prefix: -1 means null; other negatives, and lengths beyond the bytes left, are refused.
    private mutating func readJuteLength(_ field: String, elementSize: Int) throws(ZooKeeperCodecError) -> Int? {
        let start = readerIndex
        let length = try readJuteInt(field)
        if length == -1 { return nil }
        guard length >= 0 else {
            moveReaderIndex(to: start)
            throw ZooKeeperCodecError(.invalidLength, "length \(length) is negative", context: field)
        }
        // Every element takes at least `elementSize` bytes, so a count the frame cannot hold is refused
        // before anything is allocated for it.
        guard Int(length) <= readableBytes / elementSize else {
            moveReaderIndex(to: start)
            throw ZooKeeperCodecError(.invalidLength, "length \(length) exceeds the \(readableBytes) bytes left", context: field)
        }
        return Int(length)
    }

    /// `ustring`, null as `nil`.
    public mutating func readJuteOptionalString(_ field: String) throws(ZooKeeperCodecError) -> String? {
        guard let length = try readJuteLength(field, elementSize: 1) else { return nil }
        return readString(length: length)!
    }

    /// `ustring`; null reads as the empty string.
    public mutating func readJuteString(_ field: String) throws(ZooKeeperCodecError) -> String {
        try readJuteOptionalString(field) ?? ""
    }

    /// `buffer`; null (the server's encoding of "no data") reads as empty.
    public mutating func readJuteBuffer(_ field: String) throws(ZooKeeperCodecError) -> [UInt8] {
        guard let length = try readJuteLength(field, elementSize: 1) else { return [] }
        return readBytes(length: length)!
    }

    /// `vector<T>`; null reads as empty. `minimumElementSize` bounds the count by the bytes left.
    public mutating func readJuteVector<T>(
        _ field: String, minimumElementSize: Int, _ element: (inout ByteBuffer, String) throws(ZooKeeperCodecError) -> T
    ) throws(ZooKeeperCodecError) -> [T] {
        let start = readerIndex
        guard let count = try readJuteLength(field, elementSize: max(1, minimumElementSize)) else { return [] }
        var result: [T] = []
        result.reserveCapacity(count)
        do {
            for index in 0..<count {
                result.append(try element(&self, "\(field)[\(index)]"))
            }
        } catch {
            moveReaderIndex(to: start)
            throw error
        }
        return result
    }

    /// Reads a record with `body`, restoring the reader index if it fails part-way.
    public mutating func readJuteRecord<T>(_ body: (inout ByteBuffer) throws(ZooKeeperCodecError) -> T) throws(ZooKeeperCodecError) -> T {
        let start = readerIndex
        do {
            return try body(&self)
        } catch {
            moveReaderIndex(to: start)
            throw error
        }
    }

    /// Refuses bytes left after a record that must end the frame.
    public func expectJuteEnd(_ record: String) throws(ZooKeeperCodecError) {
        guard readableBytes == 0 else {
            throw ZooKeeperCodecError(.trailingBytes, "\(readableBytes) bytes after the record", context: record)
        }
    }

    // MARK: Writing

    public mutating func writeJuteInt(_ value: Int32) { writeInteger(value, endianness: .big) }
    public mutating func writeJuteLong(_ value: Int64) { writeInteger(value, endianness: .big) }
    public mutating func writeJuteBool(_ value: Bool) { writeInteger(value ? UInt8(1) : 0) }

    /// `ustring`; `nil` is written as length -1.
    public mutating func writeJuteString(_ value: String?) {
        guard let value else {
            writeJuteInt(-1)
            return
        }
        let lengthIndex = writerIndex
        writeJuteInt(0)
        let written = writeString(value)
        setInteger(Int32(written), at: lengthIndex, endianness: .big)
    }

    /// `buffer`.
    public mutating func writeJuteBuffer(_ value: [UInt8]) {
        writeJuteInt(Int32(value.count))
        writeBytes(value)
    }

    /// `vector<T>`.
    public mutating func writeJuteVector<T>(_ values: [T], _ element: (inout ByteBuffer, T) -> Void) {
        writeJuteInt(Int32(values.count))
        for value in values { element(&self, value) }
    }
}
