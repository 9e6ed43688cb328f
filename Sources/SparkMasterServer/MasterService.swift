#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import SparkConfig
import SparkDaemon
import SparkMaster
import SparkModel
import SparkProtocol
import SparkRPC
import SparkWebUI
import ZooKeeper
import ZooKeeperClient

/// The `spark-master` daemon: an RPC environment with the `Master` endpoint, the master state
/// machine fed one input at a time, its timers, and the web UI.
public final class MasterService: Service, Sendable {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var webUiPort: Int
        public var conf: SparkConf
        /// Host in the web UI URL (`SPARK_PUBLIC_DNS`), defaults to `host`.
        public var publicHost: String?
        /// The address the web UI listens at, `host` when nil. The daemon's own settings follow
        /// Spark's `WebUI.bind`: `SPARK_LOCAL_IP`, else every address.
        public var webUiBindHost: String?
        /// Spark's metrics configuration (`spark.metrics.conf.*`, `metrics.properties`).
        public var metrics: MetricsConfig
        /// The Spark line spoken on the wire and in recovery records.
        public var version: SparkVersion = .spark4_3
        /// The release shown (`Running Spark version`, status pages).
        public var release: String = SparkVersion.spark4_3.version
        /// Said at start when the line is a guess.
        public var versionWarning: String?
        /// The daemon's environment (`{{NAME}}` placeholders in REST submissions).
        public var environment: [String: String] = [:]
        /// Seed for the randomness Spark uses (driver placement).
        public var seed: UInt64 = UInt64.random(in: 0...UInt64.max)
        /// Calls waiting for the master's loop before its RPC connections stop reading
        /// (`InboundBacklog`): a registration wave of thousands of workers, or every worker's
        /// heartbeat at once, fits.
        public var maxQueuedCalls = 16_384
        /// Frames waiting for the master's loop (a heartbeat is about 1 KiB) before its RPC
        /// connections stop reading.
        public var maxQueuedBytes = 64 << 20

        public init(host: String, port: Int, webUiPort: Int, conf: SparkConf = SparkConf(), publicHost: String? = nil) {
            self.host = host
            self.port = port
            self.webUiPort = webUiPort
            self.conf = conf
            self.publicHost = publicHost
            metrics = MetricsConfig(conf: conf)
        }

        /// The settings of the command line and environment; the Spark line from
        /// `spark.space.sparkVersion`, else from the distribution at `SPARK_HOME`.
        public init(arguments: MasterArguments, environment: [String: String]) throws(SparkConfError) {
            self.init(host: arguments.host, port: arguments.port, webUiPort: arguments.webUiPort, conf: arguments.conf,
                      publicHost: environment["SPARK_PUBLIC_DNS"].flatMap { $0.isEmpty ? nil : $0 })
            self.environment = environment
            webUiBindHost = environment["SPARK_LOCAL_IP"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
            metrics = MetricsConfig.load(conf: conf, environment: environment, read: PropertiesFile.readIfPresent)
            var jarNames: [String] = []
            if let home = environment["SPARK_HOME"], !home.isEmpty {
                jarNames = Daemon.directoryEntries(home + "/jars") ?? []
            }
            let setting = conf["spark.space.sparkVersion"]
            do {
                let choice = try SparkVersion.choose(setting: setting, jarNames: jarNames)
                (version, release, versionWarning) = (choice.version, choice.release, choice.warning)
            } catch {
                throw SparkConfError(key: "spark.space.sparkVersion", value: error.name, expected: SparkVersion.UnknownLine.expected)
            }
            // The servers' settings are refused before anything starts.
            _ = try RestSubmissionServer.Settings(conf: conf, line: version)
            _ = try conf.int("spark.port.maxRetries", default: 16)
            _ = try conf.authentication(environment: environment)
            _ = try WebUISecurity(conf: conf)
        }
    }

    /// Where the master can be reached once it runs.
    public struct Endpoints: Sendable, Equatable {
        public var rpc: RpcAddress
        public var webUiPort: Int
        public var webUiUrl: String
        public var masterUrl: String { rpc.sparkURL }
    }

    enum LoopEvent: Sendable {
        case endpoint(MasterEndpoint.Event)
        case timer(MasterTimer)
        case input(MasterInput)
        case leadership(LeaderLatchEvent)
        /// A status page asks for the state as of every event queued before it.
        case snapshot(CheckedContinuation<MasterStateMachine?, Never>)
        /// The REST submission server asks the master as a peer would (`RequestSubmitDriver`, …).
        case ask(SparkMessage, CheckedContinuation<SparkMessage, Never>)
    }

    /// An ask waiting for the master's reply: from a peer over RPC, or from inside the process.
    enum PendingCall {
        case remote(RpcCall)
        case local(CheckedContinuation<SparkMessage, Never>)

        func reply(_ message: SparkMessage) {
            switch self {
            case .remote(let call): call.reply(message)
            case .local(let continuation): continuation.resume(returning: message)
            }
        }
    }

    /// Whether the event loop takes snapshot requests.
    private enum LoopPhase {
        case starting
        case running
        /// The state the loop ended with.
        case ended(MasterStateMachine?)
    }

    /// How this master learns it leads, and where it keeps its recovery state.
    struct Recovery: Sendable {
        var engine: any PersistenceEngine
        /// ZooKeeper leader election; `nil` means leading from the start.
        var latch: ZooKeeperLeaderLatch?
        var client: ZooKeeperClient?
        /// What the recovery store's writes are fenced on (with `latch`).
        var fence: ElectionFence?
    }

    let settings: Settings
    let logger: Logger
    private let phase = NIOLockedValueBox<LoopPhase>(.starting)
    /// How the start ended (once it has), and who waits to know.
    private let readiness = NIOLockedValueBox<(Result<Endpoints, any Error>?, [CheckedContinuation<Endpoints, any Error>])>((nil, []))
    private let exitStatus = NIOLockedValueBox<Int32>(0)
    /// The REST server's request limit, once it runs (tests watch it).
    let restRequests = NIOLockedValueBox<RequestLimit?>(nil)
    /// The bound on calls queued for the loop, once the RPC port is open.
    private let backlog = NIOLockedValueBox<InboundBacklog?>(nil)

    /// How many times the RPC connections stopped reading because the loop's queue was full.
    public var rpcReadPauses: Int { backlog.withLockedValue { $0?.pauses } ?? 0 }
    private let events: AsyncStream<LoopEvent>
    private let eventSink: AsyncStream<LoopEvent>.Continuation

    public init(settings: Settings, logger: Logger = Logger(label: "spark.master")) {
        self.settings = settings
        self.logger = logger
        (events, eventSink) = AsyncStream.makeStream(of: LoopEvent.self)
    }

    /// The exit status the process should end with (non-zero after a fatal condition).
    public var exitCode: Int32 { exitStatus.withLockedValue { $0 } }

    /// A copy of the master's state for status pages, taken by the event loop between two events,
    /// so it reflects every event queued before the request; nil while the master starts.
    ///
    /// The loop hands out a copy only when asked: a copy kept across events would make the next
    /// change to a worker or application copy whole collections (copy-on-write), once per event.
    public func snapshot() async -> MasterStateMachine? {
        await withCheckedContinuation { continuation in
            let answer: MasterStateMachine?? = phase.withLockedValue { phase in
                switch phase {
                case .starting:
                    return .some(nil)
                case .ended(let last):
                    return .some(last)
                case .running:
                    if case .terminated = eventSink.yield(.snapshot(continuation)) { return .some(nil) }
                    return .none
                }
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    /// Waits until the RPC port and the web UI are bound; throws why when the master could not start.
    public func endpoints() async throws -> Endpoints {
        try await withCheckedThrowingContinuation { continuation in
            let ready = readiness.withLockedValue { readiness -> Result<Endpoints, any Error>? in
                if let result = readiness.0 { return result }
                readiness.1.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    /// Asks the master as a peer would and returns its reply. An ask made while the master starts
    /// waits for its event loop, which answers it in whatever state it then is (a standby refuses
    /// submissions as Spark's does); after the master stopped, or when it could not start, the
    /// reply is an `RpcFailure`.
    public func ask(_ message: SparkMessage) async -> SparkMessage {
        await withCheckedContinuation { continuation in
            let queued = phase.withLockedValue { phase -> Bool in
                if case .ended = phase { return false }
                if case .terminated = eventSink.yield(.ask(message, continuation)) { return false }
                return true
            }
            if !queued { continuation.resume(returning: Self.notRunning) }
        }
    }

    static let notRunning = SparkMessage.rpcFailure(JavaExceptionInfo(
        className: "org.apache.spark.SparkException", message: "The master is not running"))
    static let stopped = SparkMessage.rpcFailure(JavaExceptionInfo(
        className: "org.apache.spark.SparkException", message: "The master stopped"))

    /// Forgets the completed drivers and applications (the REST server's `clear`); false when the
    /// master has stopped.
    @discardableResult
    public func clearCompletedDriversAndApps() -> Bool {
        phase.withLockedValue { phase in
            if case .ended = phase { return false }
            if case .terminated = eventSink.yield(.input(.clearCompletedDriversAndApps)) { return false }
            return true
        }
    }

    /// Asks the master to kill an application, as the web UI's kill button does.
    public func killApplication(id: String) { eventSink.yield(.input(.killApplication(id: id))) }

    /// Asks the master to kill a cluster-mode driver, as the web UI's kill button does.
    public func killDriver(id: String) { eventSink.yield(.input(.killDriver(id: id))) }

    /// Decommissions the workers registered from `hosts` (Spark: `DecommissionWorkersOnHosts`):
    /// how many there are; none while this master does not lead.
    public func decommissionWorkers(onHosts hosts: [String]) async -> Int {
        guard let master = await snapshot(), master.state != .standby else { return 0 }
        let ids = master.workerIds(onHosts: hosts)
        if !ids.isEmpty {
            logger.info("Decommissioning the workers \(ids.joined(separator: ", ")) on \(hosts.joined(separator: ", "))")
            eventSink.yield(.input(.decommissionWorkers(ids: ids)))
        }
        return ids.count
    }

    public func run() async throws {
        do {
            try await serve()
        } catch {
            failReady(error)
            await answerQueuedEvents()
            throw error
        }
    }

    /// When the master could not start its event loop, or the loop ended before it ran: the asks
    /// queued meanwhile get their failure now, and later ones at once. Does nothing once the
    /// loop runs (it answers them itself when it ends).
    private func answerQueuedEvents() async {
        let starting = phase.withLockedValue { phase -> Bool in
            guard case .starting = phase else { return false }
            phase = .ended(nil)
            return true
        }
        guard starting else { return }
        eventSink.finish()
        for await event in events { Self.answerAfterEnd(event, master: nil) }
    }

    /// An event that arrived after the event loop ended, or that it never took.
    private static func answerAfterEnd(_ event: LoopEvent, master: MasterStateMachine?) {
        switch event {
        case .snapshot(let continuation): continuation.resume(returning: master)
        case .ask(_, let continuation): continuation.resume(returning: notRunning)
        default: break
        }
    }

    private func serve() async throws {
        var configuration = MasterConfiguration(
            masterAddress: RpcAddress(host: settings.host, port: Int32(settings.port)), masterWebUiUrl: "")
        try configuration.apply(settings.conf)
        configuration.sparkVersion = settings.release
        if let warning = settings.versionWarning { logger.warning("\(warning)") }
        configuration.timeZoneOffsetSeconds = LocalTimeZone.current().offsetSeconds

        let rest = try RestSubmissionServer.Settings(conf: settings.conf, line: settings.version)
        let portRetries = try settings.conf.int("spark.port.maxRetries", default: 16)
        let authentication = try settings.conf.authentication(environment: settings.environment).map(RpcAuthentication.init)
        let uiSecurity = try WebUISecurity(conf: settings.conf)
        if let note = uiSecurity.filterNote { logger.info("\(note)") }
        // Spark's master does not start with a sink it cannot make.
        let masterSinks = settings.metrics.sinks(instance: "master")
        let applicationSinks = settings.metrics.sinks(instance: "applications")
        if let error = (masterSinks.errors + applicationSinks.errors).first { throw error }
        if let authentication {
            if let crypto = authentication.crypto {
                logger.info(
                    "RPC connections authenticate with the shared secret (spark.authenticate=true) and are encrypted (spark.network.crypto.enabled=true, \(crypto.cipher == .gcm ? "AES/GCM" : "AES/CTR"), authEngineVersion \(crypto.authEngineVersion)\(crypto.saslFallback ? "; SASL clients accepted, not encrypted" : ""))")
            } else {
                logger.info("RPC connections authenticate with the shared secret (spark.authenticate=true)")
            }
            if !rest.enabled, settings.version.scalaVersion == "2.13" {
                logger.info("The REST submission server is off: it cannot authenticate its clients (spark.authenticate=true)")
            }
        }
        let env = try await Daemon.startServiceOnPort(settings.port, retries: portRetries, serviceName: "sparkMaster", logger: logger) {
            let env = try await RpcEnv.start(
                configuration: .init(bindHost: settings.host, port: $0, version: settings.version, authentication: authentication), logger: logger)
            return (env, Int(env.address.port))
        }
        let endpoint = MasterEndpoint(backlog: env.backlog(maxCalls: settings.maxQueuedCalls, maxBytes: settings.maxQueuedBytes))
        backlog.withLockedValue { $0 = endpoint.backlog }
        env.register("Master", endpoint)
        configuration.masterAddress = env.address
        configuration.masterRef = env.ref("Master")
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    for await event in endpoint.events { self.eventSink.yield(.endpoint(event)) }
                }
                // The servers stop gracefully, not by cancellation (which Hummingbird logs as an error);
                // if the start fails past the first one, asks made through it are answered first.
                var restServer: WebUIServer?
                var webServer: WebUIServer?
                var webOptions: MasterWebOptions?
                var recovery: Recovery?
                do {
                    if rest.enabled {
                        let context = RestSubmission.Context(
                            serverVersion: settings.release, line: settings.version, masterURL: env.address.sparkURL, restPort: rest.port,
                            allowedAppResourcePatterns: rest.allowedAppResourcePatterns, environment: settings.environment)
                        let responder = RestSubmissionServer(
                            service: self, context: context, maxRequestBodyBytes: rest.maxRequestBodyBytes, maxThreads: rest.maxThreads,
                            jwsFilter: rest.jwsFilter)
                        restRequests.withLockedValue { $0 = responder.limit }
                        restServer = try await RestSubmissionServer.start(
                            responder, host: rest.host ?? settings.host, port: rest.port, retries: portRetries, logger: logger, group: &group)
                    }
                    var uiLogger = Logger(label: "MasterWebUI")
                    uiLogger.logLevel = .warning
                    webOptions = MasterWebUI.options(settings: settings, restPort: restServer?.port, logger: logger)
                    webServer = try await WebUIServer.start(
                        serviceName: "MasterUI",
                        responder: SecuredResponder(
                            MasterWebUI.router(service: self, options: webOptions!).buildResponder(), security: uiSecurity,
                            now: { Int64(Date().timeIntervalSince1970 * 1000) }),
                        idleTimeout: WebUIServer.idleTimeout, maximumHeaderBytes: uiSecurity.headers.maximumRequestHeaderBytes,
                        host: settings.webUiBindHost ?? settings.host, port: settings.webUiPort, retries: portRetries,
                        logger: logger, serverLogger: uiLogger
                    ) { task in group.addTask { await task() } }
                    // Last: a ZooKeeper client, once made, is started below.
                    recovery = try makeRecovery()
                } catch {
                    await answerQueuedEvents()
                    await restServer?.stop()
                    await webServer?.stop()
                    throw error
                }
                guard let webServer, let webOptions, let recovery else { preconditionFailure("the master started without its web UI") }
                let webPort = webServer.port
                let publicHost = settings.publicHost ?? settings.host
                let boundURL = "http://\(publicHost):\(webPort)"
                configuration.masterWebUiUrl = MasterWebUI.advertisedURL(options: webOptions, bound: boundURL)
                let endpoints = Endpoints(rpc: env.address, webUiPort: webPort, webUiUrl: boundURL)
                publishReady(endpoints)
                logger.info("Bound MasterWebUI to \(settings.webUiBindHost ?? settings.host), and started at \(boundURL)")
                if webOptions.reverseProxy {
                    logger.info("Spark Master is acting as a reverse proxy. Master, Workers and Applications UIs are available at \(configuration.masterWebUiUrl)")
                }
                let engine = recovery.engine
                if let client = recovery.client, let latch = recovery.latch {
                    client.start()
                    group.addTask { await latch.run() }
                    group.addTask {
                        for await event in latch.events { self.eventSink.yield(.leadership(event)) }
                    }
                }
                let reporters = [
                    MetricsReporters(sinks: masterSinks.push, gauges: { [self] in await snapshot().map(MetricsDocument.master) ?? [] }, logger: logger),
                    MetricsReporters(sinks: applicationSinks.push, gauges: { [self] in
                        await snapshot().map { MetricsDocument.applications($0, now: Self.now()) } ?? []
                    }, logger: logger),
                ]
                await withGracefulShutdownHandler {
                    await runLoop(
                        configuration: configuration, env: env, backlog: endpoint.backlog, engine: engine, fence: recovery.fence,
                        leadsAtStart: recovery.latch == nil)
                } onGracefulShutdown: {
                    self.eventSink.finish()
                }
                // Spark's master reports its metrics once more as it stops (the loop's last state).
                for reporter in reporters { await reporter.stop() }
                // Closing the session removes our election node at once: a standby takes over now.
                await recovery.client?.close()
                await engine.close()
                endpoint.finish()
                await env.shutdown()
                await restServer?.stop()
                await webServer.stop()
                group.cancelAll()
            }
        } catch {
            await env.shutdown()
            throw error
        }
    }

    /// Persistence and leader election of `spark.deploy.recoveryMode`.
    private func makeRecovery() throws -> Recovery {
        let mode = (settings.conf["spark.deploy.recoveryMode"] ?? "NONE").uppercased()
        switch mode {
        case "NONE":
            return Recovery(engine: BlackHolePersistenceEngine())
        case "ZOOKEEPER":
            guard let url = settings.conf["spark.deploy.zookeeper.url"], !url.isEmpty else {
                throw SparkConfError(key: "spark.deploy.zookeeper.url", value: "", expected: "host:port[,host:port][/chroot] for ZOOKEEPER recovery")
            }
            let directory = settings.conf["spark.deploy.zookeeper.dir"] ?? "/spark"
            // Our own key: short sessions make failover fast (Spark's Curator uses 60 s).
            let timeout = try settings.conf.seconds("spark.deploy.zookeeper.sessionTimeout", default: 4)
            let configuration: ZooKeeperClientConfiguration
            do {
                configuration = try ZooKeeperClientConfiguration(connectString: url, sessionTimeout: .milliseconds(Int64(timeout * 1000)))
            } catch {
                throw SparkConfError(key: "spark.deploy.zookeeper.url", value: url, expected: "host:port[,host:port][/chroot] (\(error))")
            }
            logger.info("Persisting recovery state to ZooKeeper", metadata: ["master/zookeeper": "\(url)", "master/dir": "\(directory)"])
            let client = ZooKeeperClient(configuration: configuration, logger: logger)
            let latch = ZooKeeperLeaderLatch(client: client, path: directory + "/leader_election", logger: logger)
            let fence = ElectionFence(latch: latch)
            let engine = RecordPersistenceEngine(
                store: ZooKeeperRecordStore(client: client, root: directory) { fence.node }, version: settings.version, logger: logger)
            return Recovery(engine: engine, latch: latch, client: client, fence: fence)
        case "FILESYSTEM":
            guard let directory = settings.conf["spark.deploy.recoveryDirectory"], !directory.isEmpty else {
                throw SparkConfError(key: "spark.deploy.recoveryDirectory", value: "", expected: "a directory for FILESYSTEM recovery")
            }
            logger.info("Persisting recovery state to directory \(directory)")
            // Spark compresses its serialized objects; these records are small JSON documents of our
            // own format (protocol/recovery-format.md), written as they are.
            if let codec = settings.conf["spark.deploy.recoveryCompressionCodec"], !codec.isEmpty, codec.lowercased() != "none" {
                logger.warning(
                    "spark.deploy.recoveryCompressionCodec=\(codec) is not applied: the recovery records are uncompressed JSON (protocol/recovery-format.md), not Spark's files")
            }
            return Recovery(engine: RecordPersistenceEngine(
                store: try FileSystemRecordStore(directory: URL(fileURLWithPath: directory)), version: settings.version, logger: logger))
        default:
            throw SparkConfError(key: "spark.deploy.recoveryMode", value: mode, expected: "NONE, FILESYSTEM or ZOOKEEPER")
        }
    }

    private func publishReady(_ endpoints: Endpoints) {
        let waiting = readiness.withLockedValue { readiness -> [CheckedContinuation<Endpoints, any Error>] in
            readiness.0 = .success(endpoints)
            defer { readiness.1 = [] }
            return readiness.1
        }
        for continuation in waiting { continuation.resume(returning: endpoints) }
    }

    private func failReady(_ error: any Error) {
        let waiting = readiness.withLockedValue { readiness -> [CheckedContinuation<Endpoints, any Error>] in
            if readiness.0 == nil { readiness.0 = .failure(error) }
            defer { readiness.1 = [] }
            return readiness.1
        }
        for continuation in waiting { continuation.resume(throwing: error) }
    }

    // MARK: - The event loop

    /// `fence`: with leader election, taken when the loop takes leadership.
    private func runLoop(
        configuration: MasterConfiguration, env: RpcEnv, backlog: InboundBacklog, engine: any PersistenceEngine, fence: ElectionFence?,
        leadsAtStart: Bool
    ) async {
        var master = MasterStateMachine(configuration: configuration, seed: settings.seed)
        var timers = TimerTable(eventLoop: MultiThreadedEventLoopGroup.singleton.next(), sink: eventSink)
        var pendingCalls: [CallID: PendingCall] = [:]
        var nextCall: UInt64 = 1
        await perform(master.start(now: Self.now()), master: &master, env: env, timers: &timers, calls: &pendingCalls, engine: engine)
        if leadsAtStart {
            // Without leader election the master leads at once (Spark: MonarchyLeaderAgent).
            let persisted: PersistedState
            do {
                persisted = try await engine.read()
            } catch {
                logger.error("cannot read the recovery state: \(error)")
                exitStatus.withLockedValue { $0 = 1 }
                timers.cancelAll()
                await answerQueuedEvents()
                for call in pendingCalls.values { call.reply(Self.stopped) }
                return
            }
            await perform(master.handle(.electedLeader(persisted), now: Self.now()), master: &master, env: env, timers: &timers, calls: &pendingCalls, engine: engine)
        }
        phase.withLockedValue { $0 = .running }

        var pending = events.makeAsyncIterator()
        while let event = await pending.next() {
            let now = Self.now()
            var actions: [MasterAction] = []
            switch event {
            case .snapshot(let continuation):
                continuation.resume(returning: master)
                continue
            case .endpoint(.call(let call)):
                backlog.taken(call)
                logger.debug("received", metadata: ["master/message": "\(call.message.name)", "master/from": "\(call.senderAddress)"])
                actions = handleAsk(
                    call.message, sender: call.senderAddress, pending: call.isAsk ? .remote(call) : nil, master: &master,
                    calls: &pendingCalls, nextCall: &nextCall, now: now)
            case .ask(let message, let continuation):
                actions = handleAsk(
                    message, sender: configuration.masterAddress, pending: .local(continuation), master: &master,
                    calls: &pendingCalls, nextCall: &nextCall, now: now)
            case .endpoint(.disconnected(let addresses)):
                for address in addresses {
                    actions += master.handle(.disconnected(address), now: now)
                }
            case .timer(let timer):
                timers.fired(timer)
                actions = master.handle(.timerFired(timer), now: now)
            case .input(let input):
                actions = master.handle(input, now: now)
            case .leadership(.isLeader):
                logger.info("We have gained leadership")
                fence?.takeLeadership()
                do {
                    let persisted = try await engine.read()
                    actions = master.handle(.electedLeader(persisted), now: Self.now())
                } catch {
                    // Without its state a leader must not act: end, and let another master lead.
                    actions = [.log(.error, "cannot read the recovery state: \(error)"), .exit(code: 1)]
                }
            case .leadership(.notLeader):
                logger.error("We have lost leadership")
                fence?.giveUp()
                actions = master.handle(.revokedLeadership, now: now)
            }
            if let exit = await perform(actions, master: &master, env: env, timers: &timers, calls: &pendingCalls, engine: engine) {
                exitStatus.withLockedValue { $0 = exit }
                break
            }
        }
        timers.cancelAll()
        // Requests queued before the loop ended still get an answer; later ones get this state at once.
        phase.withLockedValue { $0 = .ended(master) }
        eventSink.finish()
        while let event = await pending.next() { Self.answerAfterEnd(event, master: master) }
        // Asks the loop took but that no action answered (it ended first).
        for call in pendingCalls.values { call.reply(Self.stopped) }
    }

    /// Hands a message to the state machine; an ask (`pending`) is answered exactly once: by the
    /// reply among the actions or the outcome of an admission among them, else at once with an `RpcFailure`.
    private func handleAsk(
        _ message: SparkMessage, sender: RpcAddress, pending: PendingCall?, master: inout MasterStateMachine,
        calls: inout [CallID: PendingCall], nextCall: inout UInt64, now: Int64
    ) -> [MasterAction] {
        guard let pending else { return master.handle(.message(message, sender: sender, call: nil), now: now) }
        let id = CallID(nextCall)
        nextCall += 1
        let actions = master.handle(.message(message, sender: sender, call: id), now: now)
        if actions.contains(where: { $0.answers(id) }) {
            calls[id] = pending
        } else {
            pending.reply(.rpcFailure(JavaExceptionInfo(className: "org.apache.spark.SparkException", message: "No reply to \(message.name)")))
        }
        return actions
    }

    /// Performs actions in order; returns an exit status if one was requested. An admission's outcome
    /// is handed to the state machine, and its actions performed, before the actions that follow it.
    @discardableResult
    private func perform(
        _ actions: [MasterAction], master: inout MasterStateMachine, env: RpcEnv, timers: inout TimerTable,
        calls: inout [CallID: PendingCall], engine: any PersistenceEngine
    ) async -> Int32? {
        var exit: Int32?
        for action in actions {
            switch action {
            case .send(let message, let ref):
                env.post(message, to: ref)
            case .reply(let id, let message):
                calls.removeValue(forKey: id)?.reply(message)
            case .scheduleTimer(let timer, let afterMs):
                timers.schedule(timer, afterMs: afterMs)
            case .cancelTimer(let timer):
                timers.cancel(timer)
            case .persist(let change):
                do {
                    try await engine.apply(change)
                } catch {
                    logger.error("cannot persist recovery state: \(error)", metadata: ["master/change": "\(change.kind)"])
                }
            case .admit(let admission):
                let outcome: MasterInput
                do {
                    try await engine.apply(admission.record)
                    outcome = .stored(admission)
                } catch {
                    outcome = .notStored(admission, reason: "\(error)")
                }
                let next = master.handle(outcome, now: Self.now())
                if let code = await perform(next, master: &master, env: env, timers: &timers, calls: &calls, engine: engine) {
                    exit = code
                }
            case .exit(let code):
                exit = code
            case .log(let level, let message):
                switch level {
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                case .error: logger.error("\(message)")
                }
            }
        }
        return exit
    }

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

/// The master's timers, fired into its event stream from an event loop.
struct TimerTable {
    let eventLoop: any EventLoop
    let sink: AsyncStream<MasterService.LoopEvent>.Continuation
    private var scheduled: [MasterTimer: Scheduled<Void>] = [:]

    init(eventLoop: any EventLoop, sink: AsyncStream<MasterService.LoopEvent>.Continuation) {
        self.eventLoop = eventLoop
        self.sink = sink
    }

    mutating func schedule(_ timer: MasterTimer, afterMs: Int64) {
        scheduled.removeValue(forKey: timer)?.cancel()
        let sink = self.sink
        scheduled[timer] = eventLoop.scheduleTask(in: .milliseconds(afterMs)) { sink.yield(.timer(timer)) }
    }

    mutating func cancel(_ timer: MasterTimer) { scheduled.removeValue(forKey: timer)?.cancel() }

    mutating func fired(_ timer: MasterTimer) { scheduled.removeValue(forKey: timer) }

    mutating func cancelAll() {
        for (_, task) in scheduled { task.cancel() }
        scheduled.removeAll()
    }
}
