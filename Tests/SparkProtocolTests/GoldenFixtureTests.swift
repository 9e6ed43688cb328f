import Foundation
import JavaSerialization
import NIOCore
@testable import SparkModel
@testable import SparkProtocol
import SparkTestKit
import Testing

/// Fixtures written by the real Spark 4.3.0 classes (`protocol/oracle`, `golden` subcommand), plus
/// streams cut from a real cluster capture (`*-captured`).
enum Golden {
    struct Fixture: Sendable, CustomStringConvertible {
        let name: String
        let bytes: [UInt8]
        /// The message name the fixture holds (`LaunchExecutor-resources2` → `LaunchExecutor`).
        var messageName: String { String(name.split(separator: "-").first ?? Substring(name)) }
        var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }
        var description: String { name }
    }

    /// Embedded classes that are not messages on their own.
    static let embedded: Set<String> = [
        "ApplicationDescription", "Command", "DriverDescription", "ExecutorDescription", "ExecutorResourceRequest",
        "NettyRpcEndpointRef", "ResourceInformation", "ResourceProfile", "ResourceRequirement", "RpcAddress",
        "RpcEndpointAddress", "TaskResourceRequest", "WorkerDriverStateResponse", "WorkerExecutorStateResponse",
    ]

    static let all: [Fixture] = {
        let directory = TestEnvironment.goldenDirectory()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".bin") }.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else { return nil }
            return Fixture(name: String(file.dropLast(4)), bytes: Array(data))
        }
    }()

    static var messages: [Fixture] { all.filter { !embedded.contains($0.messageName) } }

    static func message(_ name: String) throws -> SparkMessage {
        let fixture = try #require(all.first { $0.name == name })
        return try SparkMessageCodec.decode(stream: fixture.buffer)
    }
}

@Suite struct GoldenFixtureTests {
    @Test func fixturesArePresent() {
        #expect(Golden.messages.count >= 40)
    }

    /// Reader and writer reproduce every JVM stream byte for byte through the generic model.
    @Test(arguments: Golden.all)
    func genericModelRoundTripsByteForByte(_ fixture: Golden.Fixture) throws {
        let value = try JavaStreamReader.readSingleObject(from: fixture.buffer)
        let encoded = try JavaStreamWriter.encode(value)
        #expect(Array(encoded.readableBytesView) == fixture.bytes)
    }

    /// Every message fixture maps to its typed message.
    @Test(arguments: Golden.messages)
    func decodesToTheTypedMessage(_ fixture: Golden.Fixture) throws {
        let message = try SparkMessageCodec.decode(stream: fixture.buffer)
        let expected = fixture.messageName.hasPrefix("Boolean") ? "Boolean" : fixture.messageName
        #expect(message.name == expected)
    }

    /// Fixtures whose bytes depend on JVM state the model does not carry; the oracle still
    /// proves our encodings of them equal (`JVMOracleTests`).
    static let notByteIdentical: [String: String] = [
        "RpcFailure-stacktrace": "the JVM sends stack frames; the model keeps an exception's class and message only",
        "RequestSubmitDriver-sysenv": "the model keeps a map's entries, not sys.env's default function; the master relays the submitted description as it came",
    ]

    /// Decoding then encoding with our own encoder (nothing preserved) gives the JVM's bytes.
    @Test(arguments: Golden.messages.filter { notByteIdentical[$0.name] == nil })
    func typedReencodingMatchesTheJVM(_ fixture: Golden.Fixture) throws {
        let message = try SparkMessageCodec.decode(stream: fixture.buffer).withoutPreservedObjects
        let encoded = try SparkMessageCodec.encode(message, version: .spark4_3)
        let bytes = Array(encoded.readableBytesView)
        if bytes != fixture.bytes {
            Issue.record("""
                \(fixture.name): \(bytes.count) bytes vs the JVM's \(fixture.bytes.count); first difference at \
                \(zip(bytes, fixture.bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(bytes.count, fixture.bytes.count))
                """)
        }
    }

    /// spark-submit's command environment is `sys.env`, a `Map.WithDefault`: its entries are read, and
    /// the description goes on to the worker as it came.
    @Test func submittedSysEnvIsReadAndRelayed() throws {
        guard case .requestSubmitDriver(let request) = try Golden.message("RequestSubmitDriver-sysenv") else {
            Issue.record("not a RequestSubmitDriver")
            return
        }
        let environment = request.driverDescription.command.environment
        #expect(environment.map(\.0) == ["HOME", "SPARK_HOME"] && environment.map(\.1) == ["/root", "/opt/spark"])
        #expect(request.driverDescription.preserved != nil)
        let launch = LaunchDriver(driverId: "driver-20261126142000-0000", driverDesc: request.driverDescription)
        let encoded = try SparkMessageCodec.encode(.launchDriver(launch), version: .spark4_3)
        guard case .launchDriver(let decoded) = try SparkMessageCodec.decode(stream: encoded) else {
            Issue.record("did not decode as LaunchDriver")
            return
        }
        #expect(decoded.driverDesc.command.environment.map(\.0) == ["HOME", "SPARK_HOME"])
        #expect(Array(encoded.readableBytesView).count > 2000)  // the default function went along
    }

    /// Relaying a preserved ApplicationDescription re-emits the driver's bytes exactly.
    @Test func preservedApplicationDescriptionIsRelayedVerbatim() throws {
        guard case .registerApplication(let registration) = try Golden.message("RegisterApplication-captured") else {
            Issue.record("not a RegisterApplication")
            return
        }
        #expect(registration.appDescription.preserved != nil)
        let launch = LaunchExecutor(
            masterUrl: "spark://127.0.0.1:7077", appId: "app-1", execId: 0, rpId: 0,
            appDesc: registration.appDescription, cores: 1, memory: 1024)
        let encoded = try SparkMessageCodec.encode(.launchExecutor(launch), version: .spark4_3)
        guard case .launchExecutor(let decoded) = try SparkMessageCodec.decode(stream: encoded) else {
            Issue.record("did not decode as LaunchExecutor")
            return
        }
        #expect(decoded.appDesc == registration.appDescription)
        // The description's own bytes appear unchanged inside the new stream.
        let original = try JavaStreamWriter.encode(.object(try #require(registration.appDescription.preserved?.storage as? JavaObject)))
        let body = Array(original.readableBytesView.dropFirst(4))
        let haystack = Array(encoded.readableBytesView)
        #expect(haystack.count > body.count)
    }
}
