import NIOConcurrencyHelpers
@testable import SparkMasterServer
import Testing

/// The REST server's bound on requests served at once: the rest wait in arrival order, and a
/// waiter that gives up leaves no slot behind.
@Suite struct RequestLimitTests {
    /// A request held inside the limit until the test lets it go.
    final class Held: Sendable {
        let entered = NIOLockedValueBox<[Int]>([])
        let gates = NIOLockedValueBox<[Int: CheckedContinuation<Void, Never>]>([:])

        func hold(_ index: Int) async {
            await withCheckedContinuation { continuation in
                gates.withLockedValue { $0[index] = continuation }
                entered.withLockedValue { $0.append(index) }
            }
        }

        func letGo(_ index: Int) {
            gates.withLockedValue { $0.removeValue(forKey: index) }?.resume()
        }

        var order: [Int] { entered.withLockedValue { $0 } }
    }

    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    @Test(.timeLimit(.minutes(1)))
    func requestsBeyondTheLimitWaitInArrivalOrder() async throws {
        let limit = RequestLimit(2)
        let held = Held()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<2 {
                group.addTask { try await limit.run { await held.hold(index) } }
            }
            try await Self.waitUntil("two requests are in") { held.order.count == 2 }
            // Queued one at a time, so their order is known.
            for index in 2..<5 {
                group.addTask { try await limit.run { await held.hold(index) } }
                try await Self.waitUntil("request \(index) waits") { limit.waitingCount == index - 1 }
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(held.order.count == 2, "only two requests may be served at once")

            held.letGo(held.order[0])
            try await Self.waitUntil("the first waiter is in") { held.order.count == 3 }
            #expect(held.order.last == 2)
            #expect(limit.waitingCount == 2)
            held.letGo(held.order[1])
            held.letGo(2)
            try await Self.waitUntil("the next two are in") { held.order.count == 5 }
            #expect(Array(held.order.suffix(2)) == [3, 4])
            #expect(limit.waitingCount == 0)
            held.letGo(3)
            held.letGo(4)
            try await group.waitForAll()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCancelledWaiterLeavesNoSlotBehind() async throws {
        let limit = RequestLimit(1)
        let held = Held()
        let holder = Task { try await limit.run { await held.hold(0) } }
        try await Self.waitUntil("the first request is in") { held.order == [0] }
        let waiter = Task { try await limit.run { await held.hold(1) } }
        try await Self.waitUntil("the second request waits") { limit.waitingCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(limit.waitingCount == 0)
        #expect(held.order == [0], "a cancelled waiter must not run")

        held.letGo(0)
        try await holder.value
        // The slot came back: the next request runs at once.
        let next = Task { try await limit.run { await held.hold(2) } }
        try await Self.waitUntil("the next request is in") { held.order == [0, 2] }
        held.letGo(2)
        try await next.value
        // A task already cancelled when it has to wait does not queue.
        let blocker = Task { try await limit.run { await held.hold(3) } }
        try await Self.waitUntil("a request holds the slot") { held.order.last == 3 }
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limit.run { 42 }
        }
        await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
        #expect(limit.waitingCount == 0)
        held.letGo(3)
        try await blocker.value
        #expect(try await limit.run { 7 } == 7)
    }
}
