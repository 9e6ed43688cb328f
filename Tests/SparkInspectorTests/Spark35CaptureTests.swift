import SparkInspector
import Testing

/// `protocol/captures/rpc-7077-3.5.9.pcap`: a real Spark 3.5.9 (Scala 2.12) session. Every frame
/// decodes to its typed message, including 2.12-only shapes (`Vector`, `List$SerializationProxy`,
/// modules written as themselves).
@Suite struct Spark35CaptureTests {
    @Test func everyFrameOfA35SessionDecodes() throws {
        let decoded = try DecodedEvents.decode(Fixtures.bytes(Fixtures.capture("rpc-7077-3.5.9.pcap")))
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        #expect(decoded.summary.failures == 0)
        #expect(decoded.summary.unknownClasses.isEmpty)
        #expect(decoded.frames.count >= 20)
        #expect(decoded.frames.allSatisfy { $0.isTyped && $0.error == nil })
        let names = Set(decoded.frames.compactMap(\.messageName))
        #expect(names.isSuperset(of: ["RegisterWorker", "WorkerLatestState", "RegisterApplication", "LaunchExecutor", "ExecutorStateChanged"]))
    }
}
