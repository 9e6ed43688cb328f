/// The figures of one load run, printed as text or JSON.
struct LoadReport: Sendable, Encodable {
    /// Percentiles of a set of latencies, in milliseconds (nearest rank).
    struct Summary: Sendable, Encodable {
        var count: Int
        var p50: Double?
        var p99: Double?
        var max: Double?
        var mean: Double?

        init(nanoseconds samples: [UInt64]) {
            count = samples.count
            guard !samples.isEmpty else { return }
            let sorted = samples.sorted()
            func rank(_ q: Double) -> Double {
                let index = Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))
                return Double(sorted[index]) / 1e6
            }
            p50 = rank(0.50)
            p99 = rank(0.99)
            max = Double(sorted.last!) / 1e6
            mean = Double(sorted.reduce(0, +)) / Double(sorted.count) / 1e6
        }

        var text: String {
            guard let p50, let p99, let max else { return "n=0" }
            return "p50 \(format(p50)) ms, p99 \(format(p99)) ms, max \(format(max)) ms (n=\(count))"
        }
    }

    struct Registration: Sendable, Encodable {
        var sent: Int
        var registered: Int
        /// First `RegisterWorker` sent → last `RegisteredWorker` received.
        var wallMs: Double
        var perSecond: Double
        /// `RegisterWorker` sent → `RegisteredWorker` received.
        var latency: Summary
    }

    struct Heartbeats: Sendable, Encodable {
        var sent: Int
        var dropped: Int
        var perSecond: Double
    }

    struct Probe: Sendable, Encodable {
        var kind: String
        var sent: Int
        var answered: Int
        var roundTrip: Summary
    }

    struct Applications: Sendable, Encodable {
        var registered: Int
        var executorsAdded: Int
        var executorsRunning: Int
        var unregistered: Int
        /// `RegisterApplication` sent → `RegisteredApplication`.
        var registeredLatency: Summary
        /// `RegisterApplication` sent → first `ExecutorAdded`.
        var firstExecutorLatency: Summary
        /// `RegisterApplication` sent → first `ExecutorUpdated(RUNNING)`.
        var firstRunningLatency: Summary
    }

    struct WorkerTraffic: Sendable, Encodable {
        var launchExecutor: Int
        var killExecutor: Int
        var applicationFinished: Int
        var stateReportsAcknowledged: Int
    }

    struct Verdict: Sendable, Encodable {
        var allRegistered: Bool
        /// From `/json/` when `--web-ui` was given, else from the messages the workers received.
        var stayedRegistered: Bool
        /// From `/json/` heartbeat ages when `--web-ui` was given, else probe p99 within one interval.
        var heartbeatsOnTime: Bool
        var held: Bool
    }

    var master: String
    var workers: Int
    var apps: Int
    var connections: Int
    var addressing: String
    var heartbeatIntervalMs: Double
    var durationMs: Double
    var elapsedMs: Double
    var completed: Bool
    var registration: Registration
    var heartbeats: Heartbeats
    /// Probes and state reports still unanswered when the connections closed.
    var unansweredAtEnd: Int
    var probe: Probe
    var applications: Applications
    var workerTraffic: WorkerTraffic
    var errors: [String: Int]
    var masterStatus: MasterStatusCheck?
    var masterStatusError: String?
    var verdict: Verdict

    var text: String {
        var lines: [String] = []
        lines.append("spark-load against \(master): \(workers) workers, \(apps) apps, \(connections) connections (\(addressing)), "
            + "heartbeat every \(format(heartbeatIntervalMs)) ms, \(format(elapsedMs / 1000)) s\(completed ? "" : " (cut short)")")
        lines.append("registrations: \(registration.registered)/\(workers) in \(format(registration.wallMs)) ms, "
            + "\(format(registration.perSecond))/s; RegisterWorker → RegisteredWorker \(registration.latency.text)")
        lines.append("heartbeats: \(heartbeats.sent) sent (\(format(heartbeats.perSecond))/s), \(heartbeats.dropped) dropped")
        lines.append("probe (\(probe.kind)): \(probe.answered)/\(probe.sent) answered, round trip \(probe.roundTrip.text)"
            + (unansweredAtEnd > 0 ? "; \(unansweredAtEnd) asks still open at the end" : ""))
        if apps > 0 {
            lines.append("applications: \(applications.registered)/\(apps) registered, \(applications.executorsAdded) executors added, "
                + "\(applications.executorsRunning) running, \(applications.unregistered) unregistered")
            lines.append("  registered \(applications.registeredLatency.text)")
            lines.append("  first executor added \(applications.firstExecutorLatency.text)")
            lines.append("  first executor RUNNING \(applications.firstRunningLatency.text)")
            lines.append("workers saw: \(workerTraffic.launchExecutor) LaunchExecutor, \(workerTraffic.killExecutor) KillExecutor, "
                + "\(workerTraffic.applicationFinished) ApplicationFinished, \(workerTraffic.stateReportsAcknowledged) state reports acknowledged")
        }
        if let status = masterStatus {
            lines.append("master /json/ (\(status.status), \(format(status.fetchMs)) ms): \(status.alive) ALIVE, \(status.notAlive) not alive, "
                + "\(status.late) late; heartbeat age median \(format(status.medianHeartbeatAgeMs)) ms, max \(format(status.maxHeartbeatAgeMs)) ms")
        } else if let error = masterStatusError {
            lines.append("master /json/: \(error)")
        }
        if errors.isEmpty {
            lines.append("errors: none")
        } else {
            lines.append("errors: " + errors.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        lines.append("verdict: all registered \(verdict.allRegistered), stayed registered \(verdict.stayedRegistered), "
            + "heartbeats on time \(verdict.heartbeatsOnTime) → \(verdict.held ? "HELD" : "NOT HELD")")
        return lines.joined(separator: "\n")
    }
}

/// A figure with at most one decimal, or none from 100 on.
func format(_ value: Double) -> String {
    guard value.isFinite else { return "\(value)" }
    if abs(value) >= 100 { return String(Int(value.rounded())) }
    let tenths = (value * 10).rounded() / 10
    return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
}
