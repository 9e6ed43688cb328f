import Foundation
import SparkMaster
import SparkModel
import SparkTestKit
@testable import SparkWebUI
import Testing

struct HTMLEscapingTests {
    @Test func escapesEveryMarkupCharacter() {
        #expect(HTML.escape("<script>alert('x') & \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;")
        #expect(HTML.escape("app-20261126013023-0000") == "app-20261126013023-0000")
        #expect(HTML.escape("naïve 名前 ✓") == "naïve 名前 ✓")
        #expect(HTML.escape("a\u{0}b") == "a\u{FFFD}b")
        #expect(HTML.escape("&amp;") == "&amp;amp;")
    }

    @Test func interpolationEscapesTextButNotMarkup() {
        let name = "<b>bold</b>"
        let inner: Markup = "<i>\(name)</i>"
        let outer: Markup = "<td>\(inner)\(name)\(42)</td>"
        #expect(outer.html == "<td><i>&lt;b&gt;bold&lt;/b&gt;</i>&lt;b&gt;bold&lt;/b&gt;42</td>")
        #expect(Markup.text("\"'").html == "&quot;&#39;")
        #expect([Markup.text("<"), Markup.text(">")].joined(separator: "<br>").html == "&lt;<br>&gt;")
    }

    @Test(arguments: [
        "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>",
        "vbscript:msgbox", "\u{1}javascript:alert(1)", "",
    ])
    func unsafeURLsAreNotLinked(url: String) {
        #expect(HTML.safeURL(url) == nil, "\(url.debugDescription) accepted")
        #expect(!WebPage.link("x", href: url).html.contains("href"))
    }

    /// A character reference cannot smuggle a scheme in: the `&` is escaped, so the browser sees
    /// the text as written, a relative reference.
    @Test func characterReferencesStayText() {
        #expect(WebPage.link("x", href: "jav&#x09;ascript:alert(1)").html == "<a href=\"jav&amp;#x09;ascript:alert(1)\">x</a>")
    }

    @Test(arguments: [
        "http://127.0.0.1:8081", "HTTPS://example.com/a?b=c", "/proxy/worker-1/", "app/?appId=x", "../", "logPage/?a=b:c",
    ])
    func safeURLsAreKept(url: String) {
        #expect(HTML.safeURL(url) == url)
    }

    @Test func queryComponentsArePercentEncoded() {
        #expect(HTML.queryComponent("app-1 &x=<y>/é") == "app-1%20%26x%3D%3Cy%3E%2F%C3%A9")
        #expect(HTML.query([("appId", "a&b"), ("logType", "stdout")]) == "?appId=a%26b&logType=stdout")
        #expect(FormData("id=a%26b+c&terminate=true&flag")["id"] == "a&b c")
        #expect(FormData("id=a%26b+c&terminate=true&flag")["flag"] == "")
        #expect(FormData("id=%zz%4")["id"] == "%zz%4")
    }

    /// A hostile application name, user, UI URL and worker address never become markup or links.
    @Test func hostileValuesOnTheMasterAndApplicationPages() throws {
        let busy = MasterFixture.busy()
        var fixture = busy.fixture
        let (running, finished) = (busy.running, busy.finished)
        fixture.addWorker(port: 41999, cores: 1, memory: 512, webUi: "javascript:alert('worker')")
        let options = MasterPageOptions()
        let pages = [
            MasterPage.render(fixture.master, now: fixture.now, options: options),
            ApplicationPage.render(try #require(ApplicationPage.find(finished, in: fixture.master)), master: fixture.master, now: fixture.now, options: options),
            ApplicationPage.render(try #require(ApplicationPage.find(running, in: fixture.master)), master: fixture.master, now: fixture.now, options: options),
        ]
        for page in pages {
            #expect(!page.contains("<script>alert"))
            #expect(!page.contains("<img"))
            #expect(!page.lowercased().contains("href=\"javascript:"))
            #expect(page.components(separatedBy: "<script>").count == 2, "only the page's own script")
        }
        #expect(pages[0].contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;"))
        #expect(pages[0].contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(pages[1].contains("<title>Application: &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;</title>"))
        // The kill confirmation carries the name only as an escaped attribute value.
        let hostile = MasterFixture.application(name: "x\" onmouseover=\"alert(1)", user: "u")
        fixture.addApp(port: 50100, hostile)
        let page = MasterPage.render(fixture.master, now: fixture.now, options: options)
        #expect(page.contains("data-confirm=\"Kill application app-"))
        #expect(page.contains("(x&quot; onmouseover=&quot;alert(1))?\""))
        #expect(!page.contains("\" onmouseover=\"alert(1)"))
    }

    @Test func workerPageEscapesExecutorValues() {
        let page = WorkerPage.render(WorkerPage.Model(
            workerId: "worker-<1>", host: "127.0.0.1", port: 7078, masterURL: "spark://127.0.0.1:7077",
            masterWebUiURL: "javascript:alert(1)", cores: 2, coresUsed: 1, memoryMiB: 2048, memoryUsedMiB: 512,
            executors: [.init(executorId: 0, appId: "app-1&2", appName: MasterFixture.hostileName, user: MasterFixture.hostileUser, cores: 1, memoryMiB: 512, state: "RUNNING")],
            finishedExecutors: []))
        #expect(!page.contains("<script>alert"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("Back to Master</a>"))
        #expect(page.contains("worker-&lt;1&gt;"))
        #expect(page.contains("href=\"logPage/?appId=app-1%262&amp;executorId=0&amp;logType=stderr\""))
    }

    /// The content security policy allows the page's one script by its SHA-256.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func contentSecurityPolicyHashMatchesTheScript() throws {
        let directory = try TestEnvironment.temporaryDirectory("csp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("script.js")
        try WebPage.confirmScript.write(to: file, atomically: true, encoding: .utf8)
        let result = try runCommand("/bin/sh", ["-c", "/usr/bin/openssl dgst -sha256 -binary '\(file.path)' | base64"])
        #expect(result.status == 0)
        #expect("sha256-" + result.output.trimmingCharacters(in: .whitespacesAndNewlines) == WebPage.confirmScriptHash)
        #expect(WebPage.contentSecurityPolicy.contains("script-src '\(WebPage.confirmScriptHash)'"))
    }
}
