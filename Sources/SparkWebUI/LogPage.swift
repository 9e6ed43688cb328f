/// A log on a daemon's UI (Spark: `worker.ui.LogPage`, `master.ui.LogPage`): an executor's or a
/// driver's on the worker's (`GET /logPage/?appId=…&executorId=…&logType=…` or
/// `?driverId=…&logType=…`), or the daemon's own on either (`?self&logType=out`). A slice of the
/// log, where it lies in the whole, and links to the slices before and after it, to the newest one
/// and to the slice as plain text (`/log`, with Spark's `==== Bytes a-b of n of <path> ====` header).
///
/// Spark pages through the log with buttons and script; here the pages are links (the pages run no
/// script but the kill confirmation), relative to the page itself, so they work wherever it is
/// served: at the worker, or under the master's `/proxy/<workerId>/`.
public enum LogPage {
    public struct Model: Sendable, Equatable {
        /// `stdout`, `stderr` or `out`.
        public var logType: String
        /// Whose log: an executor of an application, a driver, or the daemon's own.
        public var owner: Owner
        public var text: String
        /// The slice `[start, end)` of a log of `total` bytes.
        public var start: Int64
        public var end: Int64
        public var total: Int64
        /// The slice length asked for, kept by the paging links.
        public var byteLength: Int64
        /// The master's web UI, for the way back (on the master's own log page, its root, relative
        /// to the page); nil or empty hides the link.
        public var masterWebUiURL: String?
        /// The page's path ends with `/` (`logPage/`, as Spark links it): the plain-text link
        /// climbs one level more.
        public var pathEndsWithSlash: Bool
        public var version: String?

        public init(
            logType: String, owner: Owner, text: String, start: Int64, end: Int64, total: Int64, byteLength: Int64,
            masterWebUiURL: String?, pathEndsWithSlash: Bool, version: String? = nil
        ) {
            self.logType = logType
            self.owner = owner
            self.text = text
            self.start = start
            self.end = end
            self.total = total
            self.byteLength = byteLength
            self.masterWebUiURL = masterWebUiURL
            self.pathEndsWithSlash = pathEndsWithSlash
            self.version = version
        }
    }

    public enum Owner: Sendable, Equatable {
        case executor(appId: String, executorId: String)
        case driver(driverId: String)
        /// The daemon serving the page: `master` or `worker`.
        case daemon(String)

        var parameters: [(String, String)] {
            switch self {
            case .executor(let appId, let executorId): [("appId", appId), ("executorId", executorId)]
            case .driver(let driverId): [("driverId", driverId)]
            case .daemon: [("self", "")]
            }
        }

        /// Spark's page name: `<appId>/<executorId>`, the driver's id, or the daemon's role.
        var name: String {
            switch self {
            case .executor(let appId, let executorId): "\(appId)/\(executorId)"
            case .driver(let driverId): driverId
            case .daemon(let role): role
            }
        }

        /// Which daemon serves the page, for its footer.
        var daemon: String {
            if case .daemon(let role) = self { return role }
            return "worker"
        }
    }

    /// The page as HTML.
    public static func render(_ model: Model) -> String {
        let base = model.owner.parameters + [("logType", model.logType)]
        func page(offset: Int64?) -> String {
            var parameters = base
            if let offset { parameters.append(("offset", String(offset))) }
            parameters.append(("byteLength", String(model.byteLength)))
            return HTML.query(parameters)
        }
        var links: [Markup] = []
        if model.start > 0 {
            links.append(WebPage.link("Earlier", href: page(offset: max(0, model.start - model.byteLength))))
        }
        if model.end < model.total {
            links.append(WebPage.link("Later", href: page(offset: model.end)))
        }
        links.append(WebPage.link("Newest", href: page(offset: nil)))
        let plain = (model.pathEndsWithSlash ? "../log" : "log")
            + HTML.query(base + [("offset", String(model.start)), ("byteLength", String(model.end - model.start))])
        links.append(WebPage.link("As text", href: plain))

        var content = WebPage.summary([
            ("Showing", "\(model.end - model.start) bytes: \(model.start) – \(model.end) of \(model.total)"),
            ("Log", .text("\(model.owner.name) \(model.logType)")),
        ])
        content += "<p class=\"pager\">\(links.joined(separator: " "))</p>\n"
        content += model.text.isEmpty
            ? "<p class=\"empty\">\(model.total == 0 ? "The log is empty." : "Nothing in this range.")</p>\n"
            : "<pre class=\"log\">\(model.text)</pre>\n"
        if model.end < model.total { content += "<p class=\"pager\">\(WebPage.link("Later", href: page(offset: model.end)))</p>\n" }

        var navigation: [Markup] = []
        if let master = model.masterWebUiURL, !master.isEmpty { navigation.append(WebPage.link("Back to Master", href: master)) }
        let title = "\(model.logType) log page for \(model.owner.name)"
        return WebPage.document(
            title: title, heading: .text(title), navigation: navigation, content: content,
            footer: model.version.map { "Spark \($0) standalone \(model.owner.daemon)" })
    }
}
