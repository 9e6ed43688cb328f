import SparkModel

/// The master's `/json` document, with Spark 4.3's field names and value types
/// (Spark: `JsonProtocol.writeMasterState`).
public enum MasterStatusJSON {
    public static func render(_ master: MasterStateMachine, now: Int64, zoneName: String = "UTC") -> JSONValue {
        let workers = master.workerList
        let alive = workers.filter(\.isAlive)
        let offset = master.configuration.timeZoneOffsetSeconds
        return .object([
            ("url", .string(master.configuration.masterUrl)),
            ("workers", .array(workers.map(worker))),
            ("aliveworkers", .number(alive.count)),
            ("cores", .number(alive.reduce(0) { $0 + Int64($1.cores) })),
            ("coresused", .number(alive.reduce(0) { $0 + Int64($1.coresUsed) })),
            ("memory", .number(alive.reduce(0) { $0 + Int64($1.memory) })),
            ("memoryused", .number(alive.reduce(0) { $0 + Int64($1.memoryUsed) })),
            ("resources", .array(alive.map { resources($0.resources.values.map { ($0.name, $0.addresses) }) })),
            ("resourcesused", .array(alive.map { resources($0.resources.values.map { ($0.name, $0.addresses.filter($0.assigned.contains)) }) })),
            ("activeapps", .array(master.activeApps.map { application($0, now: now, offset: offset, zoneName: zoneName) })),
            ("completedapps", .array(master.completedApps.map { application($0, now: now, offset: offset, zoneName: zoneName) })),
            ("activedrivers", .array(master.activeDrivers.map { driver($0, offset: offset, zoneName: zoneName) })),
            ("completeddrivers", .array(master.completedDrivers.map { driver($0, offset: offset, zoneName: zoneName) })),
            ("status", .string(master.state.description)),
        ])
    }

    /// One field of the document, as Spark 4's `/json/<field>` answers it: `{"<field>": value}`,
    /// and `{"<field>": ""}` for a name the document does not have.
    public static func render(_ master: MasterStateMachine, now: Int64, zoneName: String = "UTC", field: String) -> JSONValue {
        guard case .object(let entries) = render(master, now: now, zoneName: zoneName), let entry = entries.first(where: { $0.0 == field }) else {
            return .object([(field, .string(""))])
        }
        return .object([entry])
    }

    /// `/json/clusterutilization` (Spark: `JsonProtocol.writeClusterUtilization`): the alive
    /// workers' cores and memory, what is used of them in percent (100 when there are none), and
    /// the drivers waiting for a worker.
    public static func clusterUtilization(_ master: MasterStateMachine) -> JSONValue {
        let alive = master.workerList.filter(\.isAlive)
        let cores = alive.reduce(0) { $0 + Int64($1.cores) }
        let coresUsed = alive.reduce(0) { $0 + Int64($1.coresUsed) }
        let memory = alive.reduce(0) { $0 + Int64($1.memory) }
        let memoryUsed = alive.reduce(0) { $0 + Int64($1.memoryUsed) }
        return .object([
            ("waitingDrivers", .number(master.activeDrivers.filter { $0.state == .submitted }.count)),
            ("cores", .number(cores)),
            ("coresused", .number(coresUsed)),
            ("coresutilization", .number(cores == 0 ? 100 : 100 * coresUsed / cores)),
            ("memory", .number(memory)),
            ("memoryused", .number(memoryUsed)),
            ("memoryutilization", .number(memory == 0 ? 100 : 100 * memoryUsed / memory)),
        ])
    }

    static func worker(_ worker: WorkerInfo) -> JSONValue {
        let all = worker.resources.values.sorted { $0.name < $1.name }
        return .object([
            ("id", .string(worker.id)),
            ("host", .string(worker.host)),
            ("port", .number(worker.port)),
            ("webuiaddress", .string(worker.webUiAddress)),
            ("cores", .number(worker.cores)),
            ("coresused", .number(worker.coresUsed)),
            ("coresfree", .number(worker.coresFree)),
            ("memory", .number(worker.memory)),
            ("memoryused", .number(worker.memoryUsed)),
            ("memoryfree", .number(worker.memoryFree)),
            ("resources", resources(all.map { ($0.name, $0.addresses) })),
            ("resourcesused", resources(all.map { ($0.name, $0.addresses.filter($0.assigned.contains)) })),
            ("resourcesfree", resources(all.map { ($0.name, $0.available) })),
            ("state", .string(worker.state.description)),
            ("lastheartbeat", .number(worker.lastHeartbeat)),
        ])
    }

    static func resources(_ entries: [(String, [String])]) -> JSONValue {
        .object(entries.sorted { $0.0 < $1.0 }.map { name, addresses in
            (name, .object([("name", .string(name)), ("addresses", .array(addresses.map(JSONValue.string)))]))
        })
    }

    /// One application entry (`activeapps`, `completedapps`, and the master's `/app/json`).
    public static func application(_ app: ApplicationInfo, now: Int64, offset: Int, zoneName: String) -> JSONValue {
        let requirements = app.desc.defaultProfile.customExecutorResources.map {
            JSONValue.object([("name", .string($0.resourceName)), ("amount", .number($0.amount))])
        }
        return .object([
            ("id", .string(app.id)),
            ("starttime", .number(app.startTime)),
            ("name", .string(app.desc.name)),
            ("cores", .number(app.coresGranted)),
            ("user", .string(app.desc.user)),
            ("memoryperexecutor", .number(app.memoryPerExecutorMB)),
            ("memoryperslave", .number(app.memoryPerExecutorMB)),
            ("resourcesperexecutor", .array(requirements)),
            ("resourcesperslave", .array(requirements)),
            ("submitdate", .string(IdentifierFormat.javaDateString(epochMillis: app.startTime, offsetSeconds: offset, zoneName: zoneName))),
            ("state", .string(app.state.description)),
            ("duration", .number(app.duration(now: now))),
        ])
    }

    static func driver(_ driver: DriverInfo, offset: Int, zoneName: String) -> JSONValue {
        .object([
            ("id", .string(driver.id)),
            // Spark writes a driver's start time as a string.
            ("starttime", .string(String(driver.startTime))),
            ("state", .string(driver.state.description)),
            ("cores", .number(driver.desc.cores)),
            ("memory", .number(driver.desc.mem)),
            ("resources", resources(driver.resources.map { ($0.0, $0.1.addresses) })),
            ("submitdate", .string(IdentifierFormat.javaDateString(epochMillis: driver.startTime, offsetSeconds: offset, zoneName: zoneName))),
            ("worker", .string(driver.workerId ?? "None")),
            ("mainclass", .string(driver.desc.userMainClass)),
        ])
    }
}
