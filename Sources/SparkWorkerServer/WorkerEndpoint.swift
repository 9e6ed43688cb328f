import SparkModel
import SparkRPC
import SparkWorker

/// What reaches the worker's single message loop.
enum WorkerShellEvent: Sendable {
    case input(WorkerInput)
    /// A message from a peer, counted in `backlog` until the loop takes it.
    case call(RpcCall, InboundBacklog)
    /// A timer fired; stale generations (cancelled or rescheduled timers) are dropped.
    case timer(WorkerTimer, generation: UInt64)
}

/// The `Worker` RPC endpoint: hands every call to the message loop, never blocking the event loop.
///
/// Executors' `WorkerWatcher`s only verify that `Worker` exists (answered by the environment's
/// `endpoint-verifier`) and keep their connection open; when the worker dies the socket closes
/// and the executors exit by themselves.
struct WorkerEndpoint: RpcEndpoint {
    let sink: AsyncStream<WorkerShellEvent>.Continuation
    /// Messages waiting for the loop; past it, the worker's connections stop reading until the
    /// loop catches up. Masters send a worker a few messages per executor.
    let backlog: InboundBacklog

    static let maxQueuedCalls = 4096
    static let maxQueuedBytes = 32 << 20

    func receive(_ call: RpcCall) {
        if call.isAsk {
            // Spark's Worker answers only RequestWorkerState (its own UI) with a reply.
            call.fail(JavaExceptionInfo(
                className: "org.apache.spark.SparkException",
                message: "Worker does not implement 'receiveAndReply' for \(call.message.name)"))
            return
        }
        backlog.added(call)
        sink.yield(.call(call, backlog))
    }

    func connectionClosed(addresses: [RpcAddress], connection: RpcConnection) {
        sink.yield(.input(.connectionClosed(addresses)))
    }
}
