import Benchmark
import SparkMaster
import SparkModel

// The master's sans-IO core under cluster-sized inputs (all built before any measurement):
//   assignCores            `ExecutorScheduling.assignCores` for one app over 1000 workers (Spark:
//                          `Master.scheduleExecutorsOnWorkers`), spreading out and consolidating
//   Registration wave      a fresh `MasterStateMachine`, elected leader, fed 1000 RegisterWorker then
//                          100 RegisterApplication inputs; one iteration is the whole wave (and the
//                          1000 workers alone)
//   Heartbeat storm        10 000 registered workers, each heart-beating in turn; one iteration is 1000
//                          Heartbeat inputs (`scalingFactor: .kilo`), so figures are per heartbeat
//                          (and again with a copy of the state taken after each input, as the shell does)
//   Worker timeout check   `checkForWorkerTimeOut` over the same 10 000 live workers
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 3,
        maxDuration: .seconds(4),
        maxIterations: 10_000
    )

    // MARK: (a) assignCores over 1000 workers

    let schedulable = (0..<1000).map { (index: Int) -> SchedulableWorker in
        // Mixed sizes, as on a real cluster: 4 to 16 cores, 8 to 32 GiB.
        let size = Int32(index % 4)
        return SchedulableWorker(coresFree: 4 + 4 * size, memoryFree: 8192 * (1 + size))
    }
    let freeCores = schedulable.reduce(Int32(0)) { $0 + $1.coresFree }
    let oneExecutorPerWorker = ExecutorResourceDescription(coresPerExecutor: nil, memoryMbPerExecutor: 1024)
    let twoCoreExecutors = ExecutorResourceDescription(coresPerExecutor: 2, memoryMbPerExecutor: 2048)

    let placements: [(name: String, resource: ExecutorResourceDescription, spreadOut: Bool)] = [
        ("assignCores 1000 workers spread out", oneExecutorPerWorker, true),
        ("assignCores 1000 workers consolidated", oneExecutorPerWorker, false),
        ("assignCores 1000 workers 2-core executors spread out", twoCoreExecutors, true),
    ]
    for (name, resource, spreadOut) in placements {
        Benchmark(name) { benchmark in
            for _ in benchmark.scaledIterations {
                // The app wants every free core, as a spark-shell without spark.cores.max does.
                blackHole(ExecutorScheduling.assignCores(
                    coresLeft: freeCores, resource: resource, workers: schedulable, existingExecutors: 0,
                    executorLimit: Int32.max, spreadOut: spreadOut))
            }
        }
    }

    // MARK: (b) a registration wave: 1000 workers, then 100 applications

    let workerInputs = (0..<1000).map { SchedulingInputs.registerWorker($0, cores: 4, memory: 8192) }
    let appInputs = (0..<100).map { SchedulingInputs.registerApplication($0, maxCores: 16) }

    // The workers alone, so the applications' share of the wave is the difference.
    Benchmark("Registration wave 1000 workers", configuration: .init(maxIterations: 1000)) { benchmark in
        for _ in benchmark.scaledIterations {
            var master = SchedulingInputs.electedMaster()
            var now = SchedulingInputs.startTime
            for input in workerInputs {
                now += 1
                blackHole(master.handle(input, now: now) { _ in nil })
            }
            guard master.workers.count == 1000 else {
                benchmark.error("wave ended with \(master.workers.count) workers")
                return
            }
        }
    }

    Benchmark("Registration wave 1000 workers 100 apps", configuration: .init(maxIterations: 1000)) { benchmark in
        for _ in benchmark.scaledIterations {
            var master = SchedulingInputs.electedMaster()
            var now = SchedulingInputs.startTime
            var launches = 0
            for input in workerInputs {
                now += 1
                blackHole(master.handle(input, now: now) { _ in nil })
            }
            for input in appInputs {
                now += 1
                for case .send(.launchExecutor, _) in master.handle(input, now: now, store: { _ in nil }) { launches += 1 }
            }
            // Every app gets its 16 cores as one executor on each of 16 workers.
            guard launches == 100 * 16, master.workers.count == 1000, master.apps.count == 100 else {
                benchmark.error("wave ended with \(master.workers.count) workers, \(master.apps.count) apps, \(launches) launches")
                return
            }
        }
    }

    // MARK: (c) a heartbeat storm over 10 000 workers

    let stormSize = 10_000
    let storm = SchedulingMaster(workers: stormSize)
    let heartbeats = (0..<stormSize).map { SchedulingInputs.heartbeat($0) }

    Benchmark("Heartbeat storm 10000 workers", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            let index = storm.next % stormSize
            storm.next += 1
            storm.now += 1
            blackHole(storm.master.handle(heartbeats[index], now: storm.now))
        }
    }

    // The same storm as spark-master's shell runs it today: after every input the service stores a copy of
    // the state machine for the web UI (MasterService.runLoop), so the next heartbeat's write to `workers`
    // finds the dictionary shared and copies all 10 000 entries first. Kept to measure a fix against.
    Benchmark("Heartbeat storm 10000 workers, state copied after each input") { benchmark in
        for _ in benchmark.scaledIterations {
            let index = storm.next % stormSize
            storm.next += 1
            storm.now += 1
            blackHole(storm.master.handle(heartbeats[index], now: storm.now))
            storm.published = storm.master
        }
    }

    Benchmark("Worker timeout check 10000 workers") { benchmark in
        for _ in benchmark.scaledIterations {
            // Within the timeout of every worker's last heartbeat: nobody is removed.
            let actions = storm.master.handle(.timerFired(.checkForWorkerTimeOut), now: storm.now)
            guard actions.count == 1 else {
                benchmark.error("the timeout check did more than reschedule itself: \(actions.count) actions")
                return
            }
        }
    }
}

/// A master with `workers` registered workers, mutated by one benchmark at a time.
final class SchedulingMaster: @unchecked Sendable {
    // The benchmark runner calls one closure at a time, never concurrently.
    var master: MasterStateMachine
    var now: Int64
    var next = 0
    /// A copy as a status page would hold it.
    var published: MasterStateMachine?

    init(workers: Int) {
        master = SchedulingInputs.electedMaster()
        now = SchedulingInputs.startTime
        for index in 0..<workers {
            now += 1
            _ = master.handle(SchedulingInputs.registerWorker(index, cores: 4, memory: 8192), now: now) { _ in nil }
        }
        precondition(master.workers.count == workers, "not every worker registered")
    }
}

/// Inputs as the master's shell builds them from real peers' messages (Tests/SparkMasterTests/MasterHarness.swift).
enum SchedulingInputs {
    static let startTime: Int64 = 1_795_654_941_256
    static let masterAddress = RpcAddress(host: "127.0.0.1", port: 7077)

    static func electedMaster() -> MasterStateMachine {
        let configuration = MasterConfiguration(masterAddress: masterAddress, masterWebUiUrl: "http://127.0.0.1:8080")
        var master = MasterStateMachine(configuration: configuration, seed: 42)
        _ = master.start(now: startTime)
        _ = master.handle(.electedLeader(PersistedState()), now: startTime)
        return master
    }

    /// Worker `index` listens on its own host:port, as the master requires.
    static func workerAddress(_ index: Int) -> RpcAddress {
        RpcAddress(host: "10.0.\(index / 250).\(1 + index % 250)", port: 7078)
    }

    static func registerWorker(_ index: Int, cores: Int32, memory: Int32) -> MasterInput {
        let address = workerAddress(index)
        let message = RegisterWorker(
            id: workerId(index), host: address.host, port: address.port,
            worker: RpcEndpointRef(name: "Worker", host: address.host, port: address.port), cores: cores, memory: memory,
            workerWebUiUrl: "http://\(address.host):8081", masterAddress: masterAddress)
        return .message(.registerWorker(message), sender: address, call: nil)
    }

    static func workerId(_ index: Int) -> String {
        let address = workerAddress(index)
        return "worker-20261126010156-\(address.host)-\(address.port)"
    }

    static func heartbeat(_ index: Int) -> MasterInput {
        let address = workerAddress(index)
        let message = Heartbeat(workerId: workerId(index), worker: RpcEndpointRef(name: "Worker", host: address.host, port: address.port))
        return .message(.heartbeat(message), sender: address, call: nil)
    }

    /// A spark-shell's registration from a driver at its own address.
    static func registerApplication(_ index: Int, maxCores: Int32?) -> MasterInput {
        let driver = RpcAddress(host: "10.1.\(index / 250).\(1 + index % 250)", port: 40_000)
        let command = Command(
            mainClass: "org.apache.spark.executor.CoarseGrainedExecutorBackend",
            arguments: ["--driver-url", "spark://CoarseGrainedScheduler@\(driver.hostPort)", "--executor-id", "{{EXECUTOR_ID}}",
                        "--hostname", "{{HOSTNAME}}", "--cores", "{{CORES}}", "--app-id", "{{APP_ID}}",
                        "--worker-url", "{{WORKER_URL}}", "--resourceProfileId", "{{RESOURCE_PROFILE_ID}}"],
            environment: [("OMP_NUM_THREADS", "1"), ("SPARK_USER", "root")],
            javaOpts: ["-Dspark.driver.port=\(driver.port)", "-Djava.net.preferIPv6Addresses=false"])
        let profile = ResourceProfile(
            executorResources: [
                ("memory", ExecutorResourceRequest(resourceName: "memory", amount: 1024)),
                ("offHeap", ExecutorResourceRequest(resourceName: "offHeap", amount: 0)),
            ],
            taskResources: [("cpus", TaskResourceRequest(resourceName: "cpus", amount: 1))])
        let description = ApplicationDescription(
            name: "Spark shell", maxCores: maxCores, command: command, appUiUrl: "", defaultProfile: profile, user: "root")
        let message = RegisterApplication(
            appDescription: description, driver: RpcEndpointRef(name: "AppClient", host: driver.host, port: driver.port))
        return .message(.registerApplication(message), sender: driver, call: nil)
    }
}
