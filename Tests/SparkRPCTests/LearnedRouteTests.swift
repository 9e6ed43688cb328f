import NIOConcurrencyHelpers
import NIOCore
import SparkModel
@testable import SparkRPC
import Testing

/// A reference that arrives in a message is bound to the connection it came on, as Spark binds a
/// deserialized `NettyRpcEndpointRef` to its `TransportClient`: messages to it go back that way,
/// even when nothing listens at its address.
@Suite struct LearnedRouteTests {
    final class Inbox: RpcEndpoint {
        let messages = NIOLockedValueBox<[SparkMessage]>([])
        func receive(_ call: RpcCall) { messages.withLockedValue { $0.append(call.message) } }
        var count: Int { messages.withLockedValue { $0.count } }
    }

    func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func messagesToARefGoBackOverTheConnectionItArrivedOn() async throws {
        let master = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let workers = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        defer { Task { await master.shutdown() } }
        let masterInbox = Inbox()
        master.register("Master", masterInbox)
        let workerInbox = Inbox()
        workers.register("Worker-7", workerInbox)

        // An endpoint announced at an address where nothing listens (port 1 of another loopback address).
        let unreachable = RpcAddress(host: "127.0.0.9", port: 1)
        let workerRef = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: unreachable, name: "Worker-7"))
        try await workers.send(.heartbeat(Heartbeat(workerId: "worker-7", worker: workerRef)), to: master.ref("Master"))
        #expect(try await waitUntil { masterInbox.count == 1 })
        #expect(master.dispatcher.connection(to: unreachable) != nil)

        // The master answers the reference it was given: it arrives over the workers' connection.
        let master7 = RegisteredWorker(master: master.ref("Master"), masterWebUiUrl: "http://m:8080", masterAddress: master.address, duplicate: false)
        master.post(.registeredWorker(master7), to: workerRef)
        #expect(try await waitUntil { workerInbox.count == 1 })
        #expect(workerInbox.messages.withLockedValue { $0 } == [.registeredWorker(master7)])

        // The route ends with its connection; then only the (unreachable) address is left.
        await workers.shutdown()
        #expect(try await waitUntil { master.dispatcher.connection(to: unreachable) == nil })
        await #expect(throws: RpcError.self) {
            try await master.send(.registeredWorker(master7), to: workerRef)
        }
    }

    @Test func aReferenceToTheConnectionsOwnAddressLearnsNothing() async throws {
        let master = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let worker = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        defer { Task { await master.shutdown(); await worker.shutdown() } }
        let inbox = Inbox()
        master.register("Master", inbox)
        try await worker.send(.heartbeat(Heartbeat(workerId: "w", worker: worker.ref("Worker"))), to: master.ref("Master"))
        #expect(try await waitUntil { inbox.count == 1 })
        #expect(master.dispatcher.learnedRouteCount == 0)
        #expect(master.dispatcher.connection(to: worker.address) != nil)
    }
}
