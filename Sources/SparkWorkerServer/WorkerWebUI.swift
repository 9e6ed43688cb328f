#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import NIOCore
import NIOPosix
import SparkModel
import SparkWebUI
import SparkWorker

/// The worker's HTTP endpoints (Spark: `WorkerWebUI`, `WorkerPage`, `LogPage`).
///
/// `/json` (and `/json/`): the worker state as Spark 4.3 writes it.
/// `/log?appId=&executorId=&logType=&offset=&byteLength=` (or `?driverId=&logType=…`): a slice of an
/// executor's or a driver's log, with
/// Spark's `==== Bytes a-b of n of <path> ====` header.
/// `/logPage?...`: the same slice on a page, with links to the slices around it.
/// `/log?self&logType=out` and `/logPage?self&logType=out`: the worker's own log, in `SPARK_LOG_DIR`
/// (default: the work directory).
/// `/`: the worker's page.
struct WorkerWebResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let monitor: WorkerMonitor
    let workDirectory: String
    /// Where log slices are read: decompressing rolled files may take a while, off the event
    /// loops and the worker's message loop. nil: NIO's shared pool, started at the first request
    /// (an idle worker runs no pool threads).
    var threadPool: NIOThreadPool?
    var compressedLengths: CompressedLogLengths = .shared
    /// The Spark release in the status page's footer.
    var sparkVersion: String?
    /// The worker's metric documents (Spark's metrics servlets of the `worker` instance; by
    /// default JSON at `/metrics/json`). A path taken by a page stays the page's.
    var metrics: [MetricsRoute] = []
    /// Where the worker's own log is (`LogFiles.workerLogDirectory`); nil: the work directory.
    var logDirectory: String?

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return Self.text("Method not allowed\n", status: .methodNotAllowed)
        }
        var path = request.uri.path
        let endsWithSlash = path.count > 1 && path.hasSuffix("/")
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path != "/json", path != "/log", path != "/logPage", path != "/", let route = metrics.first(where: { $0.path == path }) {
            guard let status = monitor.status else { return Self.text("Worker is starting\n", status: .serviceUnavailable) }
            let (body, contentType) = route.response(MetricsDocument.worker(
                executors: status.executors.count, cores: Int64(status.cores), coresUsed: Int64(status.coresUsed),
                memoryMiB: Int64(status.memoryMiB), memoryUsedMiB: Int64(status.memoryUsedMiB)))
            return WebResponses.text(body, contentType: contentType)
        }
        switch path {
        case "/json":
            guard let status = monitor.status else { return Self.text("Worker is starting\n", status: .serviceUnavailable) }
            var headers = HTTPFields()
            headers[.contentType] = "text/json;charset=utf-8"  // as Spark's Jetty servlets
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: WorkerJSON.workerState(status).rendered)))
        case "/log", "/logPage":
            let query = request.uri.queryParameters
            let (workDirectory, lengths) = (workDirectory, compressedLengths)
            let (appId, executorId, logType) = (query["appId"].map(String.init), query["executorId"].map(String.init), query["logType"].map(String.init))
            let driverId = query["driverId"].map(String.init)
            // Spark reads the numbers first: one that is not a number is refused before anything else.
            let (offset, byteLength): (Int64?, Int64?)
            switch LogFiles.range(offset: query["offset"], byteLength: query["byteLength"]) {
            case .success(let range): (offset, byteLength) = range
            case .failure(let failure): return Self.text(failure.message + "\n", status: failure.status)
            }
            let own = query["self"] != nil
            if own, appId != nil || executorId != nil || driverId != nil {
                return Self.text(WorkerLogs.mustName.message + "\n", status: WorkerLogs.mustName.status)
            }
            // Spark's worker also refuses a log directory outside its work directory, so with the
            // scripts' default (`$SPARK_HOME/logs` beside `$SPARK_HOME/work`) its own log is never
            // shown; the directory here comes from the environment, not the request, and is served.
            let logDirectory = logDirectory ?? LogFiles.workerLogDirectory(environment: [:], workDirectory: workDirectory)
            let slice = try await (threadPool ?? .singleton).runIfActive { () -> Result<LogFiles.Slice, LogFiles.Failure> in
                own
                    ? .success(LogFiles.daemonLog(
                        logType: logType, directory: logDirectory, daemonClass: "org.apache.spark.deploy.worker.Worker", offset: offset,
                        byteLength: byteLength, lengths: lengths))
                    : WorkerLogs.read(
                        workDirectory: workDirectory, appId: appId, executorId: executorId, driverId: driverId, logType: logType,
                        offset: offset, byteLength: byteLength, lengths: lengths)
            }
            switch slice {
            case .success(let slice) where path == "/log":
                return Self.text(slice.header + slice.text, status: .ok)
            case .success(let slice):
                let owner: LogPage.Owner = if own { .daemon("worker") }
                    else if let driverId { .driver(driverId: driverId) }
                    else { .executor(appId: appId ?? "", executorId: executorId ?? "") }
                return WebResponses.html(LogPage.render(.init(
                    logType: logType ?? "null", owner: owner, text: slice.text, start: slice.start, end: slice.end, total: slice.total,
                    byteLength: slice.byteLength, masterWebUiURL: monitor.status?.masterWebUiUrl, pathEndsWithSlash: endsWithSlash,
                    version: sparkVersion)))
            case .failure(let error):
                return Self.text(error.message + "\n", status: error.status)
            }
        case "/":
            guard let status = monitor.status else { return Self.text("Worker is starting\n", status: .serviceUnavailable) }
            func resources(_ assigned: [(String, ResourceInformation)]) -> [WorkerPage.Resource] {
                assigned.map { .init(name: $0.0, addresses: $0.1.addresses) }
            }
            func row(_ record: ExecutorRecord) -> WorkerPage.Executor {
                .init(
                    executorId: Int64(record.key.execId), appId: record.key.appId, appName: record.appDesc.name,
                    user: record.appDesc.user, cores: Int64(record.cores), memoryMiB: Int64(record.memoryMiB),
                    state: record.state.description,
                    resources: resources(record.resources))
            }
            // Spark's WorkerPage: the state is RUNNING until a final one.
            func row(_ record: DriverRecord) -> WorkerPage.Driver {
                .init(
                    driverId: record.driverId, mainClass: record.description.userMainClass,
                    state: record.state.description, cores: Int64(record.description.cores), memoryMiB: Int64(record.description.mem),
                    resources: resources(record.resources),
                    notes: record.finalException.map { "\($0)" } ?? "")
            }
            return WebResponses.html(WorkerPage.render(.init(
                workerId: status.workerId, host: status.host, port: Int(status.port), masterURL: status.masterUrl,
                masterWebUiURL: status.masterWebUiUrl, cores: Int64(status.cores), coresUsed: Int64(status.coresUsed),
                memoryMiB: Int64(status.memoryMiB), memoryUsedMiB: Int64(status.memoryUsedMiB),
                executors: status.executors.map(row), finishedExecutors: status.finishedExecutors.map(row),
                drivers: status.drivers.map(row), finishedDrivers: status.finishedDrivers.map(row), version: sparkVersion,
                resources: status.resources.map { .init(name: $0.name, addresses: $0.addresses) },
                resourcesUsed: status.resourcesUsed.map { .init(name: $0.name, addresses: $0.addresses) })))
        default:
            return Self.text("Not found\n", status: .notFound)
        }
    }

    static func text(_ text: String, status: HTTPResponse.Status) -> Response {
        WebResponses.text(text, status: status)
    }
}
