import NIOConcurrencyHelpers
import NIOCore
import SparkModel
@testable import SparkRPC
import Testing

/// An endpoint that queues calls for a loop of its own stops its environment reading while the
/// queue is full, and nothing sent meanwhile is lost.
@Suite struct InboundBacklogTests {
    /// Queues calls; `work(_:)` takes them as a slow loop would.
    final class SlowQueue: RpcEndpoint {
        let backlog: InboundBacklog
        let queued = NIOLockedValueBox<[RpcCall]>([])
        let handled = NIOLockedValueBox<[String]>([])

        init(backlog: InboundBacklog) { self.backlog = backlog }

        func receive(_ call: RpcCall) {
            backlog.added(call)
            queued.withLockedValue { $0.append(call) }
        }

        /// Takes up to `count` queued calls; returns how many it took.
        @discardableResult
        func work(_ count: Int) -> Int {
            let taken = queued.withLockedValue { queued -> [RpcCall] in
                let taken = Array(queued.prefix(count))
                queued.removeFirst(taken.count)
                return taken
            }
            for call in taken {
                backlog.taken(call)
                if case .checkExistence(let check) = call.message { handled.withLockedValue { $0.append(check.name) } }
            }
            return taken.count
        }

        var waiting: Int { queued.withLockedValue { $0.count } }
    }

    func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aFullQueueStopsReadingUntilItDrainsAndNothingIsLost() async throws {
        let server = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let client = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        defer { Task { await server.shutdown(); await client.shutdown() } }
        let queue = SlowQueue(backlog: server.backlog(maxCalls: 50, maxBytes: 1 << 30))
        server.register("Queue", queue)

        // 3 000 one-way messages of about 2 KB each, 6 MB in all: more than the sockets buffer.
        let total = 3000
        let padding = String(repeating: "x", count: 2000)
        let ref = server.ref("Queue")
        for index in 0..<total {
            client.post(.checkExistence(CheckExistence(name: "\(index) \(padding)")), to: ref)
        }
        #expect(try await waitUntil { queue.backlog.isFull })
        // Reading stopped: after a pause, far fewer than all have arrived, and no more come.
        try await Task.sleep(for: .milliseconds(500))
        let whileFull = queue.waiting
        try await Task.sleep(for: .milliseconds(500))
        #expect(queue.waiting == whileFull)
        #expect(whileFull >= 50 && whileFull < total, "\(whileFull) calls queued while full")
        #expect(queue.backlog.isFull)

        // Working the queue down to half reads again; working on until every message is handled.
        #expect(try await waitUntil {
            queue.work(7)
            return queue.handled.withLockedValue { $0.count } == total
        })
        #expect(!queue.backlog.isFull)
        #expect(queue.backlog.calls == 0)
        #expect(queue.backlog.pauses >= 2)
        // Every message once, in the order sent.
        let names = queue.handled.withLockedValue { $0.map { $0.prefix { $0 != " " } } }
        #expect(names == (0..<total).map { Substring("\($0)") })
    }
}
