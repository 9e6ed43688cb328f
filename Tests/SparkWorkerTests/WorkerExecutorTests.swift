import SparkModel
@testable import SparkWorker
import Testing

@Suite struct WorkerExecutorTests {
    let key = ExecutorKey(appId: "app-1", execId: 0)

    func registeredWorker() -> WorkerHarness {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        return worker
    }

    @Test func launchOnlyFromTheActiveMaster() throws {
        var worker = registeredWorker()
        let stale = worker.handle(.message(.launchExecutor(try Samples.launch(masterUrl: "spark://other:7077"))))
        #expect(stale.logLines == ["Invalid Master (spark://other:7077) attempted to launch executor."])
        #expect(worker.machine.status.executors.isEmpty)

        // Before any registration there is no active master at all.
        var unregistered = WorkerHarness()
        unregistered.start()
        #expect(unregistered.handle(.message(.launchExecutor(try Samples.launch()))).launches.isEmpty)
    }

    /// LAUNCHING → RUNNING (ask) → process exits by itself → EXITED with its code (ask).
    @Test func executorRunsAndExits() throws {
        var worker = registeredWorker()
        let launched = worker.handle(.message(.launchExecutor(try Samples.launch(cores: 2, memory: 1024))))
        #expect(launched.logLines.first == "Asked to launch executor app-1/0 for Spark shell")
        #expect(launched.logLines.contains { $0.hasPrefix("Launch command: \"/usr/lib/jvm/java-17-openjdk-amd64/bin/java\" \"-cp\"") })
        let launch = try #require(launched.launches.first)
        #expect(launch.workingDirectory == "/work/app-1/0")
        #expect(launch.stdoutPath == "/work/app-1/0/stdout")
        #expect(launch.stderrPath == "/work/app-1/0/stderr")
        #expect(launch.stderrHeader.hasPrefix("Spark Executor Command: \"/usr/lib/jvm/java-17-openjdk-amd64/bin/java\""))
        #expect(launch.stderrHeader.hasSuffix("\n" + String(repeating: "=", count: 40) + "\n\n"))
        // The first executor of the app creates a scratch root and the app's directory under it.
        #expect(launch.directoriesToCreate.count == 2)
        #expect(launch.directoriesToCreate[0].hasPrefix("/tmp/spark-"))
        #expect(launch.appLocalDirectories == [launch.directoriesToCreate[1]])
        #expect(launch.appLocalDirectories[0].hasPrefix(launch.directoriesToCreate[0] + "/executor-"))
        #expect(worker.machine.status.coresUsed == 2)
        #expect(worker.machine.status.memoryUsedMiB == 1024)
        #expect(worker.machine.status.executors.first?.state == .launching)

        let started = worker.handle(.executorStarted(key, pid: 4242))
        #expect(started.reports == [ExecutorStateChanged(appId: "app-1", execId: 0, state: .running)])
        #expect(started.contains(.reportExecutorState(
            ExecutorStateChanged(appId: "app-1", execId: 0, state: .running),
            master: RpcEndpointRef(name: "Master", host: "127.0.0.1", port: 7077), timeout: .seconds(120))))
        #expect(worker.machine.status.executors.first?.state == .running)
        #expect(worker.machine.status.executors.first?.pid == 4242)
        worker.handle(.stateReportAcknowledged(started.reports[0]))

        let exited = worker.handle(.executorExited(key, exitCode: 1))
        #expect(exited.reports == [ExecutorStateChanged(
            appId: "app-1", execId: 0, state: .exited, message: "Command exited with code 1", exitStatus: 1)])
        #expect(exited.logLines.contains("Executor app-1/0 finished with state EXITED message Command exited with code 1 exitStatus 1"))
        #expect(worker.machine.status.executors.isEmpty)
        #expect(worker.machine.status.finishedExecutors.map(\.key) == [key])
        #expect(worker.machine.status.coresUsed == 0)
        #expect(worker.machine.status.memoryUsedMiB == 0)
        // The app did not finish: its local directories stay.
        #expect(!exited.contains { if case .deleteDirectories = $0 { true } else { false } })
    }

    /// KillExecutor → TERM/KILL of the group → KILLED with Spark's message and the exit code.
    @Test func killedExecutorIsReportedKilled() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        worker.handle(.executorStarted(key, pid: 4242))
        let kill = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: "app-1", execId: 0))))
        #expect(kill.logLines.first == "Asked to kill executor app-1/0")
        #expect(kill.contains(.killExecutor(key, pid: 4242, grace: .seconds(10))))
        // Listed KILLED while the process is given its grace, as Spark's ExecutorRunner marks it.
        #expect(worker.machine.status.executors.map(\.state) == [.killed])
        // A repeated kill does not signal again.
        let repeated = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: "app-1", execId: 0))))
        #expect(!repeated.contains { if case .killExecutor = $0 { true } else { false } })

        let exited = worker.handle(.executorExited(key, exitCode: 143))
        #expect(exited.reports == [ExecutorStateChanged(
            appId: "app-1", execId: 0, state: .killed, message: "Runner thread for executor app-1/0 interrupted", exitStatus: 143)])

        let unknown = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: "app-1", execId: 9))))
        #expect(unknown.logLines == ["Asked to kill unknown executor app-1/9"])
    }

    @Test func killBeforeTheProcessStartedKillsItOnStart() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        let kill = worker.handle(.message(.killExecutor(KillExecutor(masterUrl: "spark://127.0.0.1:7077", appId: "app-1", execId: 0))))
        #expect(!kill.contains { if case .killExecutor = $0 { true } else { false } })
        let started = worker.handle(.executorStarted(key, pid: 7))
        #expect(started.contains(.killExecutor(key, pid: 7, grace: .seconds(10))))
        #expect(worker.machine.status.executors.map(\.state) == [.killed])
    }

    @Test func launchFailureIsReportedFailed() throws {
        var worker = registeredWorker()
        let launched = worker.handle(.message(.launchExecutor(try Samples.launch())))
        let directories = try #require(launched.launches.first).appLocalDirectories
        let failed = worker.handle(.executorLaunchFailed(key, reason: "java.io.IOException: Cannot run program \"java\""))
        #expect(failed.reports == [ExecutorStateChanged(
            appId: "app-1", execId: 0, state: .failed, message: "java.io.IOException: Cannot run program \"java\"")])
        #expect(failed.contains(.deleteDirectories(directories)))
        #expect(worker.machine.status.coresUsed == 0)
        #expect(worker.machine.status.finishedExecutors.first?.state == .failed)
    }

    /// ApplicationFinished deletes the app's local directories once its last executor ended; the
    /// app's executors share them.
    @Test func applicationFinishedCleansUpAfterTheLastExecutor() throws {
        var worker = registeredWorker()
        let first = try #require(worker.handle(.message(.launchExecutor(try Samples.launch(execId: 0)))).launches.first)
        let second = try #require(worker.handle(.message(.launchExecutor(try Samples.launch(execId: 1)))).launches.first)
        #expect(second.directoriesToCreate.isEmpty)
        #expect(second.appLocalDirectories == first.appLocalDirectories)
        #expect(second.environment.contains(EnvironmentVariable("SPARK_EXECUTOR_DIRS", first.appLocalDirectories.joined(separator: ":"))))
        // Another app gets its own directory under the same root.
        let other = try #require(worker.handle(.message(.launchExecutor(try Samples.launch(appId: "app-2")))).launches.first)
        #expect(other.directoriesToCreate.count == 1)
        #expect(other.appLocalDirectories != first.appLocalDirectories)

        worker.handle(.executorStarted(ExecutorKey(appId: "app-1", execId: 0), pid: 10))
        worker.handle(.executorStarted(ExecutorKey(appId: "app-1", execId: 1), pid: 11))
        worker.handle(.executorExited(ExecutorKey(appId: "app-1", execId: 0), exitCode: 0))
        let finished = worker.handle(.message(.applicationFinished(ApplicationFinished(id: "app-1"))))
        #expect(!finished.contains { if case .deleteDirectories = $0 { true } else { false } })
        let last = worker.handle(.executorExited(ExecutorKey(appId: "app-1", execId: 1), exitCode: 0))
        #expect(last.contains(.deleteDirectories(first.appLocalDirectories)))
        #expect(last.logLines.contains("Cleaning up local directories for application app-1"))

        // An app that finishes with nothing running is cleaned up at once.
        worker.handle(.executorStarted(ExecutorKey(appId: "app-2", execId: 0), pid: 12))
        worker.handle(.executorExited(ExecutorKey(appId: "app-2", execId: 0), exitCode: 0))
        let app2 = worker.handle(.message(.applicationFinished(ApplicationFinished(id: "app-2"))))
        #expect(app2.contains(.deleteDirectories(other.appLocalDirectories)))
        // The periodic cleanup keeps nothing now.
        let cleanup = worker.advance(by: .seconds(1800))
        #expect(cleanup.contains(.cleanupWorkDirectory(WorkDirectoryCleanup(directory: "/work", keep: [], appDataTtlSeconds: 604_800))))
    }

    @Test func cleanupKeepsApplicationsWithRunningExecutors() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch(appId: "app-running"))))
        let cleanup = worker.advance(by: .seconds(1800))
        #expect(cleanup.contains(.cleanupWorkDirectory(WorkDirectoryCleanup(
            directory: "/work", keep: ["app-running"], appDataTtlSeconds: 604_800))))
    }

    /// A failed ask is retried: at once after a timeout, after the ask timeout otherwise; the fifth
    /// failure ends the worker.
    @Test func stateReportsAreRetriedThenFatal() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        let running = ExecutorStateChanged(appId: "app-1", execId: 0, state: .running)
        #expect(worker.handle(.executorStarted(key, pid: 1)).reports == [running])

        let afterTimeout = worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout"))
        #expect(afterTimeout.reports == [running])
        #expect(afterTimeout.logLines.contains { $0.contains("will retry (1/5)") })

        let afterError = worker.handle(.stateReportFailed(running, timedOut: false, reason: "connection closed"))
        #expect(afterError.reports.isEmpty)
        #expect(afterError.contains(.scheduleTimer(.stateReportRetry(0), after: .seconds(120))))
        #expect(worker.advance(by: .seconds(119)).reports.isEmpty)
        #expect(worker.advance(by: .seconds(1)).reports == [running])

        worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout"))
        worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout"))
        let fatal = worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout"))
        #expect(fatal.exitCode == 1)
        #expect(fatal.logLines.contains { $0.hasSuffix("for 5 times. Giving up.") })
    }

    @Test func acknowledgedReportResetsTheFailureCount() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        let running = ExecutorStateChanged(appId: "app-1", execId: 0, state: .running)
        worker.handle(.executorStarted(key, pid: 1))
        for _ in 0..<4 { worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout")) }
        worker.handle(.stateReportAcknowledged(running))
        let again = worker.handle(.stateReportFailed(running, timedOut: true, reason: "timeout"))
        #expect(again.exitCode == nil)
        #expect(again.logLines.contains { $0.contains("will retry (1/5)") })
    }

    /// SIGTERM: executors are killed and reported KILLED; the worker exits once the master
    /// acknowledged, deleting its scratch roots.
    @Test func gracefulShutdownKillsAndReportsExecutors() throws {
        var worker = registeredWorker()
        let launch = try #require(worker.handle(.message(.launchExecutor(try Samples.launch()))).launches.first)
        let running = worker.handle(.executorStarted(key, pid: 4242)).reports
        let shutdown = worker.handle(.shutdownRequested)
        #expect(shutdown.contains(.cancelTimer(.heartbeat)))
        #expect(shutdown.contains(.cancelTimer(.workDirCleanup)))
        #expect(shutdown.contains(.killExecutor(key, pid: 4242, grace: .seconds(10))))
        #expect(worker.machine.status.executors.map(\.state) == [.failed])
        #expect(shutdown.contains(.scheduleTimer(.shutdownDeadline, after: .seconds(15))))
        #expect(shutdown.exitCode == nil)
        // No more heartbeats or launches while shutting down.
        #expect(worker.advance(by: .seconds(5)).sent.isEmpty)
        #expect(worker.handle(.message(.launchExecutor(try Samples.launch(execId: 1)))).launches.isEmpty)

        let killed = worker.handle(.executorExited(key, exitCode: 143))
        let report = ExecutorStateChanged(appId: "app-1", execId: 0, state: .failed, message: "Worker shutting down", exitStatus: 143)
        #expect(killed.reports == [report])
        #expect(killed.exitCode == nil)
        // Both asks (RUNNING, FAILED) must be answered before the worker exits.
        #expect(worker.handle(.stateReportAcknowledged(report)).exitCode == nil)
        let done = worker.handle(.stateReportAcknowledged(running[0]))
        let root = try #require(launch.directoriesToCreate.first)
        #expect(done.contains(.deleteDirectories([root])))
        #expect(done.exitCode == 0)
        #expect(worker.machine.isStopped)
        #expect(worker.handle(.message(.masterInStandby)).isEmpty)
    }

    @Test func gracefulShutdownGivesUpAtTheDeadline() throws {
        var worker = registeredWorker()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        worker.handle(.executorStarted(key, pid: 4242))
        worker.handle(.shutdownRequested)
        let deadline = worker.advance(by: .seconds(15))
        #expect(deadline.exitCode == 0)
    }

    @Test func idleShutdownExitsAtOnce() {
        var worker = registeredWorker()
        let actions = worker.handle(.shutdownRequested)
        #expect(actions.exitCode == 0)
        #expect(actions.contains(.cancelTimer(.heartbeat)))
    }

    @Test func finishedExecutorsAreTrimmed() throws {
        var settings = WorkerSettings()
        settings.retainedExecutors = 10
        var worker = WorkerHarness(configuration: .test(settings: settings))
        worker.start()
        worker.register()
        for id in Int32(0)..<11 {
            worker.handle(.message(.launchExecutor(try Samples.launch(execId: id))))
            worker.handle(.executorStarted(ExecutorKey(appId: "app-1", execId: id), pid: 100 + id))
            worker.handle(.executorExited(ExecutorKey(appId: "app-1", execId: id), exitCode: 0))
        }
        #expect(worker.machine.status.finishedExecutors.map(\.key.execId) == Array(1..<11))
    }
}
