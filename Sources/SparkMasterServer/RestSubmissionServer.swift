#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SparkConfig
import SparkModel
import SparkProtocol
import SparkWebUI

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
        /// `spark.master.rest.maxThreads`: requests served at once (Spark: the server's threads).
        var maxThreads: Int
        var allowedAppResourcePatterns: [String]
        /// `spark.master.rest.filters`: Spark's JWSFilter, the one filter this server runs.
        var jwsFilter: JWSFilter?

        /// Spark 4.1 and later start the server unless told not to; 3.5 only when told to. With
        /// `spark.authenticate=true` it stays off, and asking for it stops the master (as Spark 3.5's
        /// does): it cannot authenticate its clients, and a driver it launched would be handed the secret.
        init(conf: SparkConf, line: SparkVersion) throws(SparkConfError) {
            let authenticate = try conf.bool("spark.authenticate", default: false)
            enabled = try conf.bool("spark.master.rest.enabled", default: line.scalaVersion == "2.13" && !authenticate)
            if enabled, authenticate {
                throw SparkConfError(
                    key: "spark.master.rest.enabled", value: conf["spark.master.rest.enabled"] ?? "true",
                    expected: "false with spark.authenticate=true: the REST submission server cannot authenticate its clients")
            }
            host = conf["spark.master.rest.host"].flatMap { $0.isEmpty ? nil : $0 }
            port = try conf.int("spark.master.rest.port", default: 6066)
            guard (0...65535).contains(port) else {
                throw SparkConfError(key: "spark.master.rest.port", value: String(port), expected: "a port number (0 to 65535)")
            }
            let size = conf["spark.master.rest.maxRequestBodySize"] ?? "100m"
            guard let bytes = SparkConf.parseSize(size, defaultUnit: .bytes), bytes >= 1, bytes <= Double(Int32.max) else {
                throw SparkConfError(key: "spark.master.rest.maxRequestBodySize", value: size, expected: "a positive size up to 2g")
            }
            maxRequestBodyBytes = Int(bytes)
            maxThreads = try conf.int("spark.master.rest.maxThreads", default: 200)
            guard maxThreads >= 1 else {
                throw SparkConfError(key: "spark.master.rest.maxThreads", value: String(maxThreads), expected: "a positive number")
            }
            allowedAppResourcePatterns = conf.list("spark.master.rest.allowedAppResourcePatterns")
            for pattern in allowedAppResourcePatterns where (try? Regex(pattern)) == nil {
                throw SparkConfError(key: "spark.master.rest.allowedAppResourcePatterns", value: pattern, expected: "regular expressions")
            }
            // Servlet filters guard Spark's server. JWSFilter runs here too; serving without any
            // other guard asked for would leave submissions open, so the master does not start.
            if enabled { jwsFilter = try JWSFilter.configured(by: conf, at: .restServer) }
        }
    }

    /// How long a connection may stay silent, between requests or inside one, before it is closed
    /// (Jetty's connector default; Spark sets none for this server).
    static let idleTimeout = TimeAmount.seconds(30)

    let service: MasterService
    let context: RestSubmission.Context
    let maxRequestBodyBytes: Int
    let limit: RequestLimit
    let jwsFilter: JWSFilter?
    /// The port bound, once it is: submissions naming it in `spark.master` are pointed at the RPC
    /// port (Spark uses the configured port, which misses when the server moved on to the next one).
    let boundPort = NIOLockedValueBox(0)

    init(service: MasterService, context: RestSubmission.Context, maxRequestBodyBytes: Int, maxThreads: Int, jwsFilter: JWSFilter? = nil) {
        self.service = service
        self.context = context
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.limit = RequestLimit(maxThreads)
        self.jwsFilter = jwsFilter
    }

    /// Binds `port`, else the next ones (Spark: `Utils.startServiceOnPort`), and serves from a
    /// task of `group`. Throws when no port could be bound.
    static func start(
        _ responder: RestSubmissionServer, host: String, port: Int, retries: Int, logger: Logger,
        group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws -> WebUIServer {
        var serverLogger = Logger(label: "StandaloneRestServer")
        serverLogger.logLevel = .warning
        let server = try await WebUIServer.start(
            serviceName: nil, responder: responder, idleTimeout: idleTimeout, host: host, port: port, retries: retries,
            logger: logger, serverLogger: serverLogger
        ) { task in group.addTask { await task() } }
        responder.boundPort.withLockedValue { $0 = server.port }
        logger.info("Started REST server for submitting applications on \(host) with port \(server.port)")
        return server
    }

    func respond(to request: Request, context requestContext: Context) async throws -> Response {
        var reply: Response
        if let jwsFilter, case .refused(let reason) = jwsFilter.check(
            authorization: request.headers[values: .authorization].first,
            nowMilliseconds: Int64(Date().timeIntervalSince1970 * 1000)) {
            reply = JWSFilter.refusal(reason)
        } else {
            reply = try await limit.run { await self.response(request) }
            if jwsFilter != nil { reply.headers[.cacheControl] = JWSFilter.cacheControl }
        }
        // Jetty answers HEAD as GET, without the body.
        return request.method == .head ? reply.createHeadResponse() : reply
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
            guard service.clearCompletedDriversAndApps() else { return RestSubmission.internalError("The master is not running", context: context) }
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
