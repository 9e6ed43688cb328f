import SparkConfig
import SparkModel
@testable import SparkWorker
import Testing

/// Cluster-mode drivers on the worker (Spark: `Worker.receive(LaunchDriver/KillDriver)`,
/// `DriverRunner`): the launch, the final states, supervision with back-off, kill and shutdown.
@Suite struct WorkerDriverTests {
    static let master = RpcEndpointRef(name: "Master", host: "127.0.0.1", port: 7077)

    /// What `spark-submit --deploy-mode cluster` sends through the master (`Client` builds this command).
    static func launchDriver(id: String = "driver-20261126142000-0000", jar: String = "file:/apps/seed-job.jar", supervise: Bool = false) -> LaunchDriver {
        LaunchDriver(driverId: id, driverDesc: DriverDescription(
            jarUrl: jar, mem: 1024, cores: 1, supervise: supervise,
            command: Command(
                mainClass: "org.apache.spark.deploy.worker.DriverWrapper",
                arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "org.example.SeedJob", "1000000"],
                environment: [("SPARK_USER", "root")], classPathEntries: [], libraryPathEntries: [],
                javaOpts: ["-Dspark.app.name=SeedJob", "-Dspark.submit.deployMode=cluster", "-Dspark.master=spark://127.0.0.1:7077"])))
    }

    func registeredWorker() -> WorkerHarness {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        return worker
    }

    func driverStates(_ actions: [WorkerAction]) -> [DriverStateChanged] {
        actions.sent.compactMap { if case .driverStateChanged(let change) = $0.0 { change } else { nil } }
    }

    func driverLaunches(_ actions: [WorkerAction]) -> [DriverLaunch] {
        actions.compactMap { if case .launchDriver(let launch) = $0 { launch } else { nil } }
    }

    /// A master sends only drivers and executors that fit the worker's free share; anything else (no
    /// cores are negative, none are larger than the worker) is refused and reported, the counters
    /// left as they were.
    @Test func launchesThatCannotFitAreRefused() throws {
        var worker = registeredWorker()
        for (cores, memory) in [(Int32(1_073_741_824), Int32(512)), (-1, 512), (1, Int32.min)] {
            var message = Self.launchDriver(id: "driver-\(cores)-\(memory)")
            message.driverDesc.cores = cores
            message.driverDesc.mem = memory
            let actions = worker.handle(.message(.launchDriver(message)))
            #expect(driverLaunches(actions).isEmpty)
            #expect(driverStates(actions).map(\.state) == [.error])
            #expect(actions.logLines.contains { $0.hasPrefix("Refusing driver driver-\(cores)-\(memory): ") })
        }
        for (index, (cores, memory)) in [(Int32(3), Int32(512)), (1, -512), (1, 4096)].enumerated() {
            let actions = worker.handle(.message(.launchExecutor(try Samples.launch(execId: Int32(index), cores: cores, memory: memory))))
            #expect(actions.launches.isEmpty)
            #expect(actions.reports.map(\.state) == [.failed])
        }
        #expect(worker.machine.status.coresUsed == 0 && worker.machine.status.memoryUsedMiB == 0)
        // What fits still launches.
        #expect(driverLaunches(worker.handle(.message(.launchDriver(Self.launchDriver())))).count == 1)
        #expect(worker.handle(.message(.launchExecutor(try Samples.launch(execId: 9, cores: 1, memory: 512)))).launches.count == 1)
        #expect(worker.machine.status.coresUsed == 2 && worker.machine.status.memoryUsedMiB == 1536)
    }

    @Test func launchBuildsTheCommandAsDriverRunner() throws {
        var worker = registeredWorker()
        let actions = worker.handle(.message(.launchDriver(Self.launchDriver())))
        #expect(actions.logLines.first == "Asked to launch driver driver-20261126142000-0000")
        let launch = try #require(driverLaunches(actions).first)
        #expect(launch.workingDirectory == "/work/driver-20261126142000-0000")
        #expect(launch.localJarPath == "/work/driver-20261126142000-0000/seed-job.jar")
        #expect(launch.stdoutPath == launch.workingDirectory + "/stdout" && launch.stderrPath == launch.workingDirectory + "/stderr")
        // The placeholders, the driver's memory and the worker's java.
        #expect(launch.argv.first == "/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
        #expect(launch.argv.contains("-Xmx1024M"))
        let main = try #require(launch.argv.firstIndex(of: "org.apache.spark.deploy.worker.DriverWrapper"))
        #expect(Array(launch.argv[(main + 1)...]) == [
            "spark://Worker@127.0.0.1:41867", "/work/driver-20261126142000-0000/seed-job.jar", "org.example.SeedJob", "1000000",
        ])
        #expect(launch.argv.contains("-Dspark.submit.deployMode=cluster"))
        #expect(launch.stderrHeader.hasPrefix("Launch Command: \"/usr/lib/jvm/java-17-openjdk-amd64/bin/java\""))
        #expect(launch.stderrHeader.hasSuffix("\n" + String(repeating: "=", count: 40) + "\n\n"))
        let environment = Dictionary(launch.environment.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(environment["SPARK_USER"] == "root")
        #expect(environment["SPARK_DRIVER_LOG_URL_STDOUT"] == "http://127.0.0.1:8081/logPage/?driverId=driver-20261126142000-0000&logType=stdout")
        #expect(environment["SPARK_DRIVER_LOG_URL_STDERR"] == "http://127.0.0.1:8081/logPage/?driverId=driver-20261126142000-0000&logType=stderr")
        #expect(actions.logLines.contains("Launch Command: \(launch.redactedCommandLine(pattern: SparkConf.defaultRedactionPattern))"))
        #expect(worker.machine.status.coresUsed == 1 && worker.machine.status.memoryUsedMiB == 1024)
        #expect(worker.machine.status.drivers.map(\.driverId) == ["driver-20261126142000-0000"])
        #expect(driverStates(actions).isEmpty)  // the master marks it RUNNING itself
    }

    @Test func jarNamesFromURLs() {
        #expect(DriverLaunch.jarFileName("file:/apps/seed-job.jar") == "seed-job.jar")
        #expect(DriverLaunch.jarFileName("file:///apps/x/seed%20job.jar") == "seed job.jar")
        #expect(DriverLaunch.jarFileName("file:/apps/a%-0b.jar") == nil)  // not an escape: no URI
        #expect(DriverLaunch.jarFileName("file:/apps/a%2fb.jar") == "b.jar")  // decoded, then split
        #expect(DriverLaunch.jarFileName("hdfs://namenode:8020/jars/app.jar?x=1") == "app.jar")
        #expect(DriverLaunch.jarFileName("/apps/app.jar") == "app.jar")
        #expect(DriverLaunch.jarFileName("https://host") == nil)
        #expect(DriverLaunch.jarFileName("file:/apps/..") == nil)
    }

    @Test func finalStatesFollowTheExitCode() throws {
        for (code, state) in [(Int32(0), DriverState.finished), (1, .failed), (143, .failed)] {
            var worker = registeredWorker()
            worker.handle(.message(.launchDriver(Self.launchDriver())))
            worker.handle(.driverStarted("driver-20261126142000-0000", pid: 900))
            let exited = worker.handle(.driverExited("driver-20261126142000-0000", exitCode: code, ranForMilliseconds: 30000))
            #expect(driverStates(exited) == [DriverStateChanged(driverId: "driver-20261126142000-0000", state: state)])
            #expect(exited.sent.allSatisfy { $0.1 == Self.master })
            #expect(worker.machine.status.coresUsed == 0 && worker.machine.status.memoryUsedMiB == 0)
            #expect(worker.machine.status.drivers.isEmpty)
            #expect(worker.machine.status.finishedDrivers.map(\.state) == [state])
        }
    }

    @Test func launchFailureIsAnError() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchDriver(Self.launchDriver(jar: "s3a://bucket/app.jar"))))
        let reason = JavaExceptionInfo(className: "java.io.IOException", message: "This worker cannot fetch s3a: URLs")
        let failed = worker.handle(.driverLaunchFailed("driver-20261126142000-0000", reason: reason))
        #expect(driverStates(failed) == [DriverStateChanged(driverId: "driver-20261126142000-0000", state: .error, exception: reason)])
        #expect(failed.logLines.contains { $0.hasPrefix("Driver driver-20261126142000-0000 failed with unrecoverable exception") })
        #expect(worker.machine.status.coresUsed == 0)

        // A URL without a file name is refused at once.
        let nameless = worker.handle(.message(.launchDriver(Self.launchDriver(id: "driver-2", jar: "https://host"))))
        #expect(driverLaunches(nameless).isEmpty)
        #expect(driverStates(nameless).map(\.state) == [.error])
        #expect(worker.machine.status.coresUsed == 0 && worker.machine.status.drivers.isEmpty)
    }

    /// Spark: back-off 1 s, doubled after each quick failure, back to 1 s after a run over 5 s.
    @Test func supervisedDriverIsRelaunchedWithBackOff() throws {
        var worker = registeredWorker()
        let id = "driver-20261126142000-0000"
        let first = try #require(driverLaunches(worker.handle(.message(.launchDriver(Self.launchDriver(supervise: true))))).first)
        var relaunches: [Int64] = []
        for (attempt, ran) in [(0, Int64(100)), (1, 100), (2, 100), (3, 9000)].map({ ($0.0, $0.1) }) {
            worker.handle(.driverStarted(id, pid: Int32(900 + attempt)))
            let exited = worker.handle(.driverExited(id, exitCode: 1, ranForMilliseconds: ran))
            #expect(driverStates(exited).isEmpty)
            let delay = try #require(exited.compactMap { if case .scheduleTimer(.driverRelaunch(id), let after) = $0 { after } else { nil } }.first)
            relaunches.append(delay.milliseconds / 1000)
            #expect(exited.logLines.contains("Command exited with status 1, re-launching after \(delay.milliseconds / 1000) s."))
            let again = worker.advance(by: delay)
            #expect(driverLaunches(again) == [first])
        }
        #expect(relaunches == [1, 2, 4, 1])
        // Success ends supervision.
        worker.handle(.driverStarted(id, pid: 990))
        let done = worker.handle(.driverExited(id, exitCode: 0, ranForMilliseconds: 100))
        #expect(driverStates(done).map(\.state) == [.finished])
    }

    @Test func killTerminatesTheProcessAndReportsKilled() throws {
        var worker = registeredWorker()
        let id = "driver-20261126142000-0000"
        worker.handle(.message(.launchDriver(Self.launchDriver(supervise: true))))
        // Killed while the shell prepares it: the shell is told not to start it …
        let early = worker.handle(.message(.killDriver(KillDriver(driverId: id))))
        #expect(early.logLines == ["Asked to kill driver \(id)", "Killing driver process!"])
        #expect(early.contains(.cancelDriverLaunch(id)))
        // … and, when it was too late for that, kills it once it is there.
        let started = worker.handle(.driverStarted(id, pid: 901))
        #expect(started.contains(.killDriver(id, pid: 901, grace: .seconds(10))))
        // A second request terminates it again, as Spark's does.
        let again = worker.handle(.message(.killDriver(KillDriver(driverId: id))))
        #expect(again.contains(.killDriver(id, pid: 901, grace: .seconds(10))))
        let exited = worker.handle(.driverExited(id, exitCode: 143, ranForMilliseconds: 50))
        #expect(driverStates(exited) == [DriverStateChanged(driverId: id, state: .killed)])  // no relaunch once killed

        // In time: never started (the shell reports Spark's -1), KILLED.
        worker.handle(.message(.launchDriver(Self.launchDriver(id: "driver-3", supervise: true))))
        worker.handle(.message(.killDriver(KillDriver(driverId: "driver-3"))))
        let never = worker.handle(.driverExited("driver-3", exitCode: -1, ranForMilliseconds: 0))
        #expect(driverStates(never).map(\.state) == [.killed])
        #expect(worker.machine.status.coresUsed == 0)

        // Killed while waiting to be relaunched: reported at once, the relaunch cancelled.
        worker.handle(.message(.launchDriver(Self.launchDriver(id: "driver-2", supervise: true))))
        worker.handle(.driverStarted("driver-2", pid: 902))
        worker.handle(.driverExited("driver-2", exitCode: 1, ranForMilliseconds: 50))
        let waiting = worker.handle(.message(.killDriver(KillDriver(driverId: "driver-2"))))
        #expect(waiting.contains(.cancelTimer(.driverRelaunch("driver-2"))))
        #expect(driverStates(waiting).map(\.state) == [.killed])
        #expect(driverLaunches(worker.advance(by: .seconds(10))).isEmpty)

        let unknown = worker.handle(.message(.killDriver(KillDriver(driverId: "driver-9"))))
        #expect(unknown.logLines == ["Asked to kill driver driver-9", "Asked to kill unknown driver driver-9"])
    }

    @Test func idsThatAreNotDirectoryNamesAreRefused() throws {
        var worker = registeredWorker()
        for id in ["", ".", "..", "../../etc", "a/b"] {
            let actions = worker.handle(.message(.launchDriver(Self.launchDriver(id: id))))
            #expect(driverLaunches(actions).isEmpty, "\(id)")
            #expect(driverStates(actions).map(\.state) == [.error], "\(id)")
        }
        #expect(worker.machine.status.coresUsed == 0 && worker.machine.status.drivers.isEmpty)
    }

    @Test func unknownDriverProcessIsKilled() {
        var worker = registeredWorker()
        #expect(worker.handle(.driverStarted("driver-9", pid: 977)).contains(.killDriver("driver-9", pid: 977, grace: .seconds(10))))
    }

    @Test func terminateTimeoutIsInMillisecondsWithoutAUnit() throws {
        #expect(try WorkerSettings(conf: SparkConf(["spark.worker.driverTerminateTimeout": "30000"])).driverTerminateTimeout == .seconds(30))
        #expect(try WorkerSettings(conf: SparkConf(["spark.worker.driverTerminateTimeout": "2s"])).driverTerminateTimeout == .seconds(2))
        #expect(WorkerSettings().driverTerminateTimeout == .seconds(10))
    }

    /// Spark: `spark.files.fetchTimeout`, seconds without a unit, 60 s by default.
    @Test func jarFetchTimeoutIsInSecondsWithoutAUnit() throws {
        #expect(try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "90"])).fetchTimeoutSeconds == 90)
        #expect(try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "1500ms"])).fetchTimeoutSeconds == 1.5)
        #expect(WorkerSettings().fetchTimeoutSeconds == 60)
        #expect(try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "0"])).fetchTimeoutSeconds == 0)
        #expect(try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "9999999999d"])).fetchTimeoutSeconds == 86_400)
        #expect(throws: SparkConfError.self) { try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "-5"])) }
        #expect(throws: SparkConfError.self) { try WorkerSettings(conf: SparkConf(["spark.files.fetchTimeout": "soon"])) }
    }

    @Test func logURLsUnderAReverseProxy() throws {
        var settings = WorkerSettings()
        settings.reverseProxy = true
        var worker = WorkerHarness(configuration: .test(settings: settings))
        worker.start()
        worker.register()
        let launch = try #require(driverLaunches(worker.handle(.message(.launchDriver(Self.launchDriver())))).first)
        let environment = Dictionary(launch.environment.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        #expect(environment["SPARK_DRIVER_LOG_URL_STDOUT"] == "/proxy/driver-20261126142000-0000/logPage/?driverId=driver-20261126142000-0000&logType=stdout")

        // With `spark.ui.reverseProxyUrl` (as the Heroku packaging sets it) the links go through it.
        settings.reverseProxyUrl = "https://spark.example.com/ops/"
        var proxied = WorkerHarness(configuration: .test(settings: settings))
        proxied.start()
        proxied.register()
        let behind = try #require(driverLaunches(proxied.handle(.message(.launchDriver(Self.launchDriver())))).first)
        #expect(behind.environment.first { $0.name == "SPARK_DRIVER_LOG_URL_STDERR" }?.value
            == "https://spark.example.com/ops/proxy/driver-20261126142000-0000/logPage/?driverId=driver-20261126142000-0000&logType=stderr")
    }

    @Test func masterLearnsAboutRunningDrivers() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchDriver(Self.launchDriver())))
        let registered = worker.register()
        let latest = registered.sent.compactMap { if case .workerLatestState(let state) = $0.0 { state } else { nil } }
        #expect(latest.first?.driverIds == ["driver-20261126142000-0000"])
        let changed = worker.handle(.message(.masterChanged(MasterChanged(master: Self.master, masterWebUiUrl: "http://127.0.0.1:8080"))))
        let response = changed.sent.compactMap { if case .workerSchedulerStateResponse(let state) = $0.0 { state } else { nil } }
        #expect(response.first?.driverResponses.map(\.driverId) == ["driver-20261126142000-0000"])
    }

    @Test func shutdownEndsDriversInEveryStage() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchDriver(Self.launchDriver(id: "driver-waiting", supervise: true))))
        worker.handle(.driverStarted("driver-waiting", pid: 901))
        worker.handle(.driverExited("driver-waiting", exitCode: 1, ranForMilliseconds: 10))
        worker.handle(.message(.launchDriver(Self.launchDriver(id: "driver-preparing"))))
        let stopping = worker.handle(.shutdownRequested)
        #expect(stopping.contains(.cancelTimer(.driverRelaunch("driver-waiting"))))
        #expect(driverStates(stopping).map(\.driverId) == ["driver-waiting"])
        #expect(stopping.contains(.cancelDriverLaunch("driver-preparing")))
        #expect(stopping.exitCode == nil)
        let done = worker.handle(.driverExited("driver-preparing", exitCode: -1, ranForMilliseconds: 0))
        #expect(driverStates(done).map(\.state) == [.killed])
        #expect(done.exitCode == 0)
    }

    @Test func shutdownKillsDriversAndWaitsForThem() throws {
        var worker = registeredWorker()
        let id = "driver-20261126142000-0000"
        worker.handle(.message(.launchDriver(Self.launchDriver())))
        worker.handle(.driverStarted(id, pid: 901))
        let stopping = worker.handle(.shutdownRequested)
        #expect(stopping.contains(.killDriver(id, pid: 901, grace: .seconds(10))))
        #expect(stopping.exitCode == nil)
        let exited = worker.handle(.driverExited(id, exitCode: 143, ranForMilliseconds: 50))
        #expect(driverStates(exited).map(\.state) == [.killed])
        #expect(exited.exitCode == 0)
    }
}
