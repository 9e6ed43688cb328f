/// The frame every status page shares (header, summary cards, tables, state badges, kill
/// buttons) and the inline style sheet. Pages load nothing else: no external assets, and the
/// only script is the one-line kill confirmation allowed by hash in `contentSecurityPolicy`.
public enum WebPage {
    /// A table column.
    public struct Column: Sendable {
        public enum Kind: Sendable { case text, number, wide }
        public var title: String
        public var kind: Kind

        public init(_ title: String, _ kind: Kind = .text) {
            self.title = title
            self.kind = kind
        }
    }

    /// A whole HTML document.
    /// - Parameters:
    ///   - title: the `<title>`.
    ///   - heading: the page's main heading.
    ///   - navigation: links shown in the header (back to the master, JSON).
    public static func document(title: String, heading: Markup, navigation: [Markup] = [], content: Markup, footer: String? = nil) -> String {
        let nav: Markup = navigation.isEmpty ? .empty : "<nav>\(navigation.joined(separator: " "))</nav>"
        let foot: Markup = footer.map { "<footer>\($0)</footer>" } ?? .empty
        let page: Markup = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">\
            <meta name="viewport" content="width=device-width, initial-scale=1">\
            <title>\(title)</title><style>\(Markup(unsafeRaw: styleSheet))</style></head>
            <body><header><div class="bar"><span class="logo">spark</span><h1>\(heading)</h1>\(nav)</div></header>
            <main>
            \(content)
            </main>
            \(foot)<script>\(Markup(unsafeRaw: confirmScript))</script>
            </body></html>

            """
        return page.html
    }

    /// Summary cards: label and value pairs.
    public static func summary(_ items: [(String, Markup)]) -> Markup {
        let cards = items.map { label, value -> Markup in "<div><dt>\(label)</dt><dd>\(value)</dd></div>" }
        return "<dl class=\"summary\">\(cards)</dl>\n"
    }

    /// A titled section; `count` is shown beside the title.
    public static func section(_ title: String, count: Int? = nil, id: String, _ content: Markup) -> Markup {
        let counter: Markup = count.map { " <span class=\"count\">(\($0))</span>" } ?? .empty
        return "<section id=\"\(id)\"><h2>\(title)\(counter)</h2>\n\(content)</section>\n"
    }

    /// A table that scrolls sideways on a narrow screen; `empty` replaces a table without rows.
    public static func table(_ columns: [Column], rows: [[Markup]], empty: String) -> Markup {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(empty)</p>\n" }
        let classes = columns.map { column -> Markup in
            switch column.kind {
            case .text: return .empty
            case .number: return " class=\"num\""
            case .wide: return " class=\"wide\""
            }
        }
        let head = columns.enumerated().map { index, column -> Markup in "<th scope=\"col\"\(classes[index])>\(column.title)</th>" }
        var body = Markup.empty
        for row in rows {
            var cells = Markup.empty
            for (index, cell) in row.enumerated() {
                let kind = index < classes.count ? classes[index] : .empty
                cells += "<td\(kind)>\(cell)</td>"
            }
            body += "<tr>\(cells)</tr>\n"
        }
        return "<div class=\"table\"><table><thead><tr>\(head)</tr></thead><tbody>\n\(body)</tbody></table></div>\n"
    }

    /// A link, or plain text when `href` is missing or not a safe URL.
    public static func link(_ text: String, href: String?) -> Markup {
        guard let href, let safe = HTML.safeURL(href) else { return .text(text) }
        return "<a href=\"\(safe)\">\(text)</a>"
    }

    /// A state as a coloured badge (ALIVE and RUNNING green, WAITING amber, DEAD and FAILED red…).
    public static func state(_ state: String) -> Markup {
        let tone: String
        switch state {
        case "ALIVE", "RUNNING", "FINISHED": tone = state == "FINISHED" ? "s-muted" : "s-ok"
        case "WAITING", "LAUNCHING", "SUBMITTED", "RECOVERING", "COMPLETING_RECOVERY", "RELAUNCHING", "STANDBY", "DECOMMISSIONED",
             "UNKNOWN":
            tone = "s-warn"
        case "DEAD", "FAILED", "KILLED", "LOST", "ERROR": tone = "s-bad"
        default: tone = "s-muted"
        }
        return "<span class=\"state \(tone)\">\(state)</span>"
    }

    /// A small form that POSTs `fields` to `action` after the browser asks `confirm`.
    public static func postButton(action: String, fields: [(String, String)], label: String, confirm: String) -> Markup {
        let inputs = fields.map { name, value -> Markup in "<input type=\"hidden\" name=\"\(name)\" value=\"\(value)\">" }
        return "<form class=\"kill\" method=\"post\" action=\"\(action)\" data-confirm=\"\(confirm)\">\(inputs)<button type=\"submit\">\(label)</button></form>"
    }

    /// Resource addresses by name, e.g. `gpu: 0, 1`; `fallback` when there are none.
    public static func resources(_ entries: [(String, [String])], fallback: String = "") -> Markup {
        let shown = entries.filter { !$0.1.isEmpty }.sorted { $0.0 < $1.0 }
        guard !shown.isEmpty else { return .text(fallback) }
        return shown.map { name, addresses -> Markup in "<span class=\"res\">\(name): \(addresses.joined(separator: ", "))</span>" }
            .joined(separator: "<br>")
    }

    /// Asks before a kill form is sent; the text comes from the form's `data-confirm` attribute,
    /// so no value is ever written into script.
    static let confirmScript =
        "document.addEventListener(\"submit\",function(e){var m=e.target.getAttribute(\"data-confirm\");if(m&&!confirm(m))e.preventDefault()});"

    /// SHA-256 of `confirmScript`, base64 (checked by a test).
    static let confirmScriptHash = "sha256-cs/ykQpYLlQD11BFbvwxHZKct6zfBFqh3XkbtAD8gfA="

    /// The policy our own pages are served with: nothing loads from anywhere, inline style only,
    /// and the confirmation script by its hash; framed by pages of the same origin only (what
    /// `spark.ui.allowFramingFrom` changes, see `contentSecurityPolicy(frameAncestors:)`).
    public static let contentSecurityPolicy = contentSecurityPolicy(frameAncestors: "frame-ancestors 'self'")

    /// The policy with another `frame-ancestors` directive, or none.
    public static func contentSecurityPolicy(frameAncestors: String?) -> String {
        let policy = "default-src 'none'; style-src 'unsafe-inline'; script-src '\(confirmScriptHash)'; img-src 'self' data:; "
            + "form-action 'self'; base-uri 'none'"
        return frameAncestors.map { policy + "; " + $0 } ?? policy
    }

    static let styleSheet = """
        :root{--bg:#f6f6f7;--fg:#1c1c1f;--muted:#696970;--card:#fff;--line:#e1e1e6;--link:#0a5fc2;\
        --ok:#1a7f37;--warn:#9a6200;--bad:#c8202c;--bar:#25272b}
        @media (prefers-color-scheme:dark){:root{--bg:#141518;--fg:#e6e6e9;--muted:#9b9ba4;--card:#1d1f23;\
        --line:#32353b;--link:#72b2ff;--ok:#48c15a;--warn:#d9a22b;--bad:#ff6b63;--bar:#0c0d0f}}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;\
        background:var(--bg);color:var(--fg)}
        header{background:var(--bar);color:#f2f2f2}
        .bar{max-width:1400px;margin:0 auto;padding:10px 16px;display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px}
        .logo{font-weight:800;color:#f07b35;letter-spacing:.02em}
        h1{font-size:17px;font-weight:600;margin:0;overflow-wrap:anywhere;flex:1 1 auto}
        nav a{color:#cfe3ff;margin-left:10px}
        main{max-width:1400px;margin:0 auto;padding:12px 16px 24px}
        a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
        h2{font-size:15px;margin:22px 0 8px}.count{color:var(--muted);font-weight:400}
        .summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px;margin:4px 0 0}
        .summary div{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:7px 11px;min-width:0}
        .summary dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
        .summary dd{margin:2px 0 0;font-weight:600;overflow-wrap:anywhere}
        .table{overflow-x:auto;-webkit-overflow-scrolling:touch;background:var(--card);border:1px solid var(--line);border-radius:6px}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
        th{font-size:12px;color:var(--muted);font-weight:600;background:var(--card);position:sticky;top:0}
        tbody tr:last-child td{border-bottom:0}tbody tr:hover{background:rgba(127,127,127,.07)}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        .wide{white-space:normal;min-width:10em;max-width:32em;overflow-wrap:anywhere}
        .empty{color:var(--muted);margin:4px 0}
        .state{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;border:1px solid currentColor}
        .s-ok{color:var(--ok)}.s-warn{color:var(--warn)}.s-bad{color:var(--bad)}.s-muted{color:var(--muted)}
        form.kill{display:inline;margin-left:6px}
        form.kill button{font:inherit;font-size:11px;color:var(--bad);background:none;border:1px solid var(--bad);\
        border-radius:4px;padding:0 6px;cursor:pointer}
        .note{background:var(--card);border-left:3px solid var(--warn);padding:8px 12px;margin:10px 0}
        .pager{margin:10px 0}.pager a{margin-right:14px}
        .log{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0;        font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
        footer{color:var(--muted);font-size:12px;padding:8px 16px 20px;text-align:center}
        @media (max-width:640px){main{padding:8px 8px 20px}.bar{padding:8px}th,td{padding:5px 7px}\
        .summary{grid-template-columns:1fr 1fr}}
        """
}
