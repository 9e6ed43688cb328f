import JavaSerialization
import NIOCore
import SparkModel

/// The body of an `RpcRequest` or `OneWayMessage` (Spark's `RequestMessage.serialize`): sender and
/// receiver addresses, the endpoint name, then one Java serialization stream.
public struct RequestMessage: Sendable, Equatable {
    /// `nil` when the sender is a client-mode environment without a listening port.
    public var senderAddress: RpcAddress?
    /// `nil` when the target lives in a client-mode environment.
    public var receiverAddress: RpcAddress?
    public var endpointName: String
    /// The Java serialization stream of the message (`AC ED 00 05` + one object).
    public var content: ByteBuffer

    public init(senderAddress: RpcAddress?, receiverAddress: RpcAddress?, endpointName: String, content: ByteBuffer) {
        self.senderAddress = senderAddress
        self.receiverAddress = receiverAddress
        self.endpointName = endpointName
        self.content = content
    }

    /// Parses an envelope; `content` is the rest of the body.
    public static func parse(_ body: ByteBuffer) throws(SparkProtocolError) -> RequestMessage {
        var buffer = body
        let sender = try readAddress(&buffer, "sender")
        let receiver = try readAddress(&buffer, "receiver")
        guard let name = readUTF(&buffer) else {
            throw SparkProtocolError(.serialization, "request envelope ends inside the endpoint name")
        }
        return RequestMessage(senderAddress: sender, receiverAddress: receiver, endpointName: name, content: buffer)
    }

    /// Appends the envelope and its content.
    public func write(into buffer: inout ByteBuffer) {
        Self.writeAddress(senderAddress, into: &buffer)
        Self.writeAddress(receiverAddress, into: &buffer)
        Self.writeUTF(endpointName, into: &buffer)
        var content = self.content
        buffer.writeBuffer(&content)
    }

    public func serialized() -> ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    private static func readAddress(_ buffer: inout ByteBuffer, _ which: String) throws(SparkProtocolError) -> RpcAddress? {
        guard let present = buffer.readInteger(as: UInt8.self) else {
            throw SparkProtocolError(.serialization, "request envelope ends before the \(which) address")
        }
        switch present {
        case 0:
            return nil
        case 1:
            guard let host = readUTF(&buffer), let port = buffer.readInteger(endianness: .big, as: Int32.self) else {
                throw SparkProtocolError(.serialization, "request envelope ends inside the \(which) address")
            }
            return RpcAddress(host: host, port: port)
        default:
            throw SparkProtocolError(.serialization, "request envelope \(which) flag is \(present), expected 0 or 1")
        }
    }

    private static func writeAddress(_ address: RpcAddress?, into buffer: inout ByteBuffer) {
        guard let address else {
            buffer.writeInteger(UInt8(0))
            return
        }
        buffer.writeInteger(UInt8(1))
        writeUTF(address.host, into: &buffer)
        buffer.writeInteger(address.port)
    }

    /// `DataInput.readUTF`: uint16 length + modified UTF-8.
    static func readUTF(_ buffer: inout ByteBuffer) -> String? {
        let save = buffer.readerIndex
        guard let length = buffer.readInteger(endianness: .big, as: UInt16.self),
              let bytes = buffer.readSlice(length: Int(length)),
              let string = ModifiedUTF8.decode(bytes.readableBytesView)
        else {
            buffer.moveReaderIndex(to: save)
            return nil
        }
        return string
    }

    static func writeUTF(_ string: String, into buffer: inout ByteBuffer) {
        let bytes = ModifiedUTF8.encode(string)
        buffer.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
        buffer.writeBytes(bytes)
    }
}
