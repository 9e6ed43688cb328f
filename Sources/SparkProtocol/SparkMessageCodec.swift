import JavaSerialization
import NIOCore
import SparkModel

/// Maps `SparkMessage`s to and from the Java objects Spark's JVMs exchange.
///
/// Decoding dispatches on class names and ignores serialVersionUIDs; encoding writes the shapes and
/// SUIDs of the given Spark version.
public enum SparkMessageCodec {
    public typealias Failure = SparkProtocolError
    private typealias D = JavaGraphDecoder
    private typealias N = SparkClassNames

    // MARK: - Streams

    /// Decodes a complete Java serialization stream holding one message.
    public static func decode(
        stream: ByteBuffer, limits: JavaReaderLimits = .default
    ) throws(Failure) -> SparkMessage {
        let value: JavaValue
        do throws(JavaSerializationError) {
            value = try JavaStreamReader.readSingleObject(from: stream, limits: limits)
        } catch {
            throw Failure(error)
        }
        return try decode(value)
    }

    /// Encodes `message` as a complete Java serialization stream for a peer of `version`.
    public static func encode(_ message: SparkMessage, version: SparkVersion, into buffer: inout ByteBuffer) throws(Failure) {
        let value = try encodeObject(message, version: version)
        do throws(JavaSerializationError) {
            try JavaStreamWriter.encode(value, into: &buffer)
        } catch {
            throw Failure(error)
        }
    }

    public static func encode(_ message: SparkMessage, version: SparkVersion) throws(Failure) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(message, version: version, into: &buffer)
        return buffer
    }

    // MARK: - Decoding

    /// Maps a decoded object to a message; unknown classes become `.unknown`.
    public static func decode(_ value: JavaValue) throws(Failure) -> SparkMessage {
        if let module = D.moduleName(value) {
            switch module {
            case N.deploy("MasterInStandby$"): return .masterInStandby
            case N.deploy("DecommissionWorker$"): return .decommissionWorker
            case N.deploy("RequestKillAllDrivers$"): return .requestKillAllDrivers
            default: return .unknown(className: module, object: PreservedObject(value.object!))
            }
        }
        let object = try D.object(value, "message")
        let name = object.className
        do throws(Failure) {
            return try decode(object, className: name)
        } catch {
            throw error.within(simpleName(name))
        }
    }

    private static func decode(_ o: JavaObject, className: String) throws(Failure) -> SparkMessage {
        switch className {
        case N.checkExistence:
            return .checkExistence(CheckExistence(name: try D.string(o, "name")))
        case "java.lang.Boolean":
            return .boolean(try D.bool(o, "value"))
        case N.rpcFailure:
            return .rpcFailure(try D.exception(try D.field(o, "e"), "e"))
        case N.deploy("RegisterWorker"):
            return .registerWorker(RegisterWorker(
                id: try D.string(o, "id"), host: try D.string(o, "host"), port: try D.int(o, "port"),
                worker: try D.endpointRef(try D.field(o, "worker"), "worker"),
                cores: try D.int(o, "cores"), memory: try D.int(o, "memory"),
                workerWebUiUrl: try D.string(o, "workerWebUiUrl"),
                masterAddress: try D.rpcAddress(try D.field(o, "masterAddress"), "masterAddress"),
                resources: try resources(o, "resources")))
        case N.deploy("WorkerLatestState"):
            let executors = try D.sequence(try D.field(o, "executors"), "executors")
            return .workerLatestState(WorkerLatestState(
                id: try D.string(o, "id"),
                executors: try executors.enumerated().map { (index, value) throws(Failure) in
                    do throws(Failure) { return try executorDescription(value) } catch { throw error.within("executors[\(index)]") }
                },
                driverIds: try D.stringSequence(o, "driverIds")))
        case N.deploy("Heartbeat"):
            return .heartbeat(Heartbeat(
                workerId: try D.string(o, "workerId"), worker: try D.endpointRef(try D.field(o, "worker"), "worker")))
        case N.deploy("ExecutorStateChanged"):
            return .executorStateChanged(ExecutorStateChanged(
                appId: try D.string(o, "appId"), execId: try D.int(o, "execId"),
                state: try D.enumeration(o, "state", as: ExecutorState.self),
                message: try D.optionString(o, "message"), exitStatus: try D.optionInt(o, "exitStatus")))
        case N.deploy("DriverStateChanged"):
            return .driverStateChanged(DriverStateChanged(
                driverId: try D.string(o, "driverId"), state: try D.enumeration(o, "state", as: DriverState.self),
                exception: try optionException(o, "exception")))
        case N.deploy("WorkerSchedulerStateResponse"):
            let executors = try D.sequence(try D.field(o, "execResponses"), "execResponses")
            let drivers = try D.sequence(try D.field(o, "driverResponses"), "driverResponses")
            return .workerSchedulerStateResponse(WorkerSchedulerStateResponse(
                id: try D.string(o, "id"),
                execResponses: try executors.enumerated().map { (index, value) throws(Failure) in
                    do throws(Failure) {
                        let element = try D.object(value, "element")
                        return WorkerExecutorStateResponse(
                            desc: try executorDescription(try D.field(element, "desc")),
                            resources: try resources(element, "resources"))
                    } catch {
                        throw error.within("execResponses[\(index)]")
                    }
                },
                driverResponses: try drivers.enumerated().map { (index, value) throws(Failure) in
                    do throws(Failure) {
                        let element = try D.object(value, "element")
                        return WorkerDriverStateResponse(
                            driverId: try D.string(element, "driverId"), resources: try resources(element, "resources"))
                    } catch {
                        throw error.within("driverResponses[\(index)]")
                    }
                }))
        case N.deploy("WorkerDecommissioning"):
            return .workerDecommissioning(WorkerDecommissioning(
                id: try D.string(o, "id"), workerRef: try D.endpointRef(try D.field(o, "workerRef"), "workerRef")))
        case N.deploy("RegisteredWorker"):
            return .registeredWorker(RegisteredWorker(
                master: try D.endpointRef(try D.field(o, "master"), "master"),
                masterWebUiUrl: try D.string(o, "masterWebUiUrl"),
                masterAddress: try D.rpcAddress(try D.field(o, "masterAddress"), "masterAddress"),
                duplicate: try D.bool(o, "duplicate")))
        case N.deploy("RegisterWorkerFailed"):
            return .registerWorkerFailed(RegisterWorkerFailed(message: try D.string(o, "message")))
        case N.deploy("ReconnectWorker"):
            return .reconnectWorker(ReconnectWorker(masterUrl: try D.string(o, "masterUrl")))
        case N.deploy("LaunchExecutor"):
            return .launchExecutor(LaunchExecutor(
                masterUrl: try D.string(o, "masterUrl"), appId: try D.string(o, "appId"),
                execId: try D.int(o, "execId"), rpId: try D.int(o, "rpId"),
                appDesc: try within("appDesc") { () throws(Failure) in try applicationDescription(try D.field(o, "appDesc")) },
                cores: try D.int(o, "cores"), memory: try D.int(o, "memory"),
                resources: try resources(o, "resources")))
        case N.deploy("KillExecutor"):
            return .killExecutor(KillExecutor(
                masterUrl: try D.string(o, "masterUrl"), appId: try D.string(o, "appId"), execId: try D.int(o, "execId")))
        case N.deploy("LaunchDriver"):
            return .launchDriver(LaunchDriver(
                driverId: try D.string(o, "driverId"),
                driverDesc: try within("driverDesc") { () throws(Failure) in try driverDescription(try D.field(o, "driverDesc")) },
                resources: try resources(o, "resources")))
        case N.deploy("KillDriver"):
            return .killDriver(KillDriver(driverId: try D.string(o, "driverId")))
        case N.deploy("ApplicationFinished"):
            return .applicationFinished(ApplicationFinished(id: try D.string(o, "id")))
        case N.deploy("MasterChanged"):
            return .masterChanged(MasterChanged(
                master: try D.endpointRef(try D.field(o, "master"), "master"),
                masterWebUiUrl: try D.string(o, "masterWebUiUrl")))
        case N.deploy("RegisterApplication"):
            return .registerApplication(RegisterApplication(
                appDescription: try within("appDescription") { () throws(Failure) in
                    try applicationDescription(try D.field(o, "appDescription"))
                },
                driver: try D.endpointRef(try D.field(o, "driver"), "driver")))
        case N.deploy("RegisteredApplication"):
            return .registeredApplication(RegisteredApplication(
                appId: try D.string(o, "appId"), master: try D.endpointRef(try D.field(o, "master"), "master")))
        case N.deploy("ExecutorAdded"):
            return .executorAdded(ExecutorAdded(
                id: try D.int(o, "id"), workerId: try D.string(o, "workerId"), hostPort: try D.string(o, "hostPort"),
                cores: try D.int(o, "cores"), memory: try D.int(o, "memory")))
        case N.deploy("ExecutorUpdated"):
            return .executorUpdated(ExecutorUpdated(
                id: try D.int(o, "id"), state: try D.enumeration(o, "state", as: ExecutorState.self),
                message: try D.optionString(o, "message"), exitStatus: try D.optionInt(o, "exitStatus"),
                workerHost: try D.optionString(o, "workerHost")))
        case N.deploy("WorkerRemoved"):
            return .workerRemoved(WorkerRemoved(
                id: try D.string(o, "id"), host: try D.string(o, "host"), message: try D.string(o, "message")))
        case N.deploy("ApplicationRemoved"):
            return .applicationRemoved(ApplicationRemoved(message: try D.string(o, "message")))
        case N.deploy("MasterChangeAcknowledged"):
            return .masterChangeAcknowledged(MasterChangeAcknowledged(appId: try D.string(o, "appId")))
        case N.deploy("UnregisterApplication"):
            return .unregisterApplication(UnregisterApplication(appId: try D.string(o, "appId")))
        case N.deploy("RequestExecutors"):
            let entries = try within("resourceProfileToTotalExecs") { () throws(Failure) in
                try D.map(try D.field(o, "resourceProfileToTotalExecs"), "resourceProfileToTotalExecs")
            }
            return .requestExecutors(RequestExecutors(
                appId: try D.string(o, "appId"),
                resourceProfileToTotalExecs: try entries.enumerated().map { (index, entry) throws(Failure) in
                    do throws(Failure) {
                        return (try resourceProfile(entry.0), try D.boxedInt(entry.1))
                    } catch {
                        throw error.within("resourceProfileToTotalExecs[\(index)]")
                    }
                }))
        case N.deploy("KillExecutors"):
            return .killExecutors(KillExecutors(appId: try D.string(o, "appId"), executorIds: try D.stringSequence(o, "executorIds")))
        case N.deploy("RequestSubmitDriver"):
            return .requestSubmitDriver(RequestSubmitDriver(
                driverDescription: try within("driverDescription") { () throws(Failure) in
                    try driverDescription(try D.field(o, "driverDescription"))
                }))
        case N.deploy("SubmitDriverResponse"):
            return .submitDriverResponse(SubmitDriverResponse(
                master: try D.endpointRef(try D.field(o, "master"), "master"), success: try D.bool(o, "success"),
                driverId: try D.optionString(o, "driverId"), message: try D.string(o, "message")))
        case N.deploy("RequestKillDriver"):
            return .requestKillDriver(RequestKillDriver(driverId: try D.string(o, "driverId")))
        case N.deploy("KillDriverResponse"):
            return .killDriverResponse(KillDriverResponse(
                master: try D.endpointRef(try D.field(o, "master"), "master"), driverId: try D.string(o, "driverId"),
                success: try D.bool(o, "success"), message: try D.string(o, "message")))
        case N.deploy("RequestDriverStatus"):
            return .requestDriverStatus(RequestDriverStatus(driverId: try D.string(o, "driverId")))
        case N.deploy("DriverStatusResponse"):
            let state: DriverState? = try within("state") { () throws(Failure) in
                guard let inner = try D.option(try D.field(o, "state"), "state") else { return nil }
                let id = try D.enumerationId(inner, "state")
                guard let state = DriverState(rawValue: id) else { throw Failure(.badValue, "unknown DriverState id \(id)") }
                return state
            }
            return .driverStatusResponse(DriverStatusResponse(
                found: try D.bool(o, "found"), state: state,
                workerId: try D.optionString(o, "workerId"), workerHostPort: try D.optionString(o, "workerHostPort"),
                exception: try optionException(o, "exception")))
        case N.deploy("KillAllDriversResponse"):
            return .killAllDriversResponse(KillAllDriversResponse(
                master: try D.endpointRef(try D.field(o, "master"), "master"), success: try D.bool(o, "success"),
                message: try D.string(o, "message")))
        default:
            return .unknown(className: className, object: PreservedObject(o))
        }
    }

    private static func within<T>(_ component: String, _ body: () throws(Failure) -> T) throws(Failure) -> T {
        do throws(Failure) {
            return try body()
        } catch {
            throw error.within(component)
        }
    }

    private static func optionException(_ o: JavaObject, _ name: String) throws(Failure) -> JavaExceptionInfo? {
        try within(name) { () throws(Failure) in
            guard let inner = try D.option(try D.field(o, name), name) else { return nil }
            return try D.exception(inner, name)
        }
    }

    private static func resources(_ o: JavaObject, _ name: String) throws(Failure) -> [(String, ResourceInformation)] {
        try D.stringKeyedMap(o, name) { value throws(Failure) in
            let info = try D.object(value, "resource")
            return ResourceInformation(name: try D.string(info, "name"), addresses: try D.stringSequence(info, "addresses"))
        }
    }

    static func executorDescription(_ value: JavaValue) throws(Failure) -> ExecutorDescription {
        let o = try D.object(value, "ExecutorDescription")
        return ExecutorDescription(
            appId: try D.string(o, "appId"), execId: try D.int(o, "execId"), rpId: try D.int(o, "rpId"),
            cores: try D.int(o, "cores"), memoryMb: try D.int(o, "memoryMb"),
            state: try D.enumeration(o, "state", as: ExecutorState.self))
    }

    static func command(_ value: JavaValue) throws(Failure) -> Command {
        let o = try D.object(value, "command")
        return Command(
            mainClass: try D.string(o, "mainClass"),
            arguments: try D.stringSequence(o, "arguments"),
            environment: try D.stringKeyedMap(o, "environment") { value throws(Failure) in
                guard case .string(let string) = value else {
                    throw Failure(.wrongType, "environment value is \(D.describe(value)), expected a string")
                }
                return string.value
            },
            classPathEntries: try D.stringSequence(o, "classPathEntries"),
            libraryPathEntries: try D.stringSequence(o, "libraryPathEntries"),
            javaOpts: try D.stringSequence(o, "javaOpts"))
    }

    static func resourceProfile(_ value: JavaValue) throws(Failure) -> ResourceProfile {
        let o = try D.object(value, "ResourceProfile")
        return ResourceProfile(
            id: try D.int(o, "_id"),
            executorResources: try D.stringKeyedMap(o, "executorResources") { value throws(Failure) in
                let request = try D.object(value, "ExecutorResourceRequest")
                return ExecutorResourceRequest(
                    resourceName: try D.string(request, "resourceName"), amount: try D.long(request, "amount"),
                    discoveryScript: try D.string(request, "discoveryScript"), vendor: try D.string(request, "vendor"))
            },
            taskResources: try D.stringKeyedMap(o, "taskResources") { value throws(Failure) in
                let request = try D.object(value, "TaskResourceRequest")
                return TaskResourceRequest(resourceName: try D.string(request, "resourceName"), amount: try D.double(request, "amount"))
            },
            coresLimitKnown: try D.bool(o, "_coresLimitKnown"),
            executorResourceSlotsPerAddr: try within("_executorResourceSlotsPerAddr") { () throws(Failure) in
                guard let inner = try D.option(try D.field(o, "_executorResourceSlotsPerAddr"), "value") else { return nil }
                return try D.map(inner, "value").map { entry throws(Failure) in
                    guard case .string(let key) = entry.0 else { throw Failure(.wrongType, "key is not a string") }
                    return (key.value, try D.boxedInt(entry.1))
                }
            },
            limitingResource: try D.optionString(o, "_limitingResource"),
            maxTasksPerExecutor: try D.optionInt(o, "_maxTasksPerExecutor"))
    }

    static func applicationDescription(_ value: JavaValue) throws(Failure) -> ApplicationDescription {
        let o = try D.object(value, "ApplicationDescription")
        let eventLogDir: String? = try within("eventLogDir") { () throws(Failure) in
            guard let inner = try D.option(try D.field(o, "eventLogDir"), "eventLogDir") else { return nil }
            return try D.string(try D.object(inner, "java.net.URI"), "string")
        }
        return ApplicationDescription(
            name: try D.string(o, "name"),
            maxCores: try D.optionInt(o, "maxCores"),
            command: try within("command") { () throws(Failure) in try command(try D.field(o, "command")) },
            appUiUrl: try D.string(o, "appUiUrl"),
            defaultProfile: try within("defaultProfile") { () throws(Failure) in try resourceProfile(try D.field(o, "defaultProfile")) },
            eventLogDir: eventLogDir,
            eventLogCodec: try D.optionString(o, "eventLogCodec"),
            initialExecutorLimit: try D.optionInt(o, "initialExecutorLimit"),
            user: try D.string(o, "user"),
            preserved: PreservedObject(o))
    }

    static func driverDescription(_ value: JavaValue) throws(Failure) -> DriverDescription {
        let o = try D.object(value, "DriverDescription")
        let requirements = try D.sequence(try D.field(o, "resourceReqs"), "resourceReqs")
        return DriverDescription(
            jarUrl: try D.string(o, "jarUrl"), mem: try D.int(o, "mem"), cores: try D.int(o, "cores"),
            supervise: try D.bool(o, "supervise"),
            command: try within("command") { () throws(Failure) in try command(try D.field(o, "command")) },
            resourceReqs: try requirements.enumerated().map { (index, value) throws(Failure) in
                do throws(Failure) {
                    let requirement = try D.object(value, "ResourceRequirement")
                    return ResourceRequirement(
                        resourceName: try D.string(requirement, "resourceName"), amount: try D.int(requirement, "amount"),
                        numParts: try D.int(requirement, "numParts"))
                } catch {
                    throw error.within("resourceReqs[\(index)]")
                }
            },
            preserved: PreservedObject(o))
    }

    static func simpleName(_ className: String) -> String {
        var name = Substring(className)
        if name.hasSuffix("$") { name = name.dropLast() }
        if let dollar = name.lastIndex(of: "$") { return String(name[name.index(after: dollar)...]) }
        if let dot = name.lastIndex(of: ".") { return String(name[name.index(after: dot)...]) }
        return String(name)
    }
}
