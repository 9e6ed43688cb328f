import SparkMaster
import SparkModel

/// A master state machine driven through its public inputs into a busy, realistic state.
struct MasterFixture {
    var master: MasterStateMachine
    var now: Int64 = 1_795_656_616_418
    private var nextCall: UInt64 = 1

    static let masterAddress = RpcAddress(host: "127.0.0.1", port: 7077)
    static let hostileName = "<script>alert('name')</script>"
    static let hostileUser = "\"><img src=x onerror=alert(1)>"

    init(elect: Bool = true, offsetSeconds: Int = 0) {
        var configuration = MasterConfiguration(masterAddress: Self.masterAddress, masterWebUiUrl: "http://127.0.0.1:8080")
        configuration.timeZoneOffsetSeconds = offsetSeconds
        master = MasterStateMachine(configuration: configuration, seed: 7)
        _ = master.start(now: now)
        if elect { _ = master.handle(.electedLeader(PersistedState()), now: now) }
    }

    mutating func advance(ms: Int64) { now += ms }

    @discardableResult
    mutating func send(_ message: SparkMessage, from sender: RpcAddress) -> [MasterAction] {
        master.handle(.message(message, sender: sender, call: nil), now: now) { _ in nil }
    }

    @discardableResult
    mutating func ask(_ message: SparkMessage, from sender: RpcAddress) -> [MasterAction] {
        let call = CallID(nextCall)
        nextCall += 1
        return master.handle(.message(message, sender: sender, call: call), now: now) { _ in nil }
    }

    static func workerId(port: Int32) -> String { "worker-20261126013015-127.0.0.1-\(port)" }

    mutating func addWorker(port: Int32, cores: Int32, memory: Int32, webUi: String? = nil, resources: [(String, ResourceInformation)] = []) {
        send(.registerWorker(RegisterWorker(
            id: Self.workerId(port: port), host: "127.0.0.1", port: port,
            worker: RpcEndpointRef(name: "Worker", host: "127.0.0.1", port: port), cores: cores, memory: memory,
            workerWebUiUrl: webUi ?? "http://127.0.0.1:\(port + 1000)", masterAddress: Self.masterAddress, resources: resources)),
            from: RpcAddress(host: "127.0.0.1", port: port))
    }

    static func application(
        name: String = "Spark shell", user: String = "root", maxCores: Int32? = nil, memory: Int64 = 1024, appUiUrl: String = "",
        custom: [(String, Int64)] = []
    ) -> ApplicationDescription {
        var executorResources: [(String, ExecutorResourceRequest)] = [
            ("memory", ExecutorResourceRequest(resourceName: "memory", amount: memory)),
            ("offHeap", ExecutorResourceRequest(resourceName: "offHeap", amount: 0)),
        ]
        for (name, amount) in custom { executorResources.append((name, ExecutorResourceRequest(resourceName: name, amount: amount))) }
        return ApplicationDescription(
            name: name, maxCores: maxCores,
            command: Command(mainClass: "org.apache.spark.executor.CoarseGrainedExecutorBackend", arguments: ["--driver-url", "x"]),
            appUiUrl: appUiUrl,
            defaultProfile: ResourceProfile(
                executorResources: executorResources, taskResources: [("cpus", TaskResourceRequest(resourceName: "cpus", amount: 1))]),
            user: user)
    }

    /// Registers an application from a driver on `port`; returns its id.
    @discardableResult
    mutating func addApp(port: Int32, _ description: ApplicationDescription) -> String {
        let actions = send(
            .registerApplication(RegisterApplication(
                appDescription: description, driver: RpcEndpointRef(name: "AppClient", host: "127.0.0.1", port: port))),
            from: RpcAddress(host: "127.0.0.1", port: port))
        for case .send(.registeredApplication(let registered), _) in actions { return registered.appId }
        return ""
    }

    mutating func executorChanged(appId: String, execId: Int32, to state: ExecutorState, exitStatus: Int32? = nil) {
        guard let workerId = master.apps[appId]?.executors[execId]?.workerId,
              let worker = master.workerList.first(where: { $0.id == workerId })
        else { return }
        send(
            .executorStateChanged(ExecutorStateChanged(appId: appId, execId: execId, state: state, message: nil, exitStatus: exitStatus)),
            from: RpcAddress(host: worker.host, port: worker.port))
    }

    /// Two workers (one with GPUs), a running application with a lost executor, a finished
    /// hostile-named one, a running and a finished driver.
    static func busy(offsetSeconds: Int = 0) -> (fixture: MasterFixture, running: String, finished: String) {
        var fixture = MasterFixture(offsetSeconds: offsetSeconds)
        fixture.addWorker(port: 41867, cores: 4, memory: 4096, resources: [("gpu", ResourceInformation(name: "gpu", addresses: ["0", "1"]))])
        fixture.addWorker(port: 41868, cores: 2, memory: 2048)

        fixture.advance(ms: 1000)
        fixture.ask(
            .requestSubmitDriver(RequestSubmitDriver(driverDescription: DriverDescription(
                jarUrl: "file:/tmp/app.jar", mem: 512, cores: 1, supervise: false,
                command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "com.example.Hello"])))),
            from: RpcAddress(host: "127.0.0.1", port: 50000))

        fixture.advance(ms: 1000)
        let running = fixture.addApp(port: 50001, application(maxCores: 2, memory: 1024, appUiUrl: "http://127.0.0.1:4040"))
        for id in (fixture.master.apps[running]?.executors.keys.sorted() ?? []) {
            fixture.executorChanged(appId: running, execId: id, to: .running)
        }
        fixture.advance(ms: 2000)
        // The first executor dies; the master replaces it and keeps the old one as removed.
        fixture.executorChanged(appId: running, execId: 0, to: .exited, exitStatus: 1)

        fixture.advance(ms: 1000)
        let finished = fixture.addApp(port: 50002, application(name: hostileName, user: hostileUser, memory: 512, appUiUrl: "javascript:alert(1)"))
        fixture.advance(ms: 3000)
        fixture.send(.unregisterApplication(UnregisterApplication(appId: finished)), from: RpcAddress(host: "127.0.0.1", port: 50002))

        fixture.advance(ms: 500)
        fixture.ask(
            .requestSubmitDriver(RequestSubmitDriver(driverDescription: DriverDescription(
                jarUrl: "file:/tmp/app.jar", mem: 256, cores: 1, supervise: false,
                command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "com.example.Done"])))),
            from: RpcAddress(host: "127.0.0.1", port: 50003))
        if let done = fixture.master.activeDrivers.first(where: { $0.desc.command.arguments.last == "com.example.Done" }),
           let workerId = done.workerId, let worker = fixture.master.workerList.first(where: { $0.id == workerId }) {
            fixture.send(.driverStateChanged(DriverStateChanged(driverId: done.id, state: .finished)), from: RpcAddress(host: worker.host, port: worker.port))
        }
        fixture.advance(ms: 4000)
        return (fixture, running, finished)
    }
}
