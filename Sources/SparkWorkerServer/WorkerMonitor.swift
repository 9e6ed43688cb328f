import NIOConcurrencyHelpers
import SparkModel
import SparkWorker

/// A read-only view of a running worker, updated after every input the core handled: what the
/// web UI serves and what tests and operators can query in-process.
public final class WorkerMonitor: @unchecked Sendable {
    // All state is guarded by `lock`.
    private let lock = NIOLock()
    private var _status: WorkerStatus?
    private var _rpcAddress: RpcAddress?
    private var _webUiPort: Int?

    public init() {}

    /// The latest worker status (nil until the worker started).
    public var status: WorkerStatus? { lock.withLock { _status } }

    /// The bound RPC address once listening.
    public var rpcAddress: RpcAddress? { lock.withLock { _rpcAddress } }

    /// The bound web UI port once listening.
    public var webUiPort: Int? { lock.withLock { _webUiPort } }

    /// Pids of the executor processes currently running.
    public var executorPids: [ExecutorKey: Int32] {
        lock.withLock {
            var pids: [ExecutorKey: Int32] = [:]
            for executor in _status?.executors ?? [] {
                if let pid = executor.pid { pids[executor.key] = pid }
            }
            return pids
        }
    }

    func update(_ status: WorkerStatus) { lock.withLock { _status = status } }
    func bound(rpc: RpcAddress) { lock.withLock { _rpcAddress = rpc } }
    func bound(webUiPort: Int) { lock.withLock { _webUiPort = webUiPort } }
}
