import JavaSerialization
import SparkModel

extension SparkMessageCodec {
    private typealias N = SparkClassNames

    /// Builds the Java object graph of `message` as a `version` JVM would write it.
    public static func encodeObject(_ message: SparkMessage, version: SparkVersion) throws(Failure) -> JavaValue {
        var b = JavaGraphBuilder(version: version)
        switch message {
        case .checkExistence(let m):
            return try b.object(N.checkExistence, ["name": b.string(m.name)])
        case .boolean(let value):
            return try b.boolean(value)
        case .rpcFailure(let info):
            return try b.object(N.rpcFailure, ["e": try b.exception(info)])
        case .registerWorker(let m):
            // The worker's ref carries the very `host` string of the message.
            let host = b.string(m.host)
            return try b.object(N.deploy("RegisterWorker"), [
                "cores": .int(m.cores), "memory": .int(m.memory), "port": .int(m.port),
                "host": host, "id": b.string(m.id),
                "masterAddress": try b.rpcAddress(m.masterAddress),
                "resources": try resources(&b, m.resources),
                "worker": try b.endpointRef(m.worker, host: host),
                "workerWebUiUrl": b.string(m.workerWebUiUrl),
            ])
        case .workerLatestState(let m):
            var executors: [JavaValue] = []
            for executor in m.executors { executors.append(try executorDescription(&b, executor)) }
            return try b.object(N.deploy("WorkerLatestState"), [
                "driverIds": try b.stringList(m.driverIds), "executors": try b.list(executors), "id": b.string(m.id),
            ])
        case .heartbeat(let m):
            return try b.object(N.deploy("Heartbeat"), ["worker": try b.endpointRef(m.worker), "workerId": b.string(m.workerId)])
        case .executorStateChanged(let m):
            return try b.object(N.deploy("ExecutorStateChanged"), [
                "execId": .int(m.execId), "appId": b.string(m.appId),
                "exitStatus": try b.optionInt(m.exitStatus), "message": try b.optionString(m.message),
                "state": try b.enumValue(N.executorState, id: m.state.rawValue),
            ])
        case .driverStateChanged(let m):
            return try b.object(N.deploy("DriverStateChanged"), [
                "driverId": b.string(m.driverId),
                "exception": try b.option(m.exception.map { info throws(Failure) in try b.exception(info) }),
                "state": try b.enumValue(N.driverState, id: m.state.rawValue),
            ])
        case .workerSchedulerStateResponse(let m):
            var executors: [JavaValue] = []
            for response in m.execResponses {
                executors.append(try b.object(N.deploy("WorkerExecutorStateResponse"), [
                    "desc": try executorDescription(&b, response.desc), "resources": try resources(&b, response.resources),
                ]))
            }
            var drivers: [JavaValue] = []
            for response in m.driverResponses {
                drivers.append(try b.object(N.deploy("WorkerDriverStateResponse"), [
                    "driverId": b.string(response.driverId), "resources": try resources(&b, response.resources),
                ]))
            }
            return try b.object(N.deploy("WorkerSchedulerStateResponse"), [
                "driverResponses": try b.list(drivers), "execResponses": try b.list(executors), "id": b.string(m.id),
            ])
        case .workerDecommissioning(let m):
            return try b.object(N.deploy("WorkerDecommissioning"), ["id": b.string(m.id), "workerRef": try b.endpointRef(m.workerRef)])
        case .registeredWorker(let m):
            return try b.object(N.deploy("RegisteredWorker"), [
                "duplicate": .boolean(m.duplicate), "master": try b.endpointRef(m.master),
                "masterAddress": try b.rpcAddress(m.masterAddress), "masterWebUiUrl": b.string(m.masterWebUiUrl),
            ])
        case .registerWorkerFailed(let m):
            return try b.object(N.deploy("RegisterWorkerFailed"), ["message": b.string(m.message)])
        case .masterInStandby:
            return try b.module(N.deploy("MasterInStandby$"))
        case .reconnectWorker(let m):
            return try b.object(N.deploy("ReconnectWorker"), ["masterUrl": b.string(m.masterUrl)])
        case .launchExecutor(let m):
            return try b.object(N.deploy("LaunchExecutor"), [
                "cores": .int(m.cores), "execId": .int(m.execId), "memory": .int(m.memory), "rpId": .int(m.rpId),
                "appDesc": try applicationDescription(&b, m.appDesc), "appId": b.string(m.appId),
                "masterUrl": b.string(m.masterUrl), "resources": try resources(&b, m.resources),
            ])
        case .killExecutor(let m):
            return try b.object(N.deploy("KillExecutor"), [
                "execId": .int(m.execId), "appId": b.string(m.appId), "masterUrl": b.string(m.masterUrl),
            ])
        case .launchDriver(let m):
            return try b.object(N.deploy("LaunchDriver"), [
                "driverDesc": try driverDescription(&b, m.driverDesc), "driverId": b.string(m.driverId),
                "resources": try resources(&b, m.resources),
            ])
        case .killDriver(let m):
            return try b.object(N.deploy("KillDriver"), ["driverId": b.string(m.driverId)])
        case .applicationFinished(let m):
            return try b.object(N.deploy("ApplicationFinished"), ["id": b.string(m.id)])
        case .masterChanged(let m):
            return try b.object(N.deploy("MasterChanged"), [
                "master": try b.endpointRef(m.master), "masterWebUiUrl": b.string(m.masterWebUiUrl),
            ])
        case .decommissionWorker:
            return try b.module(N.deploy("DecommissionWorker$"))
        case .registerApplication(let m):
            return try b.object(N.deploy("RegisterApplication"), [
                "appDescription": try applicationDescription(&b, m.appDescription), "driver": try b.endpointRef(m.driver),
            ])
        case .registeredApplication(let m):
            return try b.object(N.deploy("RegisteredApplication"), ["appId": b.string(m.appId), "master": try b.endpointRef(m.master)])
        case .executorAdded(let m):
            return try b.object(N.deploy("ExecutorAdded"), [
                "cores": .int(m.cores), "id": .int(m.id), "memory": .int(m.memory),
                "hostPort": b.string(m.hostPort), "workerId": b.string(m.workerId),
            ])
        case .executorUpdated(let m):
            return try b.object(N.deploy("ExecutorUpdated"), [
                "id": .int(m.id), "exitStatus": try b.optionInt(m.exitStatus), "message": try b.optionString(m.message),
                "state": try b.enumValue(N.executorState, id: m.state.rawValue), "workerHost": try b.optionString(m.workerHost),
            ])
        case .workerRemoved(let m):
            return try b.object(N.deploy("WorkerRemoved"), [
                "host": b.string(m.host), "id": b.string(m.id), "message": b.string(m.message),
            ])
        case .applicationRemoved(let m):
            return try b.object(N.deploy("ApplicationRemoved"), ["message": b.string(m.message)])
        case .masterChangeAcknowledged(let m):
            return try b.object(N.deploy("MasterChangeAcknowledged"), ["appId": b.string(m.appId)])
        case .unregisterApplication(let m):
            return try b.object(N.deploy("UnregisterApplication"), ["appId": b.string(m.appId)])
        case .requestExecutors(let m):
            var entries: [(JavaValue, JavaValue)] = []
            for (profile, total) in m.resourceProfileToTotalExecs {
                entries.append((try resourceProfile(&b, profile), try b.boxedInt(total)))
            }
            return try b.object(N.deploy("RequestExecutors"), [
                "appId": b.string(m.appId), "resourceProfileToTotalExecs": try b.immutableMap(entries),
            ])
        case .killExecutors(let m):
            return try b.object(N.deploy("KillExecutors"), ["appId": b.string(m.appId), "executorIds": try b.stringList(m.executorIds)])
        case .requestSubmitDriver(let m):
            return try b.object(N.deploy("RequestSubmitDriver"), ["driverDescription": try driverDescription(&b, m.driverDescription)])
        case .submitDriverResponse(let m):
            return try b.object(N.deploy("SubmitDriverResponse"), [
                "success": .boolean(m.success), "driverId": try b.optionString(m.driverId),
                "master": try b.endpointRef(m.master), "message": b.string(m.message),
            ])
        case .requestKillDriver(let m):
            return try b.object(N.deploy("RequestKillDriver"), ["driverId": b.string(m.driverId)])
        case .killDriverResponse(let m):
            return try b.object(N.deploy("KillDriverResponse"), [
                "success": .boolean(m.success), "driverId": b.string(m.driverId),
                "master": try b.endpointRef(m.master), "message": b.string(m.message),
            ])
        case .requestDriverStatus(let m):
            return try b.object(N.deploy("RequestDriverStatus"), ["driverId": b.string(m.driverId)])
        case .driverStatusResponse(let m):
            var state: JavaValue?
            if let value = m.state { state = try b.enumValue(N.driverState, id: value.rawValue) }
            return try b.object(N.deploy("DriverStatusResponse"), [
                "found": .boolean(m.found),
                "exception": try b.option(m.exception.map { info throws(Failure) in try b.exception(info) }),
                "state": try b.option(state),
                "workerHostPort": try b.optionString(m.workerHostPort), "workerId": try b.optionString(m.workerId),
            ])
        case .requestKillAllDrivers:
            return try b.module(N.deploy("RequestKillAllDrivers$"))
        case .killAllDriversResponse(let m):
            return try b.object(N.deploy("KillAllDriversResponse"), [
                "success": .boolean(m.success), "master": try b.endpointRef(m.master), "message": b.string(m.message),
            ])
        case .unknown(_, let preserved):
            guard let object = preserved.storage as? JavaObject else {
                throw Failure(.wrongType, "an unknown message without its original object cannot be encoded")
            }
            return .object(object)
        }
    }

    private static func resources(
        _ b: inout JavaGraphBuilder, _ resources: [(String, ResourceInformation)]
    ) throws(Failure) -> JavaValue {
        var entries: [(JavaValue, JavaValue)] = []
        for (name, info) in resources {
            // Spark keys the map by the resource's own name string.
            let key = b.string(name)
            let value = try b.object(N.resourceInformation, [
                "addresses": try b.stringArray(info.addresses), "name": info.name == name ? key : b.string(info.name),
            ])
            entries.append((key, value))
        }
        return try b.immutableMap(entries)
    }

    private static func executorDescription(
        _ b: inout JavaGraphBuilder, _ description: ExecutorDescription
    ) throws(Failure) -> JavaValue {
        try b.object(N.executorDescription, [
            "cores": .int(description.cores), "execId": .int(description.execId),
            "memoryMb": .int(description.memoryMb), "rpId": .int(description.rpId),
            "appId": b.string(description.appId),
            "state": try b.enumValue(N.executorState, id: description.state.rawValue),
        ])
    }

    /// `mutableEnvironment`: an application's command carries the driver's `executorEnvs`
    /// (a `mutable.HashMap`); a submitted driver's carries `sys.env` (an immutable `Map`).
    private static func command(
        _ b: inout JavaGraphBuilder, _ command: Command, mutableEnvironment: Bool
    ) throws(Failure) -> JavaValue {
        let environment = command.environment.map { (b.string($0.0), b.string($0.1)) }
        return try b.object(N.command, [
            "arguments": try b.stringList(command.arguments),
            "classPathEntries": try b.stringList(command.classPathEntries),
            "environment": mutableEnvironment ? try b.mutableHashMap(environment) : try b.immutableMap(environment),
            "javaOpts": try b.arraySeq(command.javaOpts.map { b.string($0) }),
            "libraryPathEntries": try b.stringList(command.libraryPathEntries),
            "mainClass": b.string(command.mainClass),
        ])
    }

    private static func resourceProfile(_ b: inout JavaGraphBuilder, _ profile: ResourceProfile) throws(Failure) -> JavaValue {
        var executorEntries: [(JavaValue, JavaValue)] = []
        for (name, request) in profile.executorResources {
            let key = b.string(name)
            executorEntries.append((key, try b.object(N.executorResourceRequest, [
                "amount": .long(request.amount), "discoveryScript": b.string(request.discoveryScript),
                "resourceName": request.resourceName == name ? key : b.string(request.resourceName),
                "vendor": b.string(request.vendor),
            ])))
        }
        var taskEntries: [(JavaValue, JavaValue)] = []
        for (name, request) in profile.taskResources {
            let key = b.string(name)
            taskEntries.append((key, try b.object(N.taskResourceRequest, [
                "amount": .double(request.amount),
                "resourceName": request.resourceName == name ? key : b.string(request.resourceName),
            ])))
        }
        return try b.object(N.resourceProfile, [
            "_coresLimitKnown": .boolean(profile.coresLimitKnown), "_id": .int(profile.id),
            "_executorResourceSlotsPerAddr": try slots(&b, profile.executorResourceSlotsPerAddr),
            "_limitingResource": try b.optionString(profile.limitingResource),
            "_maxTasksPerExecutor": try b.optionInt(profile.maxTasksPerExecutor),
            "executorResources": try b.immutableMap(executorEntries),
            "taskResources": try b.immutableMap(taskEntries),
        ])
    }

    private static func slots(_ b: inout JavaGraphBuilder, _ slots: [(String, Int32)]?) throws(Failure) -> JavaValue {
        guard let slots else { return try b.none() }
        var entries: [(JavaValue, JavaValue)] = []
        for (name, count) in slots { entries.append((b.string(name), try b.boxedInt(count))) }
        return try b.some(try b.immutableMap(entries))
    }

    private static func applicationDescription(
        _ b: inout JavaGraphBuilder, _ description: ApplicationDescription
    ) throws(Failure) -> JavaValue {
        // Relay what the driver sent, byte for byte, when we have it.
        if let preserved = description.preserved?.storage as? JavaObject { return .object(preserved) }
        var eventLogDir: JavaValue?
        if let dir = description.eventLogDir { eventLogDir = try b.object(N.javaURI, ["string": b.string(dir)]) }
        return try b.object(N.applicationDescription, [
            "appUiUrl": b.string(description.appUiUrl),
            "command": try command(&b, description.command, mutableEnvironment: true),
            "defaultProfile": try resourceProfile(&b, description.defaultProfile),
            "eventLogCodec": try b.optionString(description.eventLogCodec),
            "eventLogDir": try b.option(eventLogDir),
            "initialExecutorLimit": try b.optionInt(description.initialExecutorLimit),
            "maxCores": try b.optionInt(description.maxCores),
            "name": b.string(description.name),
            "user": b.string(description.user),
        ])
    }

    private static func driverDescription(
        _ b: inout JavaGraphBuilder, _ description: DriverDescription
    ) throws(Failure) -> JavaValue {
        if let preserved = description.preserved?.storage as? JavaObject { return .object(preserved) }
        var requirements: [JavaValue] = []
        for requirement in description.resourceReqs {
            requirements.append(try b.object(N.resourceRequirement, [
                "amount": .int(requirement.amount), "numParts": .int(requirement.numParts),
                "resourceName": b.string(requirement.resourceName),
            ]))
        }
        return try b.object(N.driverDescription, [
            "cores": .int(description.cores), "mem": .int(description.mem), "supervise": .boolean(description.supervise),
            "command": try command(&b, description.command, mutableEnvironment: false), "jarUrl": b.string(description.jarUrl),
            "resourceReqs": try b.list(requirements),
        ])
    }
}
