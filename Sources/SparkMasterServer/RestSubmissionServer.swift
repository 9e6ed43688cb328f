import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SparkConfig
import SparkDaemon
import SparkModel
import SparkProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The master's REST submission server (Spark: `StandaloneRestServer`, port 6066): what
/// `spark-submit --status`/`--kill` and cluster-mode submissions with `spark.master.rest.enabled`
/// talk to. Each request is routed by `RestSubmission` and answered by asking the master's event
/// loop as an RPC peer would.
struct RestSubmissionServer: HTTPResponder {
    typealias Context = BasicRequestContext

    /// `spark.master.rest.*` as the master reads them.
    struct Settings: Sendable, Equatable {
        var enabled: Bool
        var host: String?
        var port: Int
        var maxRequestBodyBytes: Int
        var allowedAppResourcePatterns: [String]
        /// `spark.port.maxRetries`: the ports after `port` tried when it is taken.
        var portMaxRetries: Int

        /// Spark 4.1 and later start the server unless told not to; 3.5 only when told to.
        init(conf: SparkConf, line: SparkVersion) throws(SparkConfError) {
            enabled = try conf.bool("spark.master.rest.enabled", default: line.scalaVersion == "2.13")
            host = conf["spark.master.rest.host"].flatMap { $0.isEmpty ? nil : $0 }
            portMaxRetries = try conf.int("spark.port.maxRetries", default: 16)
            port = try conf.int("spark.master.rest.port", default: 6066)
            guard (0...65535).contains(port) else {
                throw SparkConfError(key: "spark.master.rest.port", value: String(port), expected: "a port number (0 to 65535)")
            }
            let size = conf["spark.master.rest.maxRequestBodySize"] ?? "100m"
            guard let bytes = SparkConf.parseSize(size, defaultUnit: .bytes), bytes >= 1, bytes <= Double(Int32.max) else {
                throw SparkConfError(key: "spark.master.rest.maxRequestBodySize", value: size, expected: "a positive size up to 2g")
            }
            maxRequestBodyBytes = Int(bytes)
            allowedAppResourcePatterns = (conf["spark.master.rest.allowedAppResourcePatterns"] ?? "")
                .split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
                .filter { !$0.isEmpty }
            for pattern in allowedAppResourcePatterns where (try? Regex(pattern)) == nil {
                throw SparkConfError(key: "spark.master.rest.allowedAppResourcePatterns", value: pattern, expected: "regular expressions")
            }
            // Servlet filters (Spark's JWSFilter among them) guard Spark's server; serving without
            // the guard asked for would leave submissions open, so the master does not start.
            if enabled, let filters = conf["spark.master.rest.filters"], !filters.isEmpty {
                throw SparkConfError(
                    key: "spark.master.rest.filters", value: filters,
                    expected: "nothing: this master runs no servlet filters (set spark.master.rest.enabled=false to start without the REST server)")
            }
        }
    }

    let service: MasterService
    let context: RestSubmission.Context
    let maxRequestBodyBytes: Int
    /// The port bound, once it is: submissions naming it in `spark.master` are pointed at the RPC
    /// port (Spark uses the configured port, which misses when the server moved on to the next one).
    let boundPort = NIOLockedValueBox(0)

    init(service: MasterService, context: RestSubmission.Context, maxRequestBodyBytes: Int) {
        self.service = service
        self.context = context
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    /// A bound server, stopped gracefully with the master.
    struct Running: Sendable {
        let port: Int
        let server: ServiceGroup
        let stopped: AsyncStream<Void>

        func stop() async {
            await server.triggerGracefulShutdown()
            await Daemon.waitUntilFinished(stopped, atMost: .seconds(5))
        }
    }

    /// Binds `port`, else the next ones (Spark: `Utils.startServiceOnPort`), and serves from a
    /// task of `group`. Throws when no port could be bound.
    static func start(
        _ responder: RestSubmissionServer, host: String, port: Int, retries: Int, logger: Logger,
        group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws -> Running {
        var serverLogger = Logger(label: "StandaloneRestServer")
        serverLogger.logLevel = .warning
        let attempts = port == 0 ? 0 : max(0, min(retries, 65535 - port))
        var failure = ""
        for attempt in 0...attempts {
            let candidate = port == 0 ? 0 : port + attempt
            let (events, sink) = AsyncStream.makeStream(of: Result<Int, BindFailure>.self)
            let application = Application(
                responder: responder,
                configuration: .init(address: .hostname(host, port: candidate), serverName: nil, reuseAddress: true),
                onServerRunning: { channel in sink.yield(.success(channel.localAddress?.port ?? candidate)) },
                logger: serverLogger)
            let server = ServiceGroup(configuration: .init(services: [application], logger: serverLogger))
            let (stopped, stoppedSink) = AsyncStream.makeStream(of: Void.self)
            group.addTask {
                do {
                    try await server.run()
                } catch {
                    let inUse = (error as? IOError)?.errnoCode == EADDRINUSE
                    if responder.boundPort.withLockedValue({ $0 }) != 0 {
                        logger.error("The REST server stopped: \(error)")
                    } else {
                        sink.yield(.failure(BindFailure(reason: "\(error)", addressInUse: inUse)))
                    }
                }
                sink.finish()
                stoppedSink.finish()
            }
            var iterator = events.makeAsyncIterator()
            switch await iterator.next() {
            case .success(let bound):
                responder.boundPort.withLockedValue { $0 = bound }
                logger.info("Successfully started service on port \(bound).")
                logger.info("Started REST server for submitting applications on \(host) with port \(bound)")
                return Running(port: bound, server: server, stopped: stopped)
            case .failure(let error):
                failure = error.reason
                guard error.addressInUse else { break }
                if attempt < attempts {
                    logger.warning("Service could not bind on port \(candidate). Attempting port \(candidate + 1).")
                }
                continue
            case nil:
                failure = "the server stopped before it was bound"
            }
            break
        }
        throw BindFailure(reason: "Failed to start the REST server on \(host):\(port): \(failure)")
    }

    struct BindFailure: Error, CustomStringConvertible {
        var reason: String
        var addressInUse = false
        var description: String { reason }
    }

    func respond(to request: Request, context requestContext: Context) async throws -> Response {
        let response = await response(request)
        // Jetty answers HEAD as GET, without the body.
        return request.method == .head ? response.createHeadResponse() : response
    }

    func response(_ request: Request) async -> Response {
        let answer = await answer(request)
        var headers = HTTPFields()
        guard let body = answer.body else {
            headers[.contentLength] = "0"
            return Response(status: .init(code: answer.status), headers: headers)
        }
        headers[.contentType] = "application/json;charset=utf-8"
        let text = body.prettyPrinted
        headers[.contentLength] = String(text.utf8.count)
        // Jetty names the status it has no phrase for by its number.
        let status: HTTPResponse.Status = answer.status == RestSubmission.unknownProtocolVersion
            ? .init(code: answer.status, reasonPhrase: String(answer.status)) : .init(code: answer.status)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func answer(_ request: Request) async -> RestSubmission.Answer {
        switch RestSubmission.route(method: request.method.rawValue, path: request.uri.path, context: context) {
        case .answer(let answer):
            return answer
        case .create:
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxRequestBodyBytes)
            } catch let error as HTTPResponseError where error.status == .contentTooLarge {
                return RestSubmission.error(413, "The request body exceeds spark.master.rest.maxRequestBodySize (\(maxRequestBodyBytes) bytes).", context)
            } catch {
                return RestSubmission.error(400, "Malformed request: the body could not be read: \(error)", context)
            }
            let description: DriverDescription
            let unknownFields: [String]
            var context = context
            let bound = boundPort.withLockedValue { $0 }
            if bound != 0 { context.restPort = bound }
            do {
                let parsed = try RestSubmission.parseCreate(Array(buffer: body), context: context)
                description = try RestSubmission.driverDescription(parsed, context: context)
                unknownFields = parsed.unknownFields
            } catch {
                return RestSubmission.refused(error, context: context)
            }
            switch await service.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description))) {
            case .submitDriverResponse(let response): return RestSubmission.created(response, unknownFields: unknownFields, context: context)
            case let other: return unexpected(other)
            }
        case .kill(let id):
            switch await service.ask(.requestKillDriver(RequestKillDriver(driverId: id))) {
            case .killDriverResponse(let response): return RestSubmission.killed(response, id: id, context: context)
            case let other: return unexpected(other)
            }
        case .killAll:
            switch await service.ask(.requestKillAllDrivers) {
            case .killAllDriversResponse(let response): return RestSubmission.killedAll(response, context: context)
            case let other: return unexpected(other)
            }
        case .status(let id):
            switch await service.ask(.requestDriverStatus(RequestDriverStatus(driverId: id))) {
            case .driverStatusResponse(let response): return RestSubmission.status(response, id: id, context: context)
            case let other: return unexpected(other)
            }
        case .clear:
            service.clearCompletedDriversAndApps()
            return RestSubmission.cleared(context: context)
        case .readyz:
            let state = await service.snapshot()?.state
            return RestSubmission.readyz(ready: state != nil && state != .standby, context: context)
        }
    }

    private func unexpected(_ reply: SparkMessage) -> RestSubmission.Answer {
        if case .rpcFailure(let failure) = reply {
            return RestSubmission.internalError("\(failure.className): \(failure.message ?? "")", context: context)
        }
        return RestSubmission.internalError("unexpected reply \(reply.name) from the master", context: context)
    }
}
