import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The bytes a server's connections hold in frames that have not fully arrived, bounded together.
///
/// A frame decoder keeps what it has of a frame until the rest arrives, so without a bound every
/// connection may hold up to the largest frame accepted (128 MiB) for as long as its peer likes,
/// and a few peers that never finish their frames exhaust the daemon's memory. Spark's port has
/// the same exposure and no bound. Here the sum over all connections is held to `limit`: when it
/// would go past it, the connection holding the most is closed. Real peers of the standalone
/// daemons send frames of a few kilobytes, so they are never that connection while anyone holds
/// more.
public final class IncompleteFrameBudget: Sendable {
    /// The most all connections together may hold in incomplete frames.
    public let limit: Int
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var total = 0
        var holders: [ObjectIdentifier: (held: Int, channel: any Channel)] = [:]
        var lastWarning: NIODeadline?
        var unloggedEvictions = 0
    }

    public init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// One frame of `maxFrameSize` and 16 MiB besides, so the largest frame a server accepts is
    /// not cut because other connections hold the starts of small ones.
    public static func limit(maxFrameSize: Int) -> Int { maxFrameSize + headroom }

    public static let headroom = 16 << 20

    /// At most one warning a minute about closed connections; those closed between are counted in it.
    static let warningInterval = TimeAmount.minutes(1)

    /// Bytes held in incomplete frames now, over all connections.
    public var held: Int { state.withLockedValue { $0.total } }

    /// Connections with an account.
    public var accounts: Int { state.withLockedValue { $0.holders.count } }

    /// Opens the account of `channel`'s decoder; it is closed with the channel.
    public func account(for channel: any Channel) -> Account {
        let account = Account(budget: self, channel: channel)
        state.withLockedValue { $0.holders[account.id] = (0, channel) }
        channel.closeFuture.whenComplete { _ in account.close() }
        return account
    }

    /// One connection's share, updated by its frame decoder on the channel's event loop.
    public final class Account: @unchecked Sendable {
        let budget: IncompleteFrameBudget
        let id: ObjectIdentifier
        // The last amount reported, kept so an unchanged figure (no frame in progress, the usual
        // case between messages) costs no lock. Touched on the channel's event loop only.
        private var reported = 0
        private var closed = false

        init(budget: IncompleteFrameBudget, channel: any Channel) {
            self.budget = budget
            id = ObjectIdentifier(channel)
        }

        /// Records that the connection now holds `bytes` of incomplete frames. Throws when that
        /// takes the budget past its limit and this connection holds the most; closes the one
        /// that does otherwise.
        public func hold(_ bytes: Int) throws {
            guard bytes != reported, !closed else { return }
            reported = bytes
            let outcome = budget.update(id, to: bytes)
            switch outcome {
            case .within:
                return
            case .evictSelf(let channel, let total):
                closed = true
                budget.evicted(channel, held: bytes, total: total)
                throw TransportError(
                    .budgetExceeded,
                    "the connection held \(bytes) bytes of incomplete frames, the most of any, when all connections " +
                        "together held \(total), over the \(budget.limit)-byte limit")
            case .evict(let channel, let held, let total):
                budget.evicted(channel, held: held, total: total)
                channel.close(promise: nil)
            }
        }

        fileprivate func close() {
            closed = true
            budget.remove(id)
        }
    }

    private enum Outcome {
        case within
        case evictSelf(any Channel, total: Int)
        case evict(any Channel, held: Int, total: Int)
    }

    private func evicted(_ channel: any Channel, held: Int, total: Int) {
        let now = NIODeadline.now()
        let unlogged = state.withLockedValue { state -> Int? in
            if let last = state.lastWarning, now - last < Self.warningInterval {
                state.unloggedEvictions += 1
                return nil
            }
            defer { state.unloggedEvictions = 0 }
            state.lastWarning = now
            return state.unloggedEvictions
        }
        guard let unlogged else { return }
        let since = unlogged == 0 ? "" : " (and \(unlogged) more since the last such line)"
        logger.warning(
            "Closing a connection holding \(held) bytes of incomplete frames, the most of any: all connections together held \(total), over the \(limit)-byte limit\(since)",
            metadata: ["transport/peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")"])
    }

    private func update(_ id: ObjectIdentifier, to bytes: Int) -> Outcome {
        state.withLockedValue { state in
            guard let entry = state.holders[id] else { return .within }
            state.total += bytes - entry.held
            state.holders[id]!.held = bytes
            guard state.total > limit else { return .within }
            let total = state.total
            // The largest holder; on a tie, the connection whose frame just grew.
            var victim = id
            var most = bytes
            for (other, holder) in state.holders where holder.held > most {
                victim = other
                most = holder.held
            }
            let channel = state.holders[victim]!.channel
            // Its bytes leave the account now: the close that frees them is on its way.
            state.total -= most
            state.holders.removeValue(forKey: victim)
            return victim == id ? .evictSelf(channel, total: total) : .evict(channel, held: most, total: total)
        }
    }

    private func remove(_ id: ObjectIdentifier) {
        state.withLockedValue { state in
            if let entry = state.holders.removeValue(forKey: id) { state.total -= entry.held }
        }
    }
}
