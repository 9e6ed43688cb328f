import Foundation
import NIOCore
import SparkInspector
import SparkTransport
import Testing

/// Input that is the bytes of one direction of one connection.
@Suite struct RawStreamTests {
    @Test func goldenFramesAreDetectedAndDecoded() throws {
        let run = InspectorRun.bytes(try Fixtures.clientStream(), name: "worker.bin")
        #expect(run.status == 0)
        #expect(run.text.contains("#0 [c0 worker.bin]"))
        #expect(run.text.contains("  RpcRequest frameLength="))
        #expect(run.text.contains("requestId=42"))
        #expect(run.text.contains("== Summary: raw Spark RPC stream"))

        let decoded = try DecodedEvents.decode(try Fixtures.clientStream())
        #expect(decoded.frames.map(\.messageName) == ["CheckExistence", "RegisterWorker", "Heartbeat"])
        #expect(decoded.frames.allSatisfy { $0.time == nil && $0.flow.direction == .unknown && $0.error == nil })
        #expect(decoded.frames[1].rendered?[field: "cores"]?.integer == 2)
        #expect(decoded.frames[1].endpoint == "Master")
        #expect(decoded.frames[1].sender == "127.0.0.1:7078")
        #expect(decoded.summary.connections.first?.otherFrames == 3)
    }

    @Test func directionHintLabelsTheStream() throws {
        let decoded = try DecodedEvents.decode(try Fixtures.serverStream(), options: InspectorOptions(direction: .server))
        #expect(decoded.frames.count == 1)
        #expect(decoded.frames[0].flow.direction == .serverToClient)
        #expect(decoded.frames[0].requestId == 42)
        #expect(decoded.frames[0].rendered?[field: "value"] == .bool(true))
    }

    /// One direction cut out of the real capture decodes to the same frames as the capture does.
    @Test func directionExtractedFromTheCapture() throws {
        let bytes = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        var reader = PcapReader()
        reader.append(ByteBuffer(bytes: bytes))
        var reassembler = TCPStreamReassembler(maxBufferedBytes: 1 << 20)
        var stream: [UInt8] = []
        while case .record(let record) = try reader.next() {
            guard case .segment(let segment) = PacketParser.parse(record.data, linkLayer: .ethernet, originalLength: record.originalLength),
                  segment.source.port == 17077, segment.destination.port == 37916
            else { continue }
            for case .data(let data) in reassembler.receive(segment) {
                stream += data.readableBytesView
            }
        }
        let raw = try DecodedEvents.decode(stream)
        let fromCapture = try DecodedEvents.decode(bytes).frames.filter {
            $0.flow.connectionIndex == 0 && $0.flow.direction == .serverToClient
        }
        #expect(raw.frames.count == 7)
        #expect(raw.frames.map(\.messageName) == fromCapture.map(\.messageName))
        #expect(raw.frames.map(\.offset) == fromCapture.map(\.offset))
        #expect(raw.summary.failures == 0)
    }

    /// A JVM stream of a class the typed codec does not know prints as a generic object graph.
    @Test func unknownClassPrintsTheJavaGraph() throws {
        let bytes = Fixtures.requestFrame(try Fixtures.golden("Command"), endpoint: "Master")
        let decoded = try DecodedEvents.decode(bytes)
        let frame = try #require(decoded.frames.first)
        #expect(frame.isUnknownClass)
        #expect(!frame.isTyped)
        #expect(frame.error == nil)
        #expect(frame.className == "org.apache.spark.deploy.Command")
        guard case .record(let className, let id, _)? = frame.rendered else {
            Issue.record("not a record: \(String(describing: frame.rendered))")
            return
        }
        #expect(className == "org.apache.spark.deploy.Command")
        #expect(id == 1)
        #expect(frame.rendered?[field: "mainClass"] != nil)
        #expect(decoded.summary.unknownClasses == ["org.apache.spark.deploy.Command": 1])
        #expect(decoded.summary.exitStatus == 0)

        let run = InspectorRun.bytes(bytes)
        #expect(run.status == 0)
        #expect(run.text.contains("  UNKNOWN CLASS org.apache.spark.deploy.Command"))
        #expect(run.text.contains("    org.apache.spark.deploy.Command #1 {"))
        #expect(run.text.contains("unknown classes: 1"))

        let json = try InspectorRun.bytes(bytes, InspectorOptions(json: true)).jsonObjects()
        let message = try #require(json[0]["message"] as? [String: Any])
        #expect(message["@class"] as? String == "org.apache.spark.deploy.Command")
        #expect(message["@id"] as? Int == 1)
        #expect(json[0]["typed"] as? Bool == false)
    }

    @Test func nonRPCFramesAndTheBytesAfterAStreamResponse() throws {
        var bytes = Fixtures.encode(.streamResponse(streamId: "/jars/app.jar", byteCount: 5))
        bytes += [1, 2, 3, 4, 5]
        bytes += Fixtures.encode(.rpcFailure(requestId: 7, error: "java.lang.IllegalStateException: boom"))
        bytes += Fixtures.encode(.rpcResponse(requestId: 8, body: try Fixtures.golden("BooleanFalse")))
        // Streams split at every byte still give the same frames.
        let decoded = try DecodedEvents.decode(bytes, chunk: 1)
        #expect(decoded.frames.map(\.frameType) == ["StreamResponse", "RpcFailure", "RpcResponse"])
        #expect(decoded.frames[0].rendered?[field: "byteCount"]?.integer == 5)
        #expect(decoded.frames[1].rendered?[field: "errorString"]?.text == "java.lang.IllegalStateException: boom")
        #expect(decoded.frames[1].requestId == 7)
        #expect(decoded.frames[2].rendered?[field: "value"] == .bool(false))
        #expect(decoded.summary.failures == 0)
    }

    @Test func truncatedLastFrameIsAFailure() throws {
        let stream = try Fixtures.clientStream()
        let run = InspectorRun.bytes(Array(stream.dropLast(10)))
        #expect(run.status == 1)
        #expect(run.lines.contains { $0.hasPrefix("!! ERROR") && $0.contains("the input ends inside a frame") })
        #expect(run.lines.filter { $0.hasPrefix("#") }.count == 2)
    }

    @Test func forcedRawGarbageFailsAtOffsetZero() throws {
        let garbage = Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
        let run = InspectorRun.bytes(garbage, InspectorOptions(format: .raw))
        #expect(run.status == 1)
        #expect(run.text.contains("not a Spark RPC stream at offset 0"))
    }

    @Test func badMessageBodyIsReportedWithTheFrame() throws {
        // A valid frame whose Java stream is cut short.
        let stream = try Fixtures.golden("Heartbeat-captured")
        let cut = stream.getSlice(at: stream.readerIndex, length: stream.readableBytes - 20)!
        let bytes = Fixtures.requestFrame(cut, endpoint: "Master") + Fixtures.requestFrame(stream, endpoint: "Master")
        let decoded = try DecodedEvents.decode(bytes)
        #expect(decoded.frames.count == 2)
        #expect(decoded.frames[0].frameType == "OneWayMessage")
        #expect(decoded.frames[0].error?.contains("java serialization") == true)
        #expect(decoded.frames[1].messageName == "Heartbeat")
        #expect(decoded.summary.failures == 1)

        let json = InspectorRun.bytes(bytes, InspectorOptions(json: true))
        #expect(json.status == 1)
        let objects = try json.jsonObjects()
        #expect((objects[0]["error"] as? String)?.isEmpty == false)
        #expect(objects[1]["error"] is NSNull)
    }
}
