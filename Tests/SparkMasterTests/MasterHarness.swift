@testable import SparkMaster
import SparkModel

/// Drives a master state machine with a manual clock and records what it did.
struct MasterHarness {
    var master: MasterStateMachine
    var now: Int64 = 1_795_654_941_256
    var nextCall: UInt64 = 1
    /// Why the store refuses records (nil: every record is stored).
    var storeFailure: String?
    /// Records stored so far through admissions, in order.
    var stored: [PersistenceChange] = []

    static let masterAddress = RpcAddress(host: "127.0.0.1", port: 7077)

    init(configure: (inout MasterConfiguration) -> Void = { _ in }, elect: Bool = true) {
        var configuration = MasterConfiguration(masterAddress: Self.masterAddress, masterWebUiUrl: "http://127.0.0.1:8080")
        configure(&configuration)
        master = MasterStateMachine(configuration: configuration, seed: 42)
        _ = master.start(now: now)
        if elect { _ = master.handle(.electedLeader(PersistedState()), now: now) }
    }

    mutating func advance(ms: Int64) { now += ms }

    @discardableResult
    mutating func send(_ message: SparkMessage, from sender: RpcAddress) -> [MasterAction] {
        handle(.message(message, sender: sender, call: nil))
    }

    /// Handles an input, admissions answered by the store at once (as the master's shell does).
    mutating func handle(_ input: MasterInput) -> [MasterAction] {
        let failure = storeFailure
        var stored: [PersistenceChange] = []
        let actions = master.handle(input, now: now) { record in
            if failure == nil { stored.append(record) }
            return failure
        }
        self.stored += stored
        return actions
    }

    /// Asks and returns the reply and the other actions.
    @discardableResult
    mutating func ask(_ message: SparkMessage, from sender: RpcAddress) -> (reply: SparkMessage?, actions: [MasterAction]) {
        let call = CallID(nextCall)
        nextCall += 1
        let actions = handle(.message(message, sender: sender, call: call))
        var reply: SparkMessage?
        for case .reply(let id, let message) in actions where id == call {
            precondition(reply == nil, "two replies to one ask")
            reply = message
        }
        return (reply, actions)
    }

    static func workerRef(port: Int32) -> RpcEndpointRef { RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: port) }
    static func driverRef(port: Int32) -> RpcEndpointRef { RpcEndpointRef(name: "AppClient", host: "127.0.0.1", port: port) }

    static func registerWorker(port: Int32, cores: Int32 = 2, memory: Int32 = 2048, id: String? = nil, resources: [(String, ResourceInformation)] = []) -> RegisterWorker {
        RegisterWorker(
            id: id ?? "worker-20261126010156-127.0.0.1-\(port)", host: "127.0.0.1", port: port, worker: workerRef(port: port),
            cores: cores, memory: memory, workerWebUiUrl: "http://127.0.0.1:8081", masterAddress: masterAddress,
            resources: resources)
    }

    @discardableResult
    mutating func addWorker(port: Int32, cores: Int32 = 2, memory: Int32 = 2048, resources: [(String, ResourceInformation)] = []) -> [MasterAction] {
        send(.registerWorker(Self.registerWorker(port: port, cores: cores, memory: memory, resources: resources)), from: RpcAddress(host: "127.0.0.1", port: port))
    }

    /// A cluster-mode driver as `spark-submit --deploy-mode cluster` describes it.
    static func driver(cores: Int32 = 1, memory: Int32 = 512) -> DriverDescription {
        DriverDescription(
            jarUrl: "file:/tmp/app.jar", mem: memory, cores: cores, supervise: false,
            command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "Main"]))
    }

    /// Submits `description` as Spark's submission client does: the master's answer (nil when it sent
    /// none) and what it did.
    mutating func submitDriver(_ description: DriverDescription) -> (response: SubmitDriverResponse?, actions: [MasterAction]) {
        let (reply, actions) = ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), from: RpcAddress(host: "127.0.0.1", port: 5000))
        guard case .submitDriverResponse(let response)? = reply else { return (nil, actions) }
        return (response, actions)
    }

    static func application(
        name: String = "Spark shell", maxCores: Int32? = nil, executorCores: Int64? = nil, memory: Int64 = 1024,
        initialExecutorLimit: Int32? = nil, custom: [(String, Int64)] = []
    ) -> ApplicationDescription {
        var executorResources: [(String, ExecutorResourceRequest)] = [
            ("memory", ExecutorResourceRequest(resourceName: "memory", amount: memory)),
            ("offHeap", ExecutorResourceRequest(resourceName: "offHeap", amount: 0)),
        ]
        if let executorCores { executorResources.append(("cores", ExecutorResourceRequest(resourceName: "cores", amount: executorCores))) }
        for (name, amount) in custom { executorResources.append((name, ExecutorResourceRequest(resourceName: name, amount: amount))) }
        return ApplicationDescription(
            name: name, maxCores: maxCores,
            command: Command(mainClass: "org.apache.spark.executor.CoarseGrainedExecutorBackend", arguments: ["--driver-url", "x"]),
            appUiUrl: "", defaultProfile: ResourceProfile(
                executorResources: executorResources,
                taskResources: [("cpus", TaskResourceRequest(resourceName: "cpus", amount: 1))]),
            initialExecutorLimit: initialExecutorLimit, user: "root")
    }

    /// Registers an application from a driver listening on `port`; returns its id.
    mutating func addApp(port: Int32, _ description: ApplicationDescription = application()) -> (id: String, actions: [MasterAction]) {
        let actions = send(.registerApplication(RegisterApplication(appDescription: description, driver: Self.driverRef(port: port))),
                           from: RpcAddress(host: "127.0.0.1", port: port))
        for case .send(.registeredApplication(let registered), _) in actions { return (registered.appId, actions) }
        return ("", actions)
    }
}

extension Array where Element == MasterAction {
    var launches: [(LaunchExecutor, RpcEndpointRef)] {
        compactMap { if case .send(.launchExecutor(let m), let to) = $0 { return (m, to) } else { return nil } }
    }

    func sent(to ref: RpcEndpointRef) -> [SparkMessage] {
        compactMap { if case .send(let m, let to) = $0, to == ref { return m } else { return nil } }
    }

    var messages: [SparkMessage] {
        compactMap { if case .send(let m, _) = $0 { return m } else { return nil } }
    }
}
