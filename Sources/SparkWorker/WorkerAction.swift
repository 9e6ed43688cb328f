import SparkModel

/// An effect the core asks the shell to perform. Plain data: tests compare them directly.
public enum WorkerAction: Sendable, Equatable {
    /// Check that `master` exists (`CheckExistence`) and send it `RegisterWorker`; report a
    /// failure with `WorkerInput.registrationFailed`.
    case register(RegisterWorker, master: RpcEndpointRef)
    /// One-way message to the master (in order per master).
    case send(SparkMessage, to: RpcEndpointRef)
    /// Ask the master to acknowledge an executor state change; answer with
    /// `stateReportAcknowledged` or `stateReportFailed`.
    case reportExecutorState(ExecutorStateChanged, master: RpcEndpointRef, timeout: Duration)
    /// Start an executor process; answer with `executorStarted` or `executorLaunchFailed`, later
    /// `executorExited`.
    case launchExecutor(ExecutorLaunch)
    /// SIGTERM the executor's process group, SIGKILL it after `grace` if it is still running.
    case killExecutor(ExecutorKey, pid: Int32, grace: Duration)
    /// Make the driver's directory, fetch its jar unless it is there, start the process, all off
    /// the message loop; answer with `driverStarted` or `driverLaunchFailed`, later `driverExited`.
    case launchDriver(DriverLaunch)
    /// SIGTERM the driver's process group, SIGKILL it after `grace` if it is still running.
    case killDriver(String, pid: Int32, grace: Duration)
    /// The driver being prepared must not be started: answer with `driverExited(exitCode: -1)`
    /// instead of `driverStarted` if it was not started yet.
    case cancelDriverLaunch(String)
    case scheduleTimer(WorkerTimer, after: Duration)
    case cancelTimer(WorkerTimer)
    /// Delete these directories recursively, off the message loop.
    case deleteDirectories([String])
    /// Delete stale application directories under the work directory, off the message loop.
    case cleanupWorkDirectory(WorkDirectoryCleanup)
    /// The shuffle service deletes the exited executor's files other than its shuffle outputs
    /// (and cached RDD blocks when `keepRddBlocks`), off the message loop.
    case shuffleServiceExecutorRemoved(ExecutorKey, keepRddBlocks: Bool)
    /// The shuffle service forgets the finished application's executors.
    case shuffleServiceApplicationRemoved(String)
    case log(WorkerLogLevel, String)
    /// Stop the worker with this exit code (0 after a graceful shutdown). The shell kills any
    /// executor process still alive.
    case exit(code: Int32)
}
