import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkRPC

/// One run of the load generator against a master:
///
/// ```
/// start shards ─▶ register workers (at --register-rate) ─▶ register apps ─▶ heartbeats + probes ─▶ /json/ ─▶ unregister, close
///      │                                                                                              │
///      └──────────────────────────────── --duration ────────────────────────────────────────────────┘ (+ --grace at most)
/// ```
final class LoadRun: Sendable {
    let settings: LoadSettings
    let logger: Logger
    let recorder = LoadRecorder()
    private let started = ContinuousClock.now
    private let progress = NIOLockedValueBox(Progress())

    private struct Progress {
        var shards: [LoadShard] = []
        var workers: [SimulatedWorker] = []
        var drivers: [SimulatedDriver] = []
        var masterStatus: MasterStatusCheck?
        var masterStatusError: String?
    }

    init(settings: LoadSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Runs every phase; returns when the run and its teardown are over.
    func execute() async throws -> LoadReport {
        do {
            return try await phases()
        } catch {
            for shard in progress.withLockedValue({ $0.shards }) { await shard.shutdown() }
            throw error
        }
    }

    private func phases() async throws -> LoadReport {
        let deadline = started + settings.duration.duration
        let shards = try await startShards()
        let workers = makeWorkers(shards)
        let drivers = makeDrivers(shards)

        try await registerWorkers(workers, until: deadline)
        await waitUntil(deadline) { [recorder] in recorder.snapshot.registered + Self.refused(recorder) >= workers.count }
        let probes = startProbes(shards)
        for driver in drivers { driver.register() }
        await waitUntil(deadline) { drivers.allSatisfy { $0.appId != nil && ($0.hasRunningExecutor || workers.isEmpty) } }
        try? await Task.sleep(until: deadline)

        if let webUI = settings.webUI {
            let ids = Set(workers.map(\.id))
            do {
                let status = try await MasterStatusCheck.fetch(
                    webUI: webUI, ids: ids, heartbeatInterval: settings.heartbeatInterval, tolerance: settings.lateTolerance,
                    timeout: TimeSpan(nanoseconds: max(1_000_000_000, settings.grace.nanoseconds / 2)))
                progress.withLockedValue { $0.masterStatus = status }
            } catch {
                progress.withLockedValue { $0.masterStatusError = "\(error)" }
            }
        }

        probes.cancel()
        for worker in workers { worker.stop() }
        recorder.update { $0.heartbeatsStoppedAt = monotonicNanoseconds() }
        for driver in drivers { driver.unregister() }
        if !drivers.isEmpty {
            // Let KillExecutor and ApplicationFinished arrive and the kills be reported.
            try? await Task.sleep(for: .nanoseconds(min(2_000_000_000, settings.grace.nanoseconds / 4)))
        }
        recorder.update { $0.closing = true }
        for shard in shards { await shard.shutdown() }
        return report(completed: true)
    }

    private static func refused(_ recorder: LoadRecorder) -> Int {
        let errors = recorder.snapshot.errors
        return (errors["RegisterWorkerFailed"] ?? 0) + (errors["MasterInStandby"] ?? 0)
    }

    // MARK: - Phases

    private func startShards() async throws -> [LoadShard] {
        let endpoints = settings.workers + settings.apps
        let count = settings.usesLoopbackAliases ? max(1, min(settings.connections, endpoints)) : max(1, endpoints)
        var shards: [LoadShard] = []
        for index in 0..<count {
            let shard = try await LoadShard.start(index: index, settings: settings, logger: logger)
            shards.append(shard)
            progress.withLockedValue { $0.shards.append(shard) }
        }
        return shards
    }

    /// The shard hosting endpoint `index` (workers first, then drivers) and the address it announces.
    private func placement(_ index: Int, block: Int, blockIndex: Int, shards: [LoadShard]) -> (LoadShard, RpcAddress) {
        let shard = shards[index % shards.count]
        let host = settings.usesLoopbackAliases ? LoadAddressing.loopbackAlias(blockIndex, block: block) : settings.host
        return (shard, RpcAddress(host: host, port: shard.port))
    }

    private func makeWorkers(_ shards: [LoadShard]) -> [SimulatedWorker] {
        let stamp = Self.idTimestamp()
        let workers = (0..<settings.workers).map { index -> SimulatedWorker in
            let (shard, address) = placement(index, block: LoadAddressing.workerBlock, blockIndex: index, shards: shards)
            let name = "Worker-\(index)"
            let worker = SimulatedWorker(
                id: "worker-\(stamp)-\(address.host)-\(address.port)",
                ref: RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: address, name: name)),
                shard: shard, settings: settings, recorder: recorder)
            shard.env.register(name, worker)
            return worker
        }
        progress.withLockedValue { $0.workers = workers }
        return workers
    }

    private func makeDrivers(_ shards: [LoadShard]) -> [SimulatedDriver] {
        let drivers = (0..<settings.apps).map { index -> SimulatedDriver in
            let (shard, address) = placement(
                settings.workers + index, block: LoadAddressing.driverBlock, blockIndex: index, shards: shards)
            let name = "AppClient-\(index)"
            let driver = SimulatedDriver(
                ref: RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: address, name: name)), shard: shard,
                description: SparkShellApplication.description(
                    driver: address, maxCores: settings.appMaxCores, executorMemory: settings.executorMemory),
                recorder: recorder)
            shard.env.register(name, driver)
            return driver
        }
        progress.withLockedValue { $0.drivers = drivers }
        return drivers
    }

    /// Starts registrations at `--register-rate` per second (all at once for 0).
    private func registerWorkers(_ workers: [SimulatedWorker], until deadline: ContinuousClock.Instant) async throws {
        let start = ContinuousClock.now
        for (index, worker) in workers.enumerated() {
            if settings.registerRate > 0 {
                let due = start + .seconds(Double(index) / settings.registerRate)
                if due > deadline { break }
                if due - ContinuousClock.now > .milliseconds(2) { try await Task.sleep(until: due) }
            }
            worker.register()
        }
    }

    private func waitUntil(_ deadline: ContinuousClock.Instant, _ done: () -> Bool) async {
        while !done() && ContinuousClock.now < deadline && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Asks one probe every `--probe-interval`, over each shard's connection in turn.
    private func startProbes(_ shards: [LoadShard]) -> RepeatedTask {
        let counter = NIOLockedValueBox(0)
        let settings = settings
        let recorder = recorder
        let timeout = TimeAmount.seconds(30)
        return shards[0].connection.channel.eventLoop.scheduleRepeatedTask(
            initialDelay: .zero, delay: settings.probeInterval.timeAmount
        ) { _ in
            let shard = shards[counter.withLockedValue { value in
                defer { value += 1 }
                return value % shards.count
            }]
            let (message, target): (SparkMessage, RpcEndpointRef) = switch settings.probe {
            case .driverStatus: (.requestDriverStatus(RequestDriverStatus(driverId: "driver-spark-load-probe")), shard.master)
            case .executorState: (.executorStateChanged(ExecutorStateChanged(appId: "app-spark-load-probe", execId: 0, state: .running)), shard.master)
            case .checkExistence: (.checkExistence(CheckExistence(name: "Master")), shard.verifier)
            }
            guard shard.connection.isActive else {
                recorder.error("probe: connection closed")
                return
            }
            let sentAt = monotonicNanoseconds()
            recorder.probeSent()
            shard.ask(message, to: target, timeout: timeout).whenComplete { result in
                let roundTrip = monotonicNanoseconds() &- sentAt
                switch result {
                case .success(.driverStatusResponse), .success(.boolean(true)):
                    recorder.probeAnswered(roundTrip: roundTrip)
                case .success(let other):
                    recorder.error("probe answered \(other.name)")
                case .failure(let error):
                    recorder.askFailed("probe: \((error as? RpcError)?.code.description ?? "\(error)")")
                }
            }
        }
    }

    // MARK: - Report

    /// The figures so far; `completed` is false when the run was cut short by its time bound.
    func report(completed: Bool) -> LoadReport {
        let state = recorder.snapshot
        let progress = progress.withLockedValue { $0 }
        let elapsed = ContinuousClock.now - started
        let elapsedMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15

        var wallMs = 0.0
        if let first = state.firstRegistrationSentAt, let last = state.lastRegisteredAt, last > first {
            wallMs = Double(last - first) / 1e6
        }
        var heartbeatRate = 0.0
        if let first = state.firstHeartbeatAt {
            let last = state.heartbeatsStoppedAt ?? monotonicNanoseconds()
            if last > first { heartbeatRate = Double(state.heartbeatsSent) / (Double(last - first) / 1e9) }
        }
        let probe = LoadReport.Probe(
            kind: settings.probe.rawValue, sent: state.probesSent, answered: state.probeRoundTrips.count,
            roundTrip: .init(nanoseconds: state.probeRoundTrips))

        let allRegistered = state.registered == settings.workers
        let lost = ["ReconnectWorker", "RegisterWorkerFailed", "MasterInStandby", "WorkerRemoved", "MasterChanged"]
            .reduce(0) { $0 + (state.errors[$1] ?? 0) }
        var stayed = allRegistered && lost == 0
        var onTime = state.heartbeatsDropped == 0
        if let status = progress.masterStatus {
            stayed = stayed && status.notAlive == 0
            onTime = onTime && status.late == 0
        } else {
            onTime = onTime && (probe.roundTrip.p99.map { $0 <= settings.heartbeatInterval.milliseconds } ?? false)
            if settings.webUI != nil { stayed = false }
        }

        return LoadReport(
            master: settings.master.sparkURL, workers: settings.workers, apps: settings.apps,
            connections: progress.shards.count, addressing: settings.usesLoopbackAliases ? "loopback aliases" : "port per endpoint",
            heartbeatIntervalMs: settings.heartbeatInterval.milliseconds, durationMs: settings.duration.milliseconds,
            elapsedMs: elapsedMs, completed: completed,
            registration: .init(
                sent: state.registrationsSent, registered: state.registered, wallMs: wallMs,
                perSecond: wallMs > 0 ? Double(state.registered) / (wallMs / 1000) : 0,
                latency: .init(nanoseconds: state.registrationLatencies)),
            heartbeats: .init(sent: state.heartbeatsSent, dropped: state.heartbeatsDropped, perSecond: heartbeatRate),
            unansweredAtEnd: state.unansweredAtEnd,
            probe: probe,
            applications: .init(
                registered: state.appsRegistered, executorsAdded: state.executorsAdded, executorsRunning: state.executorsRunning,
                unregistered: state.appsUnregistered, registeredLatency: .init(nanoseconds: state.appRegistrationLatencies),
                firstExecutorLatency: .init(nanoseconds: state.firstExecutorAddedLatencies),
                firstRunningLatency: .init(nanoseconds: state.firstExecutorRunningLatencies)),
            workerTraffic: .init(
                launchExecutor: state.launchExecutor, killExecutor: state.killExecutor,
                applicationFinished: state.applicationFinished, stateReportsAcknowledged: state.stateReportsAcknowledged),
            errors: state.errors, masterStatus: progress.masterStatus, masterStatusError: progress.masterStatusError,
            verdict: .init(allRegistered: allRegistered, stayedRegistered: stayed, heartbeatsOnTime: onTime,
                           held: allRegistered && stayed && onTime))
    }

    /// Spark's worker id timestamp, `yyyyMMddHHmmss` in local time.
    private static func idTimestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMddHHmmss"
        return formatter.string(from: Date())
    }
}
