import JavaSerialization
import NIOCore
import SparkModel
import SparkProtocol
import SparkTransport

/// Decodes what a transport frame carries: the `RequestMessage` envelope of requests and one-way
/// messages, the Java stream of every RPC body, and the typed message or its generic object graph.
public struct FrameInspector: Sendable {
    /// Bounds for each Java stream.
    public var readerLimits: JavaReaderLimits
    /// Prints the object graphs of unknown classes.
    public var renderer: JavaValueRenderer

    /// An inspector with the given bounds.
    public init(readerLimits: JavaReaderLimits = .default, renderer: JavaValueRenderer = JavaValueRenderer()) {
        self.readerLimits = readerLimits
        self.renderer = renderer
    }

    /// Fills the frame, envelope and message parts of `record`.
    public func inspect(_ frame: TransportFrame, into record: inout FrameRecord) {
        record.frameType = frame.typeName
        switch frame {
        case .rpcRequest(let requestId, let body):
            record.requestId = requestId
            decodeRequest(body, into: &record)
        case .oneWayMessage(let body):
            decodeRequest(body, into: &record)
        case .rpcResponse(let requestId, let body):
            record.requestId = requestId
            record.bodyLength = body.readableBytes
            decodeStream(body, into: &record)
        case .rpcFailure(let requestId, let error):
            // The remote endpoint failed; the frame carries its error text (Spark: `RpcFailure.errorString`).
            record.requestId = requestId
            record.rendered = .fields([.init("errorString", .string(error))])
        case .chunkFetchRequest(let streamId, let chunkIndex):
            record.rendered = .fields([.init("streamId", .int(streamId)), .init("chunkIndex", .int(Int64(chunkIndex)))])
        case .chunkFetchSuccess(let streamId, let chunkIndex, let body):
            record.bodyLength = body.readableBytes
            record.rendered = .fields([.init("streamId", .int(streamId)), .init("chunkIndex", .int(Int64(chunkIndex)))])
        case .chunkFetchFailure(let streamId, let chunkIndex, let error):
            record.rendered = .fields([
                .init("streamId", .int(streamId)), .init("chunkIndex", .int(Int64(chunkIndex))), .init("errorString", .string(error)),
            ])
        case .streamRequest(let streamId):
            record.rendered = .fields([.init("streamId", .string(streamId))])
        case .streamResponse(let streamId, let byteCount):
            record.rendered = .fields([.init("streamId", .string(streamId)), .init("byteCount", .int(byteCount))])
        case .streamFailure(let streamId, let error):
            record.rendered = .fields([.init("streamId", .string(streamId)), .init("error", .string(error))])
        case .uploadStream(let requestId, let meta, let bodyByteCount):
            record.requestId = requestId
            record.rendered = .fields([
                .init("metaLength", .int(Int64(meta.readableBytes))), .init("bodyByteCount", .int(bodyByteCount)),
            ])
        case .mergedBlockMetaRequest(let requestId, let appId, let shuffleId, let shuffleMergeId, let reduceId):
            record.requestId = requestId
            record.rendered = .fields([
                .init("appId", .string(appId)), .init("shuffleId", .int(Int64(shuffleId))),
                .init("shuffleMergeId", .int(Int64(shuffleMergeId))), .init("reduceId", .int(Int64(reduceId))),
            ])
        case .mergedBlockMetaSuccess(let requestId, let numChunks, let body):
            record.requestId = requestId
            record.bodyLength = body.readableBytes
            record.rendered = .fields([.init("numChunks", .int(Int64(numChunks)))])
        }
    }

    private func decodeRequest(_ body: ByteBuffer, into record: inout FrameRecord) {
        record.bodyLength = body.readableBytes
        let envelope: RequestMessage
        do throws(SparkProtocolError) {
            envelope = try RequestMessage.parse(body)
        } catch {
            record.error = "request envelope: \(error)"
            return
        }
        record.sender = envelope.senderAddress?.hostPort
        record.receiver = envelope.receiverAddress?.hostPort
        record.endpoint = envelope.endpointName
        decodeStream(envelope.content, into: &record)
    }

    /// Decodes one Java serialization stream holding one message.
    public func decodeStream(_ stream: ByteBuffer, into record: inout FrameRecord) {
        guard stream.readableBytes > 0 else {
            record.error = "the message body is empty"
            return
        }
        let value: JavaValue
        do throws(JavaSerializationError) {
            value = try JavaStreamReader.readSingleObject(from: stream, limits: readerLimits)
        } catch {
            record.error = "\(error)"
            return
        }
        let className = Self.className(of: value)
        record.className = className
        do throws(SparkProtocolError) {
            let message = try SparkMessageCodec.decode(value)
            record.message = message
            if case .unknown(let unknownName, _) = message {
                record.messageName = unknownName
                record.isTyped = false
                record.rendered = renderer.render(value)
            } else {
                record.messageName = message.name
                record.isTyped = true
                record.rendered = MessageRenderer.render(message)
            }
        } catch {
            record.messageName = JavaValueRenderer.simpleName(className)
            record.error = "\(error)"
            record.rendered = renderer.render(value)
        }
    }

    /// The class a value stands for; a Scala object written through its serialization proxy is
    /// named by the object's class.
    static func className(of value: JavaValue) -> String {
        if case .object(let object) = value, object.className == "scala.runtime.ModuleSerializationProxy",
           case .classObject(let moduleClass)? = object.field("moduleClass") {
            return moduleClass.descriptor.name
        }
        if let name = value.className { return name }
        switch value {
        case .boolean: return "boolean"
        case .byte: return "byte"
        case .char: return "char"
        case .short: return "short"
        case .int: return "int"
        case .long: return "long"
        case .float: return "float"
        case .double: return "double"
        case .null: return "null"
        case .string, .object, .array, .enumConstant, .classObject, .classDescriptor: return "?"
        }
    }
}
