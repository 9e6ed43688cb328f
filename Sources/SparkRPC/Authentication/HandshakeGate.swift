import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The accepted connections of one RPC environment that have not authenticated yet: how many may
/// be at it at once, and how loudly refusals are logged.
///
/// Each handshake is already bounded in time (`handshakeTimeout`) and bytes (`handshakeInputLimit`);
/// the caps bound their number, in all and per peer address, so a flood of idle or slow peers holds
/// at most `limit` sockets and buffers, and one address cannot take every place. A connection over a
/// cap is closed as soon as it is accepted. Refusals are warned about at most `warningsPerWindow` times
/// per `window`; the rest are counted, and the count is logged when the window ends (or with the next
/// warning, whichever comes first), so a port scan cannot fill the log.
final class HandshakeGate: Sendable {
    static let warningsPerWindow = 10

    let limit: Int
    let limitPerHost: Int
    let window: TimeAmount
    private let state: NIOLockedValueBox<State>

    private struct State {
        var pending = 0
        var pendingByHost: [String: Int] = [:]
        var windowStart: NIODeadline
        var warned = 0
        var unlogged = 0
        var summaryScheduled = false
    }

    /// A connection's place in the gate, held while it authenticates; `release` gives it back once,
    /// however many times it is called.
    final class Place: Sendable {
        private let gate: HandshakeGate
        private let host: String
        private let held = NIOLockedValueBox(true)

        fileprivate init(gate: HandshakeGate, host: String) {
            self.gate = gate
            self.host = host
        }

        func release() {
            guard held.withLockedValue({ held in defer { held = false }; return held }) else { return }
            gate.leave(host)
        }
    }

    init(limit: Int, limitPerHost: Int, window: TimeAmount) {
        self.limit = limit
        self.limitPerHost = limitPerHost
        self.window = window
        state = NIOLockedValueBox(State(windowStart: .now()))
    }

    /// Connections authenticating now.
    var pending: Int { state.withLockedValue { $0.pending } }

    /// A place for the handshake of a connection from `peer`; nil, with the reason, when the gate is
    /// full or that address holds `limitPerHost` places.
    func enter(peer: SocketAddress?) -> Result<Place, Refusal> {
        let host = peer?.ipAddress ?? ""
        return state.withLockedValue { state in
            guard state.pending < limit else { return .failure(Refusal(reason: "\(limit) connections are authenticating already")) }
            let fromHost = state.pendingByHost[host, default: 0]
            guard fromHost < limitPerHost else {
                return .failure(Refusal(reason: "\(limitPerHost) connections from this address are authenticating already"))
            }
            state.pending += 1
            state.pendingByHost[host] = fromHost + 1
            return .success(Place(gate: self, host: host))
        }
    }

    struct Refusal: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private func leave(_ host: String) {
        state.withLockedValue { state in
            assert(state.pending > 0 && state.pendingByHost[host, default: 0] > 0, "a handshake place given back twice")
            state.pending -= 1
            let fromHost = state.pendingByHost[host, default: 1] - 1
            state.pendingByHost[host] = fromHost > 0 ? fromHost : nil
        }
    }

    /// Logs that the connection from `peer` was refused: a warning while this window has warned fewer
    /// than `warningsPerWindow` times, else a debug line and a count, logged at the window's end on
    /// `eventLoop`.
    func refused(peer: SocketAddress?, reason: String, logger: Logger, eventLoop: any EventLoop) {
        let now = NIODeadline.now()
        let (warn, unlogged, last, summaryAt): (Bool, Int, Bool, NIODeadline?) = state.withLockedValue { state in
            var unlogged = 0
            if now - state.windowStart >= window {
                unlogged = state.unlogged
                state.windowStart = now
                state.warned = 0
                state.unlogged = 0
            }
            guard state.warned < Self.warningsPerWindow else {
                state.unlogged += 1
                guard !state.summaryScheduled else { return (false, 0, false, nil) }
                state.summaryScheduled = true
                return (false, 0, false, state.windowStart + window)
            }
            state.warned += 1
            return (true, unlogged, state.warned == Self.warningsPerWindow, nil)
        }
        if let summaryAt {
            eventLoop.scheduleTask(deadline: summaryAt) { self.logUnlogged(logger) }
        }
        var metadata: Logger.Metadata = ["rpc/peer": "\(peer?.description ?? "?")", "rpc/error": "\(reason)"]
        guard warn else {
            logger.debug("refusing a connection that did not authenticate", metadata: metadata)
            return
        }
        if unlogged > 0 { metadata["rpc/unlogged-refusals"] = "\(unlogged)" }
        if last { metadata["rpc/note"] = "further refusals within \(Self.describe(window)) are counted, not logged" }
        logger.warning("refusing a connection that did not authenticate", metadata: metadata)
    }

    /// The count of refusals not logged one by one, if any are left to tell.
    private func logUnlogged(_ logger: Logger) {
        let unlogged = state.withLockedValue { state in
            defer {
                state.unlogged = 0
                state.summaryScheduled = false
            }
            return state.unlogged
        }
        guard unlogged > 0 else { return }
        logger.warning("connections refused without authenticating, not logged one by one", metadata: [
            "rpc/unlogged-refusals": "\(unlogged)", "rpc/window": "\(Self.describe(window))",
        ])
    }

    static func describe(_ amount: TimeAmount) -> String {
        amount.nanoseconds % 1_000_000_000 == 0 ? "\(amount.nanoseconds / 1_000_000_000) s" : "\(amount.nanoseconds / 1_000_000) ms"
    }
}
