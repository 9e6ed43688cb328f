import NIOConcurrencyHelpers
import NIOCore

/// Monotonic nanoseconds, for latencies.
func monotonicNanoseconds() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

/// Everything the simulated endpoints observe, from any event loop.
final class LoadRecorder: Sendable {
    struct State: Sendable {
        var registrationsSent = 0
        var registered = 0
        var firstRegistrationSentAt: UInt64?
        var lastRegisteredAt: UInt64?
        var registrationLatencies: [UInt64] = []

        var heartbeatsSent = 0
        var heartbeatsDropped = 0
        var firstHeartbeatAt: UInt64?
        /// When the workers stopped heart-beating, for the achieved rate.
        var heartbeatsStoppedAt: UInt64?

        var probesSent = 0
        var probeRoundTrips: [UInt64] = []

        var appsRegistered = 0
        var appRegistrationLatencies: [UInt64] = []
        var firstExecutorAddedLatencies: [UInt64] = []
        var firstExecutorRunningLatencies: [UInt64] = []
        var executorsAdded = 0
        var executorsRunning = 0
        var appsUnregistered = 0

        var launchExecutor = 0
        var killExecutor = 0
        var applicationFinished = 0
        var stateReportsAcknowledged = 0

        /// Failures and unwelcome messages, by kind.
        var errors: [String: Int] = [:]
        /// Set when the run starts tearing down: asks still open then are not failures of the master.
        var closing = false
        var unansweredAtEnd = 0
    }

    private let state = NIOLockedValueBox(State())

    var snapshot: State { state.withLockedValue { $0 } }

    func update(_ body: (inout State) -> Void) { state.withLockedValue { body(&$0) } }

    func error(_ kind: String) { state.withLockedValue { $0.errors[kind, default: 0] += 1 } }

    /// An ask failed: an error, unless the run was already closing its connections.
    func askFailed(_ kind: String) {
        state.withLockedValue { state in
            if state.closing {
                state.unansweredAtEnd += 1
            } else {
                state.errors[kind, default: 0] += 1
            }
        }
    }

    func registrationSent(at now: UInt64) {
        state.withLockedValue { state in
            state.registrationsSent += 1
            if state.firstRegistrationSentAt == nil { state.firstRegistrationSentAt = now }
        }
    }

    func registered(latency: UInt64, at now: UInt64) {
        state.withLockedValue { state in
            state.registered += 1
            state.registrationLatencies.append(latency)
            state.lastRegisteredAt = now
        }
    }

    func heartbeat(sent: Bool, at now: UInt64) {
        state.withLockedValue { state in
            guard sent else {
                state.heartbeatsDropped += 1
                return
            }
            state.heartbeatsSent += 1
            if state.firstHeartbeatAt == nil { state.firstHeartbeatAt = now }
        }
    }

    func probeSent() { state.withLockedValue { $0.probesSent += 1 } }

    func probeAnswered(roundTrip: UInt64) { state.withLockedValue { $0.probeRoundTrips.append(roundTrip) } }
}
