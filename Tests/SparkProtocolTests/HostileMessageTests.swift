import JavaSerialization
import NIOCore
import SparkModel
import SparkProtocol
import Testing

/// Messages no Spark peer writes, decoded without trapping: values the peer chooses are bounded or
/// saturated where the decoder computes with them.
@Suite struct HostileMessageTests {
    /// The stream of `message` with every occurrence of `text` replaced by `replacement` (of the same
    /// length, so the stream stays well formed).
    static func stream(_ message: SparkMessage, replacing text: String, with replacement: String) throws -> ByteBuffer {
        precondition(text.utf8.count == replacement.utf8.count)
        let bytes = Array(try SparkMessageCodec.encode(message, version: .spark4_3).readableBytesView)
        let needle = Array(text.utf8)
        var patched = bytes
        var index = 0
        var found = 0
        while index + needle.count <= patched.count {
            if Array(patched[index..<index + needle.count]) == needle {
                patched.replaceSubrange(index..<index + needle.count, with: Array(replacement.utf8))
                found += 1
            }
            index += 1
        }
        #expect(found > 0, "\(text) is not in the stream")
        return ByteBuffer(bytes: patched)
    }

    /// An ask timeout of `Long.MaxValue` minutes (or hours, or days) saturates instead of overflowing.
    @Test func askTimeoutsInLargeUnitsSaturate() throws {
        let ref = RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: 7078, askTimeout: RpcTimeout(seconds: .max))
        for (unit, seconds) in [("MINUTES", Int64.max), ("SECONDS", Int64.max)] {
            let stream = try Self.stream(.heartbeat(Heartbeat(workerId: "w", worker: ref)), replacing: "SECONDS", with: unit)
            guard case .heartbeat(let heartbeat) = try SparkMessageCodec.decode(stream: stream) else {
                Issue.record("not a heartbeat")
                continue
            }
            #expect(heartbeat.worker.askTimeout.seconds == seconds, "\(unit)")
        }
        let negative = RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: 7078, askTimeout: RpcTimeout(seconds: .min))
        let stream = try Self.stream(.heartbeat(Heartbeat(workerId: "w", worker: negative)), replacing: "SECONDS", with: "MINUTES")
        guard case .heartbeat(let heartbeat) = try SparkMessageCodec.decode(stream: stream) else {
            Issue.record("not a heartbeat")
            return
        }
        #expect(heartbeat.worker.askTimeout.seconds == .min)
    }
}
