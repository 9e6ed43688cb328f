import Foundation
import NIOCore
import SparkModel
import SparkProtocol
@testable import SparkRPC
import SparkTestKit
import Testing

/// An endpoint that hands every call to the test.
final class RecordingEndpoint: RpcEndpoint {
    let calls: AsyncStream<RpcCall>
    let closures: AsyncStream<[RpcAddress]>
    private let callSink: AsyncStream<RpcCall>.Continuation
    private let closureSink: AsyncStream<[RpcAddress]>.Continuation

    init() {
        (calls, callSink) = AsyncStream.makeStream(of: RpcCall.self)
        (closures, closureSink) = AsyncStream.makeStream(of: [RpcAddress].self)
    }

    func receive(_ call: RpcCall) { callSink.yield(call) }

    func connectionClosed(addresses: [RpcAddress], connection: RpcConnection) { closureSink.yield(addresses) }
}

/// Waits for the first element matching `predicate`, failing after `timeout`.
func first<Element: Sendable>(
    _ stream: AsyncStream<Element>, timeout: Duration = .seconds(90), where predicate: @escaping @Sendable (Element) -> Bool
) async throws -> Element {
    try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask {
            for await element in stream where predicate(element) { return element }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let element = result else {
            throw ChildProcessError(message: "nothing matching arrived within \(timeout)")
        }
        return element
    }
}

@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct JVMInteropTests {
    let sparkHome: URL

    init() throws {
        sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
    }

    /// The real JVM Worker registers with a Swift endpoint named Master, accepts our
    /// RegisteredWorker over its own connection, and heartbeats.
    @Test func realWorkerRegistersAndHeartbeats() async throws {
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let master = RecordingEndpoint()
        env.register("Master", master)
        let logs = try TestEnvironment.temporaryDirectory("jvm-worker")
        let workerPort = try freePort()
        let worker = try SparkDaemons.worker(
            sparkHome: sparkHome, masterURL: env.address.sparkURL, port: workerPort, webUIPort: try freePort(),
            cores: 2, memory: "1g", workDirectory: logs.appendingPathComponent("work"), logDirectory: logs,
            options: ["-Dspark.worker.timeout=4"])
        defer { worker.stop() }

        let registration = try await first(master.calls) {
            if case .registerWorker = $0.message { return true }
            return false
        }
        guard case .registerWorker(let register) = registration.message else { return }
        #expect(register.host == "127.0.0.1")
        #expect(register.port == Int32(workerPort))
        #expect(register.cores == 2)
        #expect(register.memory == 1024)
        #expect(register.worker.name == "Worker")
        #expect(register.worker.rpcAddress == RpcAddress(host: "127.0.0.1", port: Int32(workerPort)))
        #expect(register.masterAddress == env.address)
        #expect(register.id.hasPrefix("worker-"))
        #expect(registration.connection.peerVersion?.version == "4.3.0")

        try await env.send(
            .registeredWorker(RegisteredWorker(
                master: env.ref("Master"), masterWebUiUrl: "http://127.0.0.1:8080",
                masterAddress: register.masterAddress, duplicate: false)),
            to: register.worker)
        // Sticky connections: the reply went over the worker's own socket, no new one was dialled.
        #expect(env.connections.count == 1)
        try await worker.waitForLog("Successfully registered with master spark://\(env.address.hostPort)")

        let heartbeat = try await first(master.calls) {
            if case .heartbeat = $0.message { return true }
            return false
        }
        guard case .heartbeat(let beat) = heartbeat.message else { return }
        #expect(beat.workerId == register.id)

        // Stopping the worker closes its connection; the endpoint learns both its addresses.
        worker.stop()
        let closed = try await first(master.closures) { _ in true }
        #expect(closed.contains(RpcAddress(host: "127.0.0.1", port: Int32(workerPort))))
        await env.shutdown()
    }

    /// A Swift client verifies endpoints on a real JVM Master and gets Spark's failures back.
    @Test func swiftClientTalksToARealMaster() async throws {
        let logs = try TestEnvironment.temporaryDirectory("jvm-master")
        let port = try freePort()
        let jvm = try SparkDaemons.master(sparkHome: sparkHome, port: port, webUIPort: try freePort(), logDirectory: logs)
        defer { jvm.stop() }
        try await jvm.waitForLog("I have been elected leader")

        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let masterAddress = RpcAddress(host: "127.0.0.1", port: Int32(port))
        let master = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: masterAddress, name: "Master"))
        #expect(try await env.verify(master, timeout: .seconds(30)))
        let missing = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: masterAddress, name: "Nope"))
        #expect(try await env.verify(missing, timeout: .seconds(30)) == false)

        // An ask it handles is answered; killing executors of an unknown application is refused.
        let reply = try await env.ask(
            .killExecutors(KillExecutors(appId: "app-none", executorIds: ["1"])), to: master, timeout: .seconds(30))
        #expect(reply == .boolean(false))

        // An ask the Master does not handle comes back as Spark's RpcFailure, not a hang.
        let ref = env.ref("Worker")
        let error = await #expect(throws: RpcError.self) {
            _ = try await env.ask(.heartbeat(Heartbeat(workerId: "worker-x", worker: ref)), to: master, timeout: .seconds(30))
        }
        #expect(error?.code == .remoteFailure)
        #expect(error?.message.contains("Heartbeat") == true)
        await env.shutdown()
    }
}
