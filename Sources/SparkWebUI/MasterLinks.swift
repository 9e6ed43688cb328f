import SparkMaster

/// Where the master's pages link to.
///
/// Links between the master's own pages are relative (`root` is the way back to the master's
/// root from the current page, `""` or `"../"`), so the pages keep working behind any path
/// prefix a front proxy adds. Worker and application UIs are linked directly, or, with
/// `spark.ui.reverseProxy`, through the master's `/proxy/<id>/` (under `spark.ui.reverseProxyUrl`
/// when that is set).
public struct MasterLinks: Sendable, Equatable {
    /// From the current page to the master's root: `""` on `/`, `"../"` on `/app/`.
    public var root: String
    /// Whether worker and application UIs go through the master's `/proxy/`.
    public var reverseProxy: Bool
    /// `spark.ui.reverseProxyUrl` without a trailing `/`, when set.
    public var reverseProxyURL: String?

    public init(root: String = "", reverseProxy: Bool = false, reverseProxyURL: String? = nil) {
        self.root = root
        self.reverseProxy = reverseProxy
        self.reverseProxyURL = reverseProxyURL.map(ReverseProxyRewriter.trimmedBase).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The same links as seen from another page.
    public func at(root: String) -> MasterLinks {
        var copy = self
        copy.root = root
        return copy
    }

    /// A master page, `path` relative to the master's root (`app/?appId=…`).
    public func page(_ path: String) -> String { root.isEmpty && path.isEmpty ? "./" : root + path }

    /// The master's front page.
    public var home: String { page("") }

    /// The application page.
    public func application(_ id: String) -> String { page("app/" + HTML.query([("appId", id)])) }

    /// `/proxy/<id>/` as the browser must request it.
    public func proxied(_ id: String) -> String {
        let path = "proxy/" + HTML.pathSegment(id) + "/"
        if let reverseProxyURL { return reverseProxyURL + "/" + path }
        return page(path)
    }

    /// A worker's web UI, with `path` (no leading `/`) appended; nil if the worker gave no usable address.
    public func worker(_ worker: WorkerInfo, path: String = "") -> String? {
        if reverseProxy { return proxied(worker.id) + path }
        guard let base = HTML.safeURL(worker.webUiAddress), base.lowercased().hasPrefix("http") else { return nil }
        return ReverseProxyRewriter.trimmedBase(base) + "/" + path
    }

    /// A running application's own UI (the driver's), nil when it has none.
    public func applicationUI(_ app: ApplicationInfo) -> String? {
        guard !app.isFinished, !app.desc.appUiUrl.isEmpty else { return nil }
        if reverseProxy { return proxied(app.id) }
        return HTML.safeURL(app.desc.appUiUrl)
    }

    /// An executor's log on its worker.
    public func executorLog(_ worker: WorkerInfo, appId: String, executorId: Int32, type: String) -> String? {
        self.worker(worker, path: "logPage/" + HTML.query([("appId", appId), ("executorId", String(executorId)), ("logType", type)]))
    }

    /// A driver's log on its worker.
    public func driverLog(_ worker: WorkerInfo, driverId: String, type: String) -> String? {
        self.worker(worker, path: "logPage/" + HTML.query([("driverId", driverId), ("logType", type)]))
    }
}
