import Foundation
import JavaSerialization
import NIOCore
import SparkModel
import SparkProtocol
import SparkTestKit
import SparkTransport

/// How a captured message travelled: Spark's `send` (`OneWayMessage`) or `ask` (`RpcRequest`).
public enum FrameKind: Sendable {
    case oneWay
    case rpcRequest(requestId: Int64)
}

/// One Java stream written by Spark 4.3.0 on a real cluster (`protocol/golden/spark-4.3.0/*-captured.bin`),
/// with everything the benchmarks derive from it, computed once before any measurement.
public struct MessageFixture: Sendable {
    /// The fixture file name without `.bin`.
    public let fileName: String
    /// The message's Spark name (`Heartbeat`), used as the benchmark name prefix.
    public let messageName: String
    /// The JVM's bytes: `AC ED 00 05` and one object.
    public let stream: ByteBuffer
    /// The generic object graph of `stream`, input of the writer-only benchmark.
    public let value: JavaValue
    /// The typed message as decoded, relayed objects included (`ApplicationDescription` of `LaunchExecutor`).
    public let decoded: SparkMessage
    /// The typed message with relayed objects dropped, so the encoder builds every part itself.
    public let typed: SparkMessage
    /// The `RequestMessage` envelope the capture carried the stream in.
    public let request: RequestMessage
    public let kind: FrameKind
    /// The transport frame as captured: length prefix, type, header, envelope, stream.
    public let frameBytes: ByteBuffer

    public var frame: TransportFrame {
        switch kind {
        case .oneWay: .oneWayMessage(body: request.serialized())
        case .rpcRequest(let requestId): .rpcRequest(requestId: requestId, body: request.serialized())
        }
    }
}

/// Loads the fixtures the benchmarks measure.
public enum BenchmarkFixtures {
    private static let master = RpcAddress(host: "127.0.0.1", port: 17077)
    private static let worker = RpcAddress(host: "127.0.0.1", port: 17078)

    /// RegisterWorker, Heartbeat, LaunchExecutor and ExecutorStateChanged as the capture of
    /// `protocol/captures/spark-4.3.0-session.pcap` carried them (frames 2, 5, 10 and 12 of its README).
    public static let messages: [MessageFixture] = [
        load("RegisterWorker-captured", "RegisterWorker", from: worker, to: master, endpoint: "Master",
             kind: .oneWay, capturedFrameLength: 1463),
        load("Heartbeat-captured", "Heartbeat", from: worker, to: master, endpoint: "Master",
             kind: .oneWay, capturedFrameLength: 1128),
        load("LaunchExecutor-captured", "LaunchExecutor", from: master, to: worker, endpoint: "Worker",
             kind: .oneWay, capturedFrameLength: 4409),
        load("ExecutorStateChanged-captured-running", "ExecutorStateChanged", from: worker, to: master,
             endpoint: "Master", kind: .rpcRequest(requestId: 6_393_432_322_891_003_373), capturedFrameLength: 989),
    ]

    public static func message(_ name: String) -> MessageFixture {
        guard let fixture = messages.first(where: { $0.messageName == name }) else {
            fatalError("no benchmark fixture for \(name)")
        }
        return fixture
    }

    /// `count` frames, cycling through `messages` in order, written back to back into one buffer.
    public static func mixedFrames(count: Int) -> ByteBuffer {
        let frames = messages.map(\.frame)
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * messages.map(\.frameBytes.readableBytes).max()!)
        for index in 0..<count {
            TransportFrameEncoder.write(frames[index % frames.count], into: &buffer)
        }
        return buffer
    }

    private static func load(
        _ fileName: String, _ messageName: String,
        from sender: RpcAddress, to receiver: RpcAddress, endpoint: String,
        kind: FrameKind, capturedFrameLength: Int
    ) -> MessageFixture {
        let url = TestEnvironment.goldenDirectory().appendingPathComponent(fileName + ".bin")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("benchmark fixture \(url.path) is missing")
        }
        let stream = ByteBuffer(bytes: Array(data))
        let value: JavaValue
        let decoded: SparkMessage
        do {
            value = try JavaStreamReader.readSingleObject(from: stream)
            decoded = try SparkMessageCodec.decode(stream: stream)
        } catch {
            fatalError("benchmark fixture \(fileName) does not decode: \(error)")
        }
        guard decoded.name == messageName else {
            fatalError("benchmark fixture \(fileName) decodes to \(decoded.name), expected \(messageName)")
        }
        let typed = decoded.withoutPreservedObjects
        let request = RequestMessage(
            senderAddress: sender, receiverAddress: receiver, endpointName: endpoint, content: stream)

        var frameBytes = ByteBuffer()
        let frame: TransportFrame = switch kind {
        case .oneWay: .oneWayMessage(body: request.serialized())
        case .rpcRequest(let requestId): .rpcRequest(requestId: requestId, body: request.serialized())
        }
        TransportFrameEncoder.write(frame, into: &frameBytes)

        // Warnings, not failures: the figures are still worth having while a codec is being changed.
        if frameBytes.readableBytes != capturedFrameLength {
            warn("\(fileName): built frame is \(frameBytes.readableBytes) bytes, the capture's was \(capturedFrameLength)")
        }
        if let encoded = try? SparkMessageCodec.encode(typed, version: .spark4_3), encoded != stream {
            warn("\(fileName): typed re-encoding (\(encoded.readableBytes) bytes) differs from the JVM's (\(stream.readableBytes))")
        }

        return MessageFixture(
            fileName: fileName, messageName: messageName, stream: stream, value: value, decoded: decoded,
            typed: typed, request: request, kind: kind, frameBytes: frameBytes)
    }

    private static func warn(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }
}
