import Foundation
import SparkConfig
import SparkModel
import SparkTestKit
@testable import SparkWorker

/// A new directory `<name>-<8 random characters>` under the system's temporary directory.
func scratchDirectory(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A deterministic generator (SplitMix64) so fuzz factors and directory names repeat.
struct SeededRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a `WorkerStateMachine` against a manual clock: scheduled timers fire when the test
/// advances time past them, in deadline order.
struct WorkerHarness {
    var machine: WorkerStateMachine<SeededRandom>
    /// Milliseconds since the harness started.
    private(set) var now: Int64 = 0
    private(set) var timers: [WorkerTimer: Int64] = [:]
    /// Every action returned so far, with the time it was returned at.
    private(set) var history: [(at: Int64, action: WorkerAction)] = []

    init(configuration: WorkerConfiguration = .test(), seed: UInt64 = 42) {
        machine = WorkerStateMachine(configuration: configuration, random: SeededRandom(seed: seed))
    }

    /// Feeds one input; returns its actions and books the timers.
    @discardableResult
    mutating func handle(_ input: WorkerInput) -> [WorkerAction] {
        let actions = machine.handle(input)
        for action in actions {
            history.append((now, action))
            switch action {
            case .scheduleTimer(let timer, let delay):
                timers[timer] = now + delay.milliseconds
            case .cancelTimer(let timer):
                timers.removeValue(forKey: timer)
            default:
                break
            }
        }
        return actions
    }

    /// Starts the worker at the sample's time.
    @discardableResult
    mutating func start() -> [WorkerAction] {
        handle(.start(now: WorkerInstant(millisecondsSinceEpoch: 1_795_656_615_000)))
    }

    /// Advances the clock by `duration`, firing due timers; returns the actions of the fired timers.
    @discardableResult
    mutating func advance(by duration: Duration) -> [WorkerAction] {
        let target = now + duration.milliseconds
        var actions: [WorkerAction] = []
        while let (timer, deadline) = timers.filter({ $0.value <= target }).min(by: { ($0.value, "\($0.key)") < ($1.value, "\($1.key)") }) {
            now = deadline
            timers.removeValue(forKey: timer)
            actions += handle(.timerFired(timer))
        }
        now = target
        return actions
    }

    /// Registers with the first configured master, as a real master would answer.
    @discardableResult
    mutating func register(master: RpcAddress? = nil) -> [WorkerAction] {
        let address = master ?? machine.configuration.masters[0]
        return handle(.message(.registeredWorker(RegisteredWorker(
            master: RpcEndpointRef(name: "Master", host: address.host, port: address.port),
            masterWebUiUrl: "http://\(address.host):8080", masterAddress: address, duplicate: false))))
    }
}

extension Duration {
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension WorkerConfiguration {
    /// A worker like the sample's: 127.0.0.1:41867, UI 8081, 2 cores, 2 GiB.
    static func test(
        masters: [RpcAddress] = [RpcAddress(host: "127.0.0.1", port: 7077)], settings: WorkerSettings = WorkerSettings()
    ) -> WorkerConfiguration {
        WorkerConfiguration(
            host: "127.0.0.1", port: 41867, webUiPort: 8081, cores: 2, memoryMiB: 2048, masters: masters,
            workDirectory: "/work", localRootParents: ["/tmp"], commandContext: .sample, settings: settings)
    }
}

extension ExecutorCommandContext {
    /// The machine of the captured 4.3.0 sample.
    static let sample = ExecutorCommandContext(
        sparkHome: "$SPARK_VENVS/spark4/lib/python3.11/site-packages/pyspark",
        environment: ["JAVA_HOME": "/usr/lib/jvm/java-17-openjdk-amd64", "SPARK_CONF_DIR": "$ANCHORS/conf"],
        javaExecutable: "/usr/bin/java", directories: ["$ANCHORS/conf"],
        slf4jApiJars: ["$SPARK_VENVS/spark4/lib/python3.11/site-packages/pyspark/jars/slf4j-api-2.0.17.jar"])
}

/// Fixtures captured from real Spark 4.3.0 (`protocol/samples`, `protocol/golden`).
enum Samples {
    static func text(_ name: String) throws -> String {
        try String(contentsOf: TestEnvironment.protocolFile("samples/\(name)"), encoding: .utf8)
    }

    /// The LaunchExecutor a real spark-shell driver caused (driver port 35037).
    static func capturedLaunch() throws -> LaunchExecutor {
        guard case .launchExecutor(let launch) = try GoldenMessages.message("LaunchExecutor-captured") else {
            throw ChildProcessError(message: "LaunchExecutor-captured is not a LaunchExecutor")
        }
        return launch
    }

    /// The captured launch turned into the one behind the sample files (driver port 42879, app
    /// app-20261126013023-0000), so generated output can be compared with them verbatim.
    static func sampleLaunch(masterUrl: String = "spark://127.0.0.1:7077") throws -> LaunchExecutor {
        var launch = try capturedLaunch()
        launch.masterUrl = masterUrl
        launch.appId = "app-20261126013023-0000"
        launch.appDesc.command.arguments = launch.appDesc.command.arguments.map { $0.replacing("35037", with: "42879") }
        launch.appDesc.command.javaOpts = launch.appDesc.command.javaOpts.map { $0.replacing("35037", with: "42879") }
        return launch
    }

    /// A small launch for lifecycle tests.
    static func launch(
        appId: String = "app-1", execId: Int32 = 0, cores: Int32 = 1, memory: Int32 = 512,
        masterUrl: String = "spark://127.0.0.1:7077"
    ) throws -> LaunchExecutor {
        var launch = try capturedLaunch()
        launch.masterUrl = masterUrl
        launch.appId = appId
        launch.execId = execId
        launch.cores = cores
        launch.memory = memory
        return launch
    }
}

extension Array where Element == WorkerAction {
    var registrations: [(RegisterWorker, RpcEndpointRef)] {
        compactMap { if case .register(let message, let master) = $0 { (message, master) } else { nil } }
    }

    var sent: [(SparkMessage, RpcEndpointRef)] {
        compactMap { if case .send(let message, let master) = $0 { (message, master) } else { nil } }
    }

    var reports: [ExecutorStateChanged] {
        compactMap { if case .reportExecutorState(let change, _, _) = $0 { change } else { nil } }
    }

    var launches: [ExecutorLaunch] {
        compactMap { if case .launchExecutor(let launch) = $0 { launch } else { nil } }
    }

    var logLines: [String] {
        compactMap { if case .log(_, let line) = $0 { line } else { nil } }
    }

    var exitCode: Int32? {
        compactMap { if case .exit(let code) = $0 { code } else { nil } }.first
    }
}
