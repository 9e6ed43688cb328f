import SparkMaster
import SparkModel

/// One application as the master sees it (`GET /app/?appId=`): its request, its executors and
/// the executors it lost (Spark: `ApplicationPage`).
public enum ApplicationPage {
    /// The application `id`, active or completed; nil when the master does not know it.
    public static func find(_ id: String, in master: MasterStateMachine) -> ApplicationInfo? {
        master.apps[id] ?? master.completedApps.last { $0.id == id }
    }

    /// The page, with links as seen from `/app/`.
    public static func render(_ app: ApplicationInfo, master: MasterStateMachine, now: Int64, options: MasterPageOptions) -> String {
        let links = options.links.at(root: "../")
        let offset = master.configuration.timeZoneOffsetSeconds
        let workers = Dictionary(master.workerList.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let unlimited = app.requestedCores == Int32.max
        let limit = app.executorLimit >= Int64(Int32.max)

        var state = WebPage.state(app.state.description)
        if options.killEnabled && !app.isFinished {
            state += WebPage.postButton(
                action: links.page("app/kill/"), fields: [("id", app.id), ("terminate", "true")], label: "kill",
                confirm: "Kill application \(app.id) (\(app.desc.name))?")
        }
        var ui: Markup = links.applicationUI(app).map { WebPage.link("Application Detail UI", href: $0) } ?? "n/a"
        if app.isFinished, let history = options.historyServerURL, !history.isEmpty {
            // Spark: the history server's page of the application (`<url>/history/<appId>`).
            ui = WebPage.link("Application History UI", href: history + "/history/" + HTML.queryComponent(app.id))
        }
        let summary: [(String, Markup)] = [
            ("ID", .text(app.id)),
            ("Name", .text(app.desc.name)),
            ("User", .text(app.desc.user)),
            ("Cores", unlimited ? "Unlimited (\(app.coresGranted) granted)" : "\(app.requestedCores) (\(app.coresGranted) granted)"),
            ("Executor Limit", limit ? "Unlimited (\(app.executors.count) granted)" : "\(app.executorLimit) (\(app.executors.count) granted)"),
            ("Executor Memory", .text(UIFormat.mebibytes(app.memoryPerExecutorMB))),
            ("Executor Resources", app.desc.defaultProfile.customExecutorResources.isEmpty
                ? "None" : MasterPage.requirements(app.desc.defaultProfile.customExecutorResources)),
            ("Submit Date", .text(UIFormat.dateTime(epochMillis: app.startTime, offsetSeconds: offset))),
            ("Duration", .text(UIFormat.duration(milliseconds: app.duration(now: now)))),
            ("State", state),
            ("Application UI", ui),
        ]
        let running = app.executors.values.sorted { $0.id < $1.id }
        var content = WebPage.summary(summary)
        content += WebPage.section(
            "Executors", count: running.count, id: "executors",
            executorTable(running, workers: workers, links: links, empty: "No executors."))
        if !app.removedExecutors.isEmpty {
            content += WebPage.section(
                "Removed Executors", count: app.removedExecutors.count, id: "removed-executors",
                executorTable(app.removedExecutors.reversed(), workers: workers, links: links, empty: "None."))
        }
        return WebPage.document(
            title: "Application: \(app.desc.name)",
            heading: "Application: \(app.desc.name)",
            navigation: [
                WebPage.link("Master", href: links.home),
                WebPage.link("JSON", href: links.page("app/json/" + HTML.query([("appId", app.id)]))),
            ],
            content: content, footer: options.version.map { "Spark \($0) standalone master" })
    }

    static func executorTable(_ executors: [ExecutorDesc], workers: [String: WorkerInfo], links: MasterLinks, empty: String) -> Markup {
        let columns: [WebPage.Column] = [
            .init("Executor ID", .number), .init("Worker"), .init("Cores", .number), .init("Memory", .number), .init("Resources"),
            .init("State"), .init("Logs"),
        ]
        let rows = executors.map { executor -> [Markup] in
            let worker = workers[executor.workerId]
            let logs: Markup = worker.map { worker in
                [
                    WebPage.link("stdout", href: links.executorLog(worker, appId: executor.appId, executorId: executor.id, type: "stdout")),
                    WebPage.link("stderr", href: links.executorLog(worker, appId: executor.appId, executorId: executor.id, type: "stderr")),
                ].joined(separator: " ")
            } ?? .empty
            return [
                "\(executor.id)",
                worker.map { WebPage.link(executor.workerId, href: links.worker($0)) } ?? .text(executor.workerId),
                "\(executor.cores)",
                .text(UIFormat.mebibytes(executor.memory)),
                WebPage.resources(executor.resources.map { ($0.0, $0.1.addresses) }),
                WebPage.state(executor.state.description),
                logs,
            ]
        }
        return WebPage.table(columns, rows: rows, empty: empty)
    }
}
