import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The accepted connections of one RPC environment that have not authenticated yet: how many may
/// be at it at once, and how loudly refusals are logged.
///
/// Each handshake is already bounded in time (`handshakeTimeout`) and bytes (`handshakeInputLimit`);
/// the cap bounds their number, so a flood of idle or slow peers holds at most `limit` sockets and
/// buffers. A connection over the cap is closed as soon as it is accepted. Refusals are warned about
/// at most `warningsPerWindow` times per `window`; the rest are counted, and the count is given with
/// the next warning, so a port scan cannot fill the log.
final class HandshakeGate: Sendable {
    static let warningsPerWindow = 10

    let limit: Int
    let window: TimeAmount
    private let state: NIOLockedValueBox<State>

    private struct State {
        var pending = 0
        var windowStart: NIODeadline
        var warned = 0
        var unlogged = 0
    }

    init(limit: Int, window: TimeAmount) {
        self.limit = limit
        self.window = window
        state = NIOLockedValueBox(State(windowStart: .now()))
    }

    /// Connections authenticating now.
    var pending: Int { state.withLockedValue { $0.pending } }

    /// Takes a place for a new connection's handshake; false when all are taken.
    func enter() -> Bool {
        state.withLockedValue { state in
            guard state.pending < limit else { return false }
            state.pending += 1
            return true
        }
    }

    /// Gives back the place taken by `enter`.
    func leave() {
        state.withLockedValue { $0.pending -= 1 }
    }

    /// Logs that the connection from `peer` was refused: a warning while this window has warned fewer
    /// than `warningsPerWindow` times, else a debug line and a count for the next warning.
    func refused(peer: SocketAddress?, reason: String, logger: Logger) {
        let now = NIODeadline.now()
        let (warn, unlogged, last): (Bool, Int, Bool) = state.withLockedValue { state in
            var unlogged = 0
            if now - state.windowStart >= window {
                unlogged = state.unlogged
                state.windowStart = now
                state.warned = 0
                state.unlogged = 0
            }
            guard state.warned < Self.warningsPerWindow else {
                state.unlogged += 1
                return (false, 0, false)
            }
            state.warned += 1
            return (true, unlogged, state.warned == Self.warningsPerWindow)
        }
        var metadata: Logger.Metadata = ["rpc/peer": "\(peer?.description ?? "?")", "rpc/error": "\(reason)"]
        guard warn else {
            logger.debug("refusing a connection that did not authenticate", metadata: metadata)
            return
        }
        if unlogged > 0 { metadata["rpc/unlogged-refusals"] = "\(unlogged)" }
        if last {
            metadata["rpc/note"] = "further refusals within \(window.nanoseconds / 1_000_000_000) s are counted, not logged"
        }
        logger.warning("refusing a connection that did not authenticate", metadata: metadata)
    }
}
