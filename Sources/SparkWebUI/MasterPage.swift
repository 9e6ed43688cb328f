import SparkMaster
import SparkModel

/// What the master's pages need besides the master's state.
public struct MasterPageOptions: Sendable, Equatable {
    /// `spark.ui.killEnabled`: show kill buttons.
    public var killEnabled: Bool
    /// Whether the shell can kill drivers (their buttons need `killEnabled` too).
    public var canKillDrivers: Bool
    /// `spark://host:port` of the REST submission server, when one is configured.
    public var restURL: String?
    public var links: MasterLinks
    /// Shown in the footer.
    public var version: String?
    /// `spark.master.ui.title`: the front page's title instead of `Spark Master at <URL>`.
    public var title: String?
    /// `spark.master.ui.historyServerUrl`: a finished application's page links to its history there.
    public var historyServerURL: String?

    public init(
        killEnabled: Bool = true, canKillDrivers: Bool = true, restURL: String? = nil, links: MasterLinks = MasterLinks(),
        version: String? = nil, title: String? = nil, historyServerURL: String? = nil
    ) {
        self.killEnabled = killEnabled
        self.canKillDrivers = canKillDrivers
        self.restURL = restURL
        self.links = links
        self.version = version
        self.title = title
        self.historyServerURL = historyServerURL
    }
}

/// The master's front page (`GET /`): the cluster at a glance, then workers, applications and
/// drivers (Spark: `MasterPage`).
public enum MasterPage {
    public static func render(_ master: MasterStateMachine, now: Int64, options: MasterPageOptions) -> String {
        let links = options.links.at(root: "")
        let offset = master.configuration.timeZoneOffsetSeconds
        let workers = master.workerList.sorted { $0.id < $1.id }
        let alive = workers.filter(\.isAlive)
        let active = master.activeApps.sorted { $0.startTime > $1.startTime }
        let completed = master.completedApps.sorted { $0.startTime > $1.startTime }
        let activeDrivers = master.activeDrivers.sorted { $0.startTime > $1.startTime }
        let completedDrivers = master.completedDrivers.sorted { $0.startTime > $1.startTime }
        let coresTotal = alive.reduce(0) { $0 + Int64($1.cores) }
        let coresUsed = alive.reduce(0) { $0 + Int64($1.coresUsed) }
        let memoryTotal = alive.reduce(0) { $0 + Int64($1.memory) }
        let memoryUsed = alive.reduce(0) { $0 + Int64($1.memoryUsed) }

        var summary: [(String, Markup)] = [("URL", .text(master.configuration.masterUrl))]
        if let rest = options.restURL { summary.append(("REST URL", "\(rest) <span class=\"count\">(cluster mode)</span>")) }
        summary += [
            // Spark links the master's environment and its own log here.
            ("Status", "\(WebPage.state(master.state.description)) <span class=\"count\">(\(WebPage.link("Environment", href: links.page("environment/"))), "
                + "\(WebPage.link("Log", href: links.page("logPage/?self&logType=out"))))</span>"),
            ("Workers", "\(alive.count) Alive, \(workers.count { $0.state == .dead }) Dead, "
                + "\(workers.count { $0.state == .decommissioned }) Decommissioned, \(workers.count { $0.state == .unknown }) Unknown"),
            ("Cores in use", "\(coresTotal) Total, \(coresUsed) Used"),
            ("Memory in use", "\(UIFormat.mebibytes(memoryTotal)) Total, \(UIFormat.mebibytes(memoryUsed)) Used"),
        ]
        let resources = resourceTotals(alive)
        if !resources.isEmpty {
            summary.append(("Resources in use", resources.map { name, total, used -> Markup in "\(name): \(total) Total, \(used) Used" }
                .joined(separator: "<br>")))
        }
        summary += [
            ("Applications", "\(active.count) <a href=\"#running-apps\">Running</a>, \(completed.count) <a href=\"#completed-apps\">Completed</a>"),
            ("Drivers", "\(activeDrivers.count) Running (\(activeDrivers.count { $0.state == .submitted }) Waiting), "
                + "\(completedDrivers.count) Completed (\(completedDrivers.count { $0.state == .killed }) Killed, "
                + "\(completedDrivers.count { $0.state == .failed }) Failed, \(completedDrivers.count { $0.state == .error }) Error, "
                + "\(completedDrivers.count { $0.state == .relaunching }) Relaunching)"),
        ]

        var content = WebPage.summary(summary)
        if master.state != .alive {
            content += "<p class=\"note\">This master is \(master.state.description): it does not schedule until it leads.</p>\n"
        }
        content += WebPage.section("Workers", count: workers.count, id: "workers", workerTable(workers, links: links))
        content += WebPage.section(
            "Running Applications", count: active.count, id: "running-apps",
            applicationTable(active, running: true, now: now, offset: offset, links: links, killEnabled: options.killEnabled))
        content += WebPage.section(
            "Running Drivers", count: activeDrivers.count, id: "running-drivers",
            driverTable(
                activeDrivers, master: master, offset: offset, links: links, killEnabled: options.killEnabled && options.canKillDrivers))
        content += WebPage.section(
            "Completed Applications", count: completed.count, id: "completed-apps",
            applicationTable(completed, running: false, now: now, offset: offset, links: links, killEnabled: false))
        content += WebPage.section(
            "Completed Drivers", count: completedDrivers.count, id: "completed-drivers",
            driverTable(completedDrivers, master: master, offset: offset, links: links, killEnabled: false))

        let title = options.title ?? "Spark Master at \(master.configuration.masterUrl)"
        return WebPage.document(
            title: title,
            heading: .text(title),
            navigation: [WebPage.link("JSON", href: links.page("json/"))],
            content: content, footer: options.version.map { "Spark \($0) standalone master" })
    }

    static func workerTable(_ workers: [WorkerInfo], links: MasterLinks) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Worker Id"), .init("Address"), .init("State"), .init("Cores", .number), .init("Memory", .number),
            .init("Resources"),
        ]
        let rows = workers.map { worker -> [Markup] in
            let all = worker.resources.values.sorted { $0.name < $1.name }
            let resources = all.map { resource -> Markup in
                "\(resource.name): \(resource.addresses.count) (\(resource.assigned.count) Used)"
            }.joined(separator: "<br>")
            return [
                worker.isAlive ? WebPage.link(worker.id, href: links.worker(worker)) : .text(worker.id),
                .text(worker.hostPort),
                WebPage.state(worker.state.description),
                "\(worker.cores) (\(worker.coresUsed) Used)",
                "\(UIFormat.mebibytes(worker.memory)) (\(UIFormat.mebibytes(worker.memoryUsed)) Used)",
                resources,
            ]
        }
        return WebPage.table(columns, rows: rows, empty: "No workers have registered.")
    }

    static func applicationTable(
        _ apps: [ApplicationInfo], running: Bool, now: Int64, offset: Int, links: MasterLinks, killEnabled: Bool
    ) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Application ID"), .init("Name", .wide), .init("Cores", .number), .init("Memory per Executor", .number),
            .init("Resources per Executor"), .init("Submitted Time"), .init("User"), .init("State"), .init("Duration", .number),
        ]
        let rows = apps.map { app -> [Markup] in
            var id = WebPage.link(app.id, href: links.application(app.id))
            if killEnabled && !app.isFinished {
                id += WebPage.postButton(
                    action: links.page("app/kill/"), fields: [("id", app.id), ("terminate", "true")], label: "kill",
                    confirm: "Kill application \(app.id) (\(app.desc.name))?")
            }
            return [
                id,
                WebPage.link(app.desc.name, href: links.applicationUI(app)),
                "\(app.coresGranted)",
                .text(UIFormat.mebibytes(app.memoryPerExecutorMB)),
                requirements(app.desc.defaultProfile.customExecutorResources),
                .text(UIFormat.dateTime(epochMillis: app.startTime, offsetSeconds: offset)),
                .text(app.desc.user),
                WebPage.state(app.state.description),
                .text(UIFormat.duration(milliseconds: app.duration(now: now))),
            ]
        }
        return WebPage.table(columns, rows: rows, empty: running ? "No applications are running." : "No applications have completed.")
    }

    static func driverTable(_ drivers: [DriverInfo], master: MasterStateMachine, offset: Int, links: MasterLinks, killEnabled: Bool) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Submission ID"), .init("Submitted Time"), .init("Worker"), .init("State"), .init("Cores", .number),
            .init("Memory", .number), .init("Resources"), .init("Main Class", .wide),
        ]
        let workers = Dictionary(master.workerList.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = drivers.map { driver -> [Markup] in
            var id = Markup.text(driver.id)
            if killEnabled {
                id += WebPage.postButton(
                    action: links.page("driver/kill/"), fields: [("id", driver.id), ("terminate", "true")], label: "kill",
                    confirm: "Kill driver \(driver.id)?")
            }
            let worker: Markup = driver.workerId.map { workerId in
                workers[workerId].map { WebPage.link(workerId, href: links.worker($0)) } ?? .text(workerId)
            } ?? "None"
            var state = WebPage.state(driver.state.description)
            if let exception = driver.exception { state += " <span class=\"count\">\(exception.description)</span>" }
            return [
                id,
                .text(UIFormat.dateTime(epochMillis: driver.startTime, offsetSeconds: offset)),
                worker,
                state,
                "\(driver.desc.cores)",
                .text(UIFormat.mebibytes(driver.desc.mem)),
                WebPage.resources(driver.resources.map { ($0.0, $0.1.addresses) }),
                .text(driver.desc.userMainClass),
            ]
        }
        return WebPage.table(columns, rows: rows, empty: "No drivers.")
    }

    static func requirements(_ requirements: [ResourceRequirement]) -> Markup {
        requirements.sorted { $0.resourceName < $1.resourceName }
            .map { requirement -> Markup in "\(requirement.resourceName): \(requirement.amount)" }
            .joined(separator: "<br>")
    }

    /// Per custom resource over alive workers: name, total and used address counts.
    static func resourceTotals(_ workers: [WorkerInfo]) -> [(String, Int, Int)] {
        var totals: [String: (Int, Int)] = [:]
        for worker in workers {
            for resource in worker.resources.values {
                let current = totals[resource.name] ?? (0, 0)
                totals[resource.name] = (current.0 + resource.addresses.count, current.1 + resource.assigned.count)
            }
        }
        return totals.keys.sorted().map { ($0, totals[$0]!.0, totals[$0]!.1) }
    }
}
