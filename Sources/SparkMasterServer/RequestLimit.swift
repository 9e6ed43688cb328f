import NIOConcurrencyHelpers

/// At most `limit` requests served at once; the others wait in arrival order (Spark: the REST
/// server's Jetty thread pool of `spark.master.rest.maxThreads`, whose job queue holds the rest).
///
/// A waiting request has not started reading its body: beyond what the transport has buffered
/// for its connection, the bytes stay in the socket, so whole bodies (up to
/// `spark.master.rest.maxRequestBodySize`) are held for at most `limit` requests.
final class RequestLimit: Sendable {
    private struct State {
        let limit: Int
        var available: Int
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(_ limit: Int) {
        precondition(limit >= 1, "a request limit needs at least one slot")
        state = NIOLockedValueBox(State(limit: limit, available: limit))
    }

    /// Runs `body` holding a slot, after waiting for one; throws `CancellationError` when the
    /// task is cancelled while it waits.
    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    /// Requests waiting for a slot.
    var waitingCount: Int { state.withLockedValue { $0.waiting.count } }

    /// Requests holding a slot.
    var servingCount: Int { state.withLockedValue { $0.limit - $0.available } }

    private func acquire() async throws {
        let id: UInt64? = state.withLockedValue { state in
            if state.available > 0 {
                state.available -= 1
                return nil
            }
            state.nextID &+= 1
            return state.nextID
        }
        guard let id else { return }
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // Checked again under the lock: a cancellation either finds this waiter or is seen
                // here, and a slot freed since the first look is taken rather than waited for.
                let answer = state.withLockedValue { state -> Bool? in
                    if Task.isCancelled { return false }
                    if state.available > 0 {
                        state.available -= 1
                        return true
                    }
                    state.waiting.append((id, continuation))
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
        guard granted else { throw CancellationError() }
    }

    private func release() {
        let next = state.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
            guard !state.waiting.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
