/// A worker's front page (`GET /` of the worker UI): its capacity and the executors and drivers
/// it runs and ran, each with links to its logs (Spark: `WorkerPage`).
///
/// Takes plain values so any worker shell can fill it. Every link is relative to the page at
/// `/`, so it also works when the master serves the worker UI under `/proxy/<workerId>/`.
public enum WorkerPage {
    public struct Executor: Sendable, Equatable {
        public var executorId: Int64
        public var appId: String
        public var appName: String
        public var user: String
        public var cores: Int64
        public var memoryMiB: Int64
        public var state: String
        /// Custom resources by name.
        public var resources: [Resource]

        public init(
            executorId: Int64, appId: String, appName: String, user: String, cores: Int64, memoryMiB: Int64, state: String,
            resources: [Resource] = []
        ) {
            self.executorId = executorId
            self.appId = appId
            self.appName = appName
            self.user = user
            self.cores = cores
            self.memoryMiB = memoryMiB
            self.state = state
            self.resources = resources
        }
    }

    public struct Driver: Sendable, Equatable {
        public var driverId: String
        public var mainClass: String
        public var state: String
        public var cores: Int64
        public var memoryMiB: Int64
        public var resources: [Resource]
        /// The exception a driver ended with (Spark: `DriverRunner.finalException`), else empty.
        public var notes: String

        public init(
            driverId: String, mainClass: String, state: String, cores: Int64, memoryMiB: Int64, resources: [Resource] = [],
            notes: String = ""
        ) {
            self.driverId = driverId
            self.mainClass = mainClass
            self.state = state
            self.cores = cores
            self.memoryMiB = memoryMiB
            self.resources = resources
            self.notes = notes
        }
    }

    public struct Resource: Sendable, Equatable {
        public var name: String
        public var addresses: [String]

        public init(name: String, addresses: [String]) {
            self.name = name
            self.addresses = addresses
        }
    }

    public struct Model: Sendable, Equatable {
        public var workerId: String
        public var host: String
        public var port: Int
        public var masterURL: String
        /// The master's web UI, for the way back; nil or empty hides the link.
        public var masterWebUiURL: String?
        public var cores: Int64
        public var coresUsed: Int64
        public var memoryMiB: Int64
        public var memoryUsedMiB: Int64
        public var executors: [Executor]
        public var finishedExecutors: [Executor]
        public var drivers: [Driver]
        public var finishedDrivers: [Driver]
        /// Shown in the footer.
        public var version: String?
        /// Custom resources the worker offers, and the addresses of each in use (same names).
        public var resources: [Resource]
        public var resourcesUsed: [Resource]

        public init(
            workerId: String, host: String, port: Int, masterURL: String, masterWebUiURL: String?, cores: Int64, coresUsed: Int64,
            memoryMiB: Int64, memoryUsedMiB: Int64, executors: [Executor], finishedExecutors: [Executor],
            drivers: [Driver] = [], finishedDrivers: [Driver] = [], version: String? = nil,
            resources: [Resource] = [], resourcesUsed: [Resource] = []
        ) {
            self.workerId = workerId
            self.host = host
            self.port = port
            self.masterURL = masterURL
            self.masterWebUiURL = masterWebUiURL
            self.cores = cores
            self.coresUsed = coresUsed
            self.memoryMiB = memoryMiB
            self.memoryUsedMiB = memoryUsedMiB
            self.executors = executors
            self.finishedExecutors = finishedExecutors
            self.drivers = drivers
            self.finishedDrivers = finishedDrivers
            self.version = version
            self.resources = resources
            self.resourcesUsed = resourcesUsed
        }
    }

    /// The page as HTML.
    public static func render(_ model: Model) -> String {
        var summary: [(String, Markup)] = [
            // Spark links the id to the worker's own log.
            ("ID", WebPage.link(model.workerId, href: ownLogPath)),
            ("Master URL", .text(model.masterURL)),
            ("Cores", "\(model.cores) (\(model.coresUsed) Used)"),
            ("Memory", "\(UIFormat.mebibytes(model.memoryMiB)) (\(UIFormat.mebibytes(model.memoryUsedMiB)) Used)"),
        ]
        if !model.resources.isEmpty { summary.append(("Resources", offeredResources(model.resources, used: model.resourcesUsed))) }
        var content = WebPage.summary(summary)
        content += WebPage.section(
            "Running Executors", count: model.executors.count, id: "running-executors",
            executorTable(model.executors, empty: "No executors are running."))
        if !model.drivers.isEmpty {
            content += WebPage.section("Running Drivers", count: model.drivers.count, id: "running-drivers", driverTable(model.drivers))
        }
        content += WebPage.section(
            "Finished Executors", count: model.finishedExecutors.count, id: "finished-executors",
            executorTable(model.finishedExecutors, empty: "No executors have finished."))
        if !model.finishedDrivers.isEmpty {
            content += WebPage.section(
                "Finished Drivers", count: model.finishedDrivers.count, id: "finished-drivers", driverTable(model.finishedDrivers))
        }
        var navigation: [Markup] = []
        if let master = model.masterWebUiURL, !master.isEmpty { navigation.append(WebPage.link("Back to Master", href: master)) }
        navigation.append(WebPage.link("JSON", href: "json/"))
        return WebPage.document(
            title: "Spark Worker at \(model.host):\(model.port)",
            heading: "Spark Worker at \(model.host):\(model.port)",
            navigation: navigation, content: content, footer: model.version.map { "Spark \($0) standalone worker" })
    }

    /// `logPage/?self&logType=out`: the worker's own log, relative to the worker's root.
    static let ownLogPath = "logPage/?self&logType=out"

    /// `logPage/?appId=…&executorId=…&logType=…`, relative to the worker's root.
    public static func executorLogLink(appId: String, executorId: Int64, type: String) -> String {
        "logPage/" + HTML.query([("appId", appId), ("executorId", String(executorId)), ("logType", type)])
    }

    /// `logPage/?driverId=…&logType=…`, relative to the worker's root.
    public static func driverLogLink(driverId: String, type: String) -> String {
        "logPage/" + HTML.query([("driverId", driverId), ("logType", type)])
    }

    static func executorTable(_ executors: [Executor], empty: String) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Executor ID", .number), .init("State"), .init("Cores", .number), .init("Memory", .number), .init("Resources"),
            .init("Job Details", .wide), .init("Logs"),
        ]
        let rows = executors.map { executor -> [Markup] in
            [
                "\(executor.executorId)",
                WebPage.state(executor.state),
                "\(executor.cores)",
                .text(UIFormat.mebibytes(executor.memoryMiB)),
                resources(executor.resources),
                "ID: \(executor.appId)<br>Name: \(executor.appName)<br>User: \(executor.user)",
                [
                    WebPage.link("stdout", href: executorLogLink(appId: executor.appId, executorId: executor.executorId, type: "stdout")),
                    WebPage.link("stderr", href: executorLogLink(appId: executor.appId, executorId: executor.executorId, type: "stderr")),
                ].joined(separator: " "),
            ]
        }
        return WebPage.table(columns, rows: rows, empty: empty)
    }

    static func driverTable(_ drivers: [Driver]) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Driver ID"), .init("Main Class", .wide), .init("State"), .init("Cores", .number), .init("Memory", .number),
            .init("Resources"), .init("Logs"), .init("Notes"),
        ]
        let rows = drivers.map { driver -> [Markup] in
            [
                .text(driver.driverId),
                .text(driver.mainClass),
                WebPage.state(driver.state),
                "\(driver.cores)",
                .text(UIFormat.mebibytes(driver.memoryMiB)),
                resources(driver.resources),
                [
                    WebPage.link("stdout", href: driverLogLink(driverId: driver.driverId, type: "stdout")),
                    WebPage.link("stderr", href: driverLogLink(driverId: driver.driverId, type: "stderr")),
                ].joined(separator: " "),
                .text(driver.notes),
            ]
        }
        return WebPage.table(columns, rows: rows, empty: "No drivers.")
    }

    /// Each offered resource's free and used addresses (Spark: `formatResourcesDetails`).
    static func offeredResources(_ offered: [Resource], used: [Resource]) -> Markup {
        offered.map { resource -> Markup in
            let inUse = Set(used.first { $0.name == resource.name }?.addresses ?? [])
            let free = resource.addresses.filter { !inUse.contains($0) }
            let taken = resource.addresses.filter { inUse.contains($0) }
            let text = "\(resource.name): Free: [\(free.joined(separator: ", "))] / Used: [\(taken.joined(separator: ", "))]"
            return "<span class=\"res\">\(text)</span>"
        }.joined(separator: "<br>")
    }

    static func resources(_ resources: [Resource]) -> Markup {
        var merged: [String: [String]] = [:]
        for resource in resources { merged[resource.name, default: []] += resource.addresses }
        return WebPage.resources(merged.map { ($0.key, $0.value) })
    }
}
