import SparkModel

/// Everything that can happen to a worker, fed to `WorkerStateMachine.handle(_:)` one at a time.
public enum WorkerInput: Sendable, Equatable {
    /// The RPC and HTTP servers are bound; start registering. `now` names the worker.
    case start(now: WorkerInstant)
    /// A message for the `Worker` endpoint. `classPathDirectories`: which of a `LaunchExecutor`'s
    /// class path entries are directories (the shell checks; the launcher marks them with `/`).
    case message(SparkMessage, classPathDirectories: Set<String> = [])
    /// Sending `RegisterWorker` to a master failed (it could not be reached or has no `Master`).
    case registrationFailed(master: RpcAddress, reason: String)
    /// A connection closed; its socket and announced addresses.
    case connectionClosed([RpcAddress])
    case timerFired(WorkerTimer)
    /// The executor process is running.
    case executorStarted(ExecutorKey, pid: Int32)
    /// The executor could not be started (`reason` is a Java-style exception string).
    case executorLaunchFailed(ExecutorKey, reason: String)
    /// The executor process ended; `exitCode` is 128 + signal for a signalled process, as the JVM reports.
    case executorExited(ExecutorKey, exitCode: Int32)
    /// The driver process (this attempt of it) is running.
    case driverStarted(String, pid: Int32)
    /// The driver could not be started: its jar could not be fetched, its directory made, or the
    /// process spawned (`reason` is a Java-style exception).
    case driverLaunchFailed(String, reason: JavaExceptionInfo)
    /// The driver process ended after running `ranForMilliseconds`.
    case driverExited(String, exitCode: Int32, ranForMilliseconds: Int64)
    case stateReportAcknowledged(ExecutorStateChanged)
    case stateReportFailed(ExecutorStateChanged, timedOut: Bool, reason: String)
    /// SIGTERM/SIGINT: kill the executors, tell the master, then exit.
    case shutdownRequested
    /// `spark.worker.decommission.signal` (SIGPWR) with `spark.decommission.enabled`: stop taking
    /// executors and drivers, and tell the master (Spark: `WorkerDecommissionSigReceived`).
    case decommissionSignalReceived
}
