import Foundation
import JavaSerialization
import NIOCore
@testable import SparkModel
@testable import SparkProtocol
import SparkTestKit
import Testing

/// Golden bytes for the second line: the Java serialization streams of a real Spark 3.5.9
/// (Scala 2.12) session (`protocol/captures/rpc-7077-3.5.9.pcap`, cut out by
/// `protocol/captures/extract_streams.py` into `protocol/golden/spark-3.5.9/`), as Spark 3.5's
/// master, worker and driver wrote them. Our encoder, writing for 3.5, gives the same bytes, or,
/// where the JVM's bytes carry process state, objects Spark 3.5's classes read as the same.
@Suite struct Spark35CapturedStreamTests {
    struct Stream: Sendable, CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        var description: String { name }
    }

    static let streams: [Stream] = {
        let directory = TestEnvironment.goldenDirectory(version: "3.5.9")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".bin") }.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else { return nil }
            return Stream(name: String(file.dropLast(4)), bytes: Array(data))
        }
    }()

    /// Streams whose bytes depend on what the writing JVM did before, and why.
    static let notByteIdentical: [String: String] = [
        "captured-004-52252-7077-OneWayMessage-Master":
            "WorkerLatestState: the worker's driverIds is drivers.keys.toSeq, an empty 2.12 Vector written with its fields; ours is Nil",
        "captured-012-52252-7077-RpcRequest-Master":
            "ExecutorStateChanged: Scala 2.12 writes the ExecutorState enumeration as itself, with the value map its process built; ours has none (both resolve to the reader's own)",
        "captured-013-7077-52260-OneWayMessage-AppClient": "ExecutorUpdated: the ExecutorState enumeration, as above",
        "captured-019-52252-7077-RpcRequest-Master": "ExecutorStateChanged: the ExecutorState enumeration, as above",
    ]

    static func reencoded(_ stream: Stream) throws -> [UInt8] {
        let message = try SparkMessageCodec.decode(stream: ByteBuffer(bytes: stream.bytes)).withoutPreservedObjects
        return Array(try SparkMessageCodec.encode(message, version: .spark3_5).readableBytesView)
    }

    @Test func everyStreamOfTheSessionIsThere() throws {
        #expect(Self.streams.count == 21)
        let names = try Set(Self.streams.map { try SparkMessageCodec.decode(stream: ByteBuffer(bytes: $0.bytes)).name })
        #expect(names.isSuperset(of: [
            "RegisterWorker", "RegisteredWorker", "WorkerLatestState", "Heartbeat", "RegisterApplication", "RegisteredApplication",
            "LaunchExecutor", "ExecutorAdded", "ExecutorStateChanged", "ExecutorUpdated", "UnregisterApplication", "Boolean",
        ]), "\(names.sorted())")
    }

    /// Decoding then encoding for Spark 3.5 with our own encoder gives the JVM's bytes.
    @Test(arguments: streams.filter { notByteIdentical[$0.name] == nil })
    func typedReencodingMatchesTheJVM(_ stream: Stream) throws {
        let bytes = try Self.reencoded(stream)
        if bytes != stream.bytes {
            let first = zip(bytes, stream.bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(bytes.count, stream.bytes.count)
            Issue.record("\(stream.name): \(bytes.count) bytes against the JVM's \(stream.bytes.count), first difference at \(first)")
        }
    }

    /// The rest: Spark 3.5's classes read ours as they read the JVM's (the oracle's deep dumps are
    /// equal), but for the empty driver list's class.
    @Test(.enabled(if: TestEnvironment.sparkHome(version: "3.5.9") != nil || TestEnvironment.isCI))
    func spark35ReadsTheRestAsTheJVMsOwn() throws {
        let home = try #require(TestEnvironment.sparkHome(version: "3.5.9"), "pyspark 3.5.9 is not installed: run .ci/setup")
        let oracle = try JVMOracle.build(sparkHome: home)
        let candidates = try TestEnvironment.temporaryDirectory("spark35-captured")
        defer { try? FileManager.default.removeItem(at: candidates) }
        let others = Self.streams.filter { Self.notByteIdentical[$0.name] != nil }
        #expect(others.count == Self.notByteIdentical.count)
        for stream in others {
            let bytes = try Self.reencoded(stream)
            #expect(bytes != stream.bytes, "\(stream.name) is byte-identical now: take it off the list")
            FileManager.default.createFile(atPath: candidates.appendingPathComponent("\(stream.name).bin").path, contents: Data(bytes))
        }
        let result = try oracle.run(["compare", TestEnvironment.goldenDirectory(version: "3.5.9").path, candidates.path])
        let lines = result.output.split(separator: "\n").map(String.init)
        for stream in others where !stream.name.hasPrefix("captured-004-") {
            #expect(lines.contains("OK \(stream.name)"), "\(result.output)")
        }
        // WorkerLatestState: the one difference is the empty list's class.
        let worker = "captured-004-52252-7077-OneWayMessage-Master"
        #expect(lines.contains("FAIL \(worker)"))
        let changed = lines.filter { ($0.hasPrefix("    -") || $0.hasPrefix("    +")) && !$0.hasPrefix("    ---") && !$0.hasPrefix("    +++") }
        #expect(changed == [
            "    -   driverIds=scala.collection.immutable.Vector []", "    +   driverIds=scala.collection.immutable.Nil$ []",
        ], "\(result.output)")
    }
}
