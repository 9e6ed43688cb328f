import NIOConcurrencyHelpers
import NIOCore

/// Calls an endpoint has queued for its own loop and not yet handled, bounded.
///
/// Endpoints receive calls on the connections' event loops and hand them to a loop of their own
/// (the master's state machine). Peers that send faster than that loop handles would otherwise
/// grow its queue without end. When the calls waiting pass `maxCalls`, or their frames pass
/// `maxBytes`, the environment stops reading from every connection; it reads again once the loop
/// has worked the queue down to half of both. Meanwhile the kernel's buffers and TCP hold what
/// peers send: nothing is dropped, it arrives later.
///
/// The endpoint reports `added` when it queues a call and `taken` when its loop takes it, for
/// every call it counted; its loop must not wait for a reply from a peer while the backlog is full.
public final class InboundBacklog: Sendable {
    public let maxCalls: Int
    public let maxBytes: Int
    private let dispatcher: RpcDispatcher
    private let state = NIOLockedValueBox(State())

    private struct State {
        var calls = 0
        var bytes = 0
        var full = false
        /// Times the backlog filled and stopped reading.
        var pauses = 0
    }

    init(maxCalls: Int, maxBytes: Int, dispatcher: RpcDispatcher) {
        self.maxCalls = max(maxCalls, 2)
        self.maxBytes = max(maxBytes, 2)
        self.dispatcher = dispatcher
    }

    /// Calls queued and not yet taken.
    public var calls: Int { state.withLockedValue { $0.calls } }

    /// Whether reading is stopped for this backlog now.
    public var isFull: Bool { state.withLockedValue { $0.full } }

    /// How many times the backlog filled.
    public var pauses: Int { state.withLockedValue { $0.pauses } }

    /// The endpoint queued `call`.
    public func added(_ call: RpcCall) {
        // The switch is made under this lock, so a pause and the resume after it reach the
        // dispatcher in that order.
        let warning = state.withLockedValue { state -> String? in
            state.calls += 1
            state.bytes += call.frameBytes
            guard !state.full, state.calls >= maxCalls || state.bytes >= maxBytes else { return nil }
            state.full = true
            state.pauses += 1
            return dispatcher.pauseReading()
        }
        if let warning { dispatcher.logger.warning("\(warning)") }
    }

    /// The endpoint's loop took `call`.
    public func taken(_ call: RpcCall) {
        state.withLockedValue { state in
            state.calls -= 1
            state.bytes -= call.frameBytes
            guard state.full, state.calls <= maxCalls / 2, state.bytes <= maxBytes / 2 else { return }
            state.full = false
            dispatcher.resumeReading()
        }
    }
}
