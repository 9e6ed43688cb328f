#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkConfig
import SparkModel
import SparkProtocol

/// Spark's REST submission protocol (`org.apache.spark.deploy.rest`, version `v1`), as the
/// standalone Master serves it: which path does what, how a `CreateSubmissionRequest` is checked
/// and turned into a `DriverDescription`, and the JSON messages answered. No I/O here: the server
/// (`RestSubmissionServer`) asks the master and sends what these functions build.
///
/// Messages are printed like Jackson's with Spark's settings: pretty, keys in alphabetical order,
/// nil fields left out.
public enum RestSubmission {
    public static let protocolVersion = "v1"
    /// Spark: `RestSubmissionServer.SC_UNKNOWN_PROTOCOL_VERSION`.
    public static let unknownProtocolVersion = 468
    static let notAlivePrefix = "Current state is not alive"

    /// What the server does for one request.
    public enum Route: Sendable, Equatable {
        case create
        case kill(String)
        case killAll
        case status(String)
        case clear
        case readyz
        /// An answer without asking the master (a path or method the server does not serve).
        case answer(Answer)
    }

    /// An HTTP status and its body; `nil` body: an empty, non-JSON answer (Jetty's 405).
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var body: JSONValue?

        public init(status: Int, body: JSONValue?) {
            self.status = status
            self.body = body
        }

        /// Jetty's answer to a method the servlet does not take.
        static let methodNotAllowed = Answer(status: 405, body: nil)
    }

    /// The server's settings.
    public struct Context: Sendable {
        /// The release in `serverSparkVersion`.
        public var serverVersion: String
        /// Spark 4 added `killall`, `clear` and `readyz`, and relaxed what a submission must carry.
        public var line: SparkVersion
        /// The master's RPC URL (`spark://host:port`).
        public var masterURL: String
        /// `spark.master.rest.port` as configured: `spark.master` values naming it are pointed at the RPC port.
        public var restPort: Int
        /// `spark.master.rest.allowedAppResourcePatterns` (Spark 4.3): anchored regular expressions.
        public var allowedAppResourcePatterns: [String]
        /// The master's environment, for `{{NAME}}` placeholders in properties and variables (Spark 4).
        public var environment: [String: String]

        public init(
            serverVersion: String, line: SparkVersion, masterURL: String, restPort: Int, allowedAppResourcePatterns: [String] = [],
            environment: [String: String] = [:]
        ) {
            self.serverVersion = serverVersion
            self.line = line
            self.masterURL = masterURL
            self.restPort = restPort
            self.allowedAppResourcePatterns = allowedAppResourcePatterns
            self.environment = environment
        }

        var isSpark4: Bool { line.scalaVersion == "2.13" }
    }

    // MARK: - Routing

    /// Spark's servlet mappings (`/v1/submissions/<action>/*`), the error servlet for the rest, and
    /// Jetty's empty 405 for a method a servlet does not take.
    public static func route(method: String, path: String, context: Context) -> Route {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if segments.count >= 3, segments[0] == protocolVersion, segments[1] == "submissions" {
            // What follows the action, as the servlet's path info (`/<id>/…`).
            let id = segments.count >= 4 ? segments[3] : ""
            let isGet = method == "GET" || method == "HEAD"
            switch segments[2] {
            case "create":
                return method == "POST" ? .create : .answer(.methodNotAllowed)
            case "kill":
                guard method == "POST" else { return .answer(.methodNotAllowed) }
                return id.isEmpty ? .answer(error(400, "Submission ID is missing in kill request.", context)) : .kill(id)
            case "status":
                guard isGet else { return .answer(.methodNotAllowed) }
                return id.isEmpty ? .answer(error(400, "Submission ID is missing in status request.", context)) : .status(id)
            case "killall" where context.isSpark4:
                return method == "POST" ? .killAll : .answer(.methodNotAllowed)
            case "clear" where context.isSpark4:
                return method == "POST" ? .clear : .answer(.methodNotAllowed)
            case "readyz" where context.isSpark4:
                return isGet ? .readyz : .answer(.methodNotAllowed)
            default:
                break
            }
        }
        return .answer(errorServlet(path: path, context: context))
    }

    /// Spark's `ErrorServlet`: what is wrong with the path, by its non-empty segments.
    static func errorServlet(path: String, context: Context) -> Answer {
        let parts = path.split(separator: "/").map(String.init)
        let actions = context.isSpark4 ? "/create, /kill, /killall, /clear, /status, or /readyz" : "/create, /kill, or /status"
        let suffix = " Please submit requests through http://[host]:[port]/\(protocolVersion)/submissions/..."
        if parts.isEmpty { return error(400, "Missing protocol version." + suffix, context) }
        if parts == [protocolVersion] { return error(400, "Missing the /submissions prefix." + suffix, context) }
        if parts.count >= 2, parts[0] == protocolVersion, parts[1] == "submissions" {
            return error(400, "Missing an action: please specify one of \(actions)." + suffix, context)
        }
        // Any other first segment, the server's own version included (`/v1/x`), is an unknown version.
        return Answer(status: unknownProtocolVersion, body: message("ErrorResponse", context, [
            ("highestProtocolVersion", .string(protocolVersion)), ("message", .string("Unknown protocol version '\(parts[0])'." + suffix)),
        ]))
    }

    // MARK: - Messages

    /// A response object: `action`, `serverSparkVersion` and the given fields without the nil ones,
    /// keys in alphabetical order.
    static func message(_ action: String, _ context: Context, _ fields: [(String, JSONValue?)]) -> JSONValue {
        var all: [(String, JSONValue)] = [("action", .string(action)), ("serverSparkVersion", .string(context.serverVersion))]
        for (key, value) in fields { if let value { all.append((key, value)) } }
        all.sort { $0.0 < $1.0 }
        return .object(all)
    }

    static func error(_ status: Int, _ text: String, _ context: Context) -> Answer {
        Answer(status: status, body: message("ErrorResponse", context, [("message", .string(text))]))
    }

    /// The answer to `create`, from the master's `SubmitDriverResponse`.
    public static func created(_ response: SubmitDriverResponse, unknownFields: [String], context: Context) -> Answer {
        Answer(status: 200, body: message("CreateSubmissionResponse", context, [
            ("message", .string(response.message)), ("submissionId", response.driverId.map(JSONValue.string)),
            ("success", .bool(response.success)), ("unknownFields", unknownFields.isEmpty ? nil : .array(unknownFields.map(JSONValue.string))),
        ]))
    }

    public static func killed(_ response: KillDriverResponse, id: String, context: Context) -> Answer {
        Answer(status: 200, body: message("KillSubmissionResponse", context, [
            ("message", .string(response.message)), ("submissionId", .string(id)), ("success", .bool(response.success)),
        ]))
    }

    public static func killedAll(_ response: KillAllDriversResponse, context: Context) -> Answer {
        Answer(status: 200, body: message("KillAllSubmissionResponse", context, [
            ("message", .string(response.message)), ("success", .bool(response.success)),
        ]))
    }

    /// Spark: the state's name, the worker, and the driver's exception after `Exception from the cluster:`.
    public static func status(_ response: DriverStatusResponse, id: String, context: Context) -> Answer {
        let exception = response.exception.map { exception -> JSONValue in
            let text = exception.message.map { "\(exception.className): \($0)" } ?? exception.className
            return .string("Exception from the cluster:\n" + text)
        }
        return Answer(status: 200, body: message("SubmissionStatusResponse", context, [
            ("driverState", response.state.map { .string($0.description) }), ("message", exception), ("submissionId", .string(id)),
            ("success", .bool(response.found)), ("workerHostPort", response.workerHostPort.map(JSONValue.string)),
            ("workerId", response.workerId.map(JSONValue.string)),
        ]))
    }

    public static func cleared(context: Context) -> Answer {
        Answer(status: 200, body: message("ClearResponse", context, [("message", .string("")), ("success", .bool(true))]))
    }

    public static func readyz(ready: Bool, context: Context) -> Answer {
        guard ready else { return error(503, "Master is not ready.", context) }
        return Answer(status: 200, body: message("ReadyzResponse", context, [("message", .string("")), ("success", .bool(true))]))
    }

    /// A request refused before the master is asked: `Malformed request: …` (Spark prints the
    /// exception and its stack), or a message of another type.
    public static func refused(_ refusal: Refusal, context: Context) -> Answer {
        refusal.className.isEmpty ? error(400, refusal.message, context) : error(400, "Malformed request: \(refusal)", context)
    }

    /// A master that could not be asked (it stopped, or answered with a failure).
    public static func internalError(_ text: String, context: Context) -> Answer {
        error(500, "Internal server error: " + text, context)
    }

    // MARK: - Submissions

    /// A `CreateSubmissionRequest` as sent.
    public struct CreateRequest: Sendable, Equatable {
        public var appResource: String
        public var mainClass: String?
        public var appArgs: [String]
        public var sparkProperties: [String: String]
        public var environmentVariables: [String: String]
        public var clientSparkVersion: String
        /// Top-level fields the server does not know (answered in `unknownFields`).
        public var unknownFields: [String]
    }

    /// Why a request is refused: Spark's exception class and message, as its `Malformed request:` answers print them.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var className: String
        public var message: String
        public var cause: String?
        public var description: String {
            "\(className): \(message)" + (cause.map { "\n\tcaused by: \($0)" } ?? "")
        }

        static func validation(_ reason: String) -> Refusal {
            Refusal(
                className: "org.apache.spark.deploy.rest.SubmitRestProtocolException",
                message: "Validation of message CreateSubmissionRequest failed!", cause: reason)
        }

        static func missing(_ field: String) -> Refusal {
            validation("org.apache.spark.deploy.rest.SubmitRestMissingFieldException: '\(field)' is missing in message CreateSubmissionRequest.")
        }
    }

    /// The request's JSON, decoded and checked as `SubmitRestProtocolMessage.fromJson` and
    /// `CreateSubmissionRequest.validate` do.
    public static func parseCreate(_ body: [UInt8], context: Context) throws(Refusal) -> CreateRequest {
        let keys: [String]
        let decoded: Wire
        do {
            keys = try JSONDecoder().decode(TopLevelKeys.self, from: Data(body)).keys
        } catch {
            throw Refusal(className: "com.fasterxml.jackson.core.JsonParseException", message: "Not a JSON object: \(error)")
        }
        do {
            decoded = try JSONDecoder().decode(Wire.self, from: Data(body))
        } catch {
            throw Refusal(className: "com.fasterxml.jackson.databind.exc.MismatchedInputException", message: "\(error)")
        }
        guard let action = decoded.action else {
            throw Refusal(
                className: "org.apache.spark.deploy.rest.SubmitRestMissingFieldException",
                message: "Action field not found in JSON:\n" + String(decoding: body, as: UTF8.self))
        }
        guard action == "CreateSubmissionRequest" else { throw Refusal(className: "", message: "Received message of unexpected type \(action).") }
        guard let clientSparkVersion = decoded.clientSparkVersion else { throw .missing("clientSparkVersion") }
        guard let properties = decoded.sparkProperties else {
            throw .validation("java.lang.IllegalArgumentException: No Spark properties set!")
        }
        guard let appResource = decoded.appResource else { throw .missing("appResource") }
        if !context.isSpark4 {
            if decoded.appArgs == nil { throw .missing("appArgs") }
            if decoded.environmentVariables == nil { throw .missing("environmentVariables") }
            if properties["spark.app.name"] == nil { throw .missing("spark.app.name") }
        }
        func check(_ key: String, _ type: String, _ valid: (String) -> Bool) throws(Refusal) {
            if let value = properties[key], !valid(value) {
                throw .validation("java.lang.IllegalArgumentException: Property '\(key)' expected \(type) value: actual was '\(value)'.")
            }
        }
        try check("spark.driver.supervise", "boolean") { ["true", "false"].contains($0.lowercased()) }
        try check("spark.driver.cores", "numeric") { Double($0) != nil }
        try check("spark.cores.max", "numeric") { Double($0) != nil }
        try check("spark.driver.memory", "memory") { SparkConf.memoryStringToMebibytes($0) != nil }
        try check("spark.executor.memory", "memory") { SparkConf.memoryStringToMebibytes($0) != nil }
        let known: Set<String> = [
            "action", "message", "clientSparkVersion", "appResource", "mainClass", "appArgs", "sparkProperties", "environmentVariables",
        ]
        return CreateRequest(
            appResource: appResource, mainClass: decoded.mainClass, appArgs: decoded.appArgs ?? [], sparkProperties: properties,
            environmentVariables: decoded.environmentVariables ?? [:], clientSparkVersion: clientSparkVersion,
            unknownFields: keys.filter { !known.contains($0) })
    }

    /// The driver Spark's `StandaloneSubmitRequestServlet.buildDriverDescription` makes of a request.
    public static func driverDescription(_ request: CreateRequest, context: Context) throws(Refusal) -> DriverDescription {
        let missing = "org.apache.spark.deploy.rest.SubmitRestMissingFieldException"
        guard let mainClass = request.mainClass else { throw Refusal(className: missing, message: "Main class is missing.") }
        if !context.allowedAppResourcePatterns.isEmpty {
            // Bounded before any pattern backtracks over it (a URL, not a document).
            let allowed = request.appResource.utf8.count <= 8192 && context.allowedAppResourcePatterns.contains { pattern in
                (try? Regex(pattern)).map { request.appResource.wholeMatch(of: $0) != nil } ?? false
            }
            guard allowed else {
                throw Refusal(className: "org.apache.spark.deploy.rest.SubmitRestProtocolException", message: "Valid application jar path is required")
            }
        }
        // Spark 4: a whole value `{{NAME}}` is the master's environment variable NAME, when set
        // (never the RPC secret).
        func resolved(_ value: String) -> String {
            guard context.isSpark4, value.count > 4, value.hasPrefix("{{"), value.hasSuffix("}}"),
                  value.dropFirst(2).dropLast(2) != "_SPARK_AUTH_SECRET",
                  let replacement = context.environment[String(value.dropFirst(2).dropLast(2))]
            else { return value }
            return replacement
        }
        var properties = request.sparkProperties.mapValues(resolved)
        let masterPort = context.masterURL.split(separator: ":").last.map(String.init) ?? ""
        properties["spark.master"] = properties["spark.master"].map {
            $0.replacing(":\(context.restPort)", with: ":\(masterPort)")
        } ?? context.masterURL
        var environment: [(String, String)] = []
        for (name, value) in request.environmentVariables.sorted(by: { $0.key < $1.key })
        where name != "SPARK_LOCAL_IP" && name != "SPARK_LOCAL_HOSTNAME" {
            environment.append((name, context.isSpark4 ? resolved(value) : value))
        }
        func paths(_ key: String) -> [String] {
            properties[key].map { $0.split(separator: ":").map(String.init) } ?? []
        }
        var javaOpts = context.isSpark4 ? moduleOptions : []
        javaOpts += properties.sorted { $0.key < $1.key }.map { "-D\($0.key)=\($0.value)" }
        javaOpts += properties["spark.driver.defaultJavaOptions"].map(JVMOptions.split) ?? []
        javaOpts += properties["spark.driver.extraJavaOptions"].map(JVMOptions.split) ?? []
        var arguments = ["{{WORKER_URL}}", "{{USER_JAR}}", mainClass]
        if mainClass == "org.apache.spark.deploy.SparkSubmit", let name = properties["spark.app.name"] {
            arguments += ["-c", "spark.app.name=\(name)"]
        }
        arguments += request.appArgs
        let command = Command(
            mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: arguments, environment: environment,
            classPathEntries: paths("spark.driver.extraClassPath"), libraryPathEntries: paths("spark.driver.extraLibraryPath"),
            javaOpts: javaOpts)
        let memory = properties["spark.driver.memory"].flatMap(SparkConf.memoryStringToMebibytes) ?? 1024
        guard let cores = Int32(properties["spark.driver.cores"] ?? "1") else {
            throw Refusal(className: "java.lang.NumberFormatException", message: "For input string: \"\(properties["spark.driver.cores"] ?? "")\"")
        }
        var resources: [ResourceRequirement] = []
        for (key, value) in properties.sorted(by: { $0.key < $1.key })
        where key.hasPrefix("spark.driver.resource.") && key.hasSuffix(".amount") {
            let name = String(key.dropFirst("spark.driver.resource.".count).dropLast(".amount".count))
            guard !name.isEmpty, let amount = Int32(value) else { continue }
            resources.append(ResourceRequirement(resourceName: name, amount: amount))
        }
        return DriverDescription(
            jarUrl: request.appResource, mem: Int32(clamping: memory), cores: cores,
            supervise: properties["spark.driver.supervise"]?.lowercased() == "true", command: command, resourceReqs: resources)
    }

    /// First in a REST-submitted driver's options (Spark 4).
    static let moduleOptions = JavaModuleOptions.spark4_3

    /// The fields of a request Spark reads (Jackson maps them by name; others are ignored).
    private struct Wire: Decodable {
        var action: String?
        var clientSparkVersion: String?
        var appResource: String?
        var mainClass: String?
        var appArgs: [String]?
        var sparkProperties: [String: String]?
        var environmentVariables: [String: String]?
    }

    /// The names of a JSON object's fields.
    private struct TopLevelKeys: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var keys: [String]

        init(from decoder: any Decoder) throws {
            keys = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
        }
    }
}
