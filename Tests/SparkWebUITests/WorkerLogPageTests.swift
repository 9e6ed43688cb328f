@testable import SparkWebUI
import Testing

/// The worker's log page: where the slice lies, links to the slices around it that keep the
/// owner, type and length, the text escaped.
@Suite struct WorkerLogPageTests {
    static func model(start: Int64, end: Int64, total: Int64, text: String = "line\n", slash: Bool = true) -> WorkerLogPage.Model {
        WorkerLogPage.Model(
            logType: "stderr", owner: .executor(appId: "app-1", executorId: "0"), text: text, start: start, end: end, total: total,
            byteLength: 1000, masterWebUiURL: "http://m:8080", pathEndsWithSlash: slash, version: "4.3.0")
    }

    @Test func aSliceInTheMiddleLinksBothWays() {
        let html = WorkerLogPage.render(Self.model(start: 2500, end: 3500, total: 10_000))
        #expect(html.contains("<title>stderr log page for app-1/0</title>"))
        #expect(html.contains("<dd>1000 bytes: 2500 – 3500 of 10000</dd>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=1500&amp;byteLength=1000\">Earlier</a>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=3500&amp;byteLength=1000\">Later</a>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;byteLength=1000\">Newest</a>"))
        #expect(html.contains("<a href=\"../log?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=2500&amp;byteLength=1000\">As text</a>"))
        #expect(html.contains("<a href=\"http://m:8080\">Back to Master</a>"))
        #expect(html.contains("<pre class=\"log\">line\n</pre>"))
    }

    @Test func theEndsOfTheLogHaveNoLinkPastThem() {
        let newest = WorkerLogPage.render(Self.model(start: 9000, end: 10_000, total: 10_000, slash: false))
        #expect(!newest.contains(">Later</a>"))
        #expect(newest.contains("offset=8000&amp;byteLength=1000\">Earlier</a>"))
        #expect(newest.contains("<a href=\"log?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=9000&amp;byteLength=1000\">As text</a>"))
        let first = WorkerLogPage.render(Self.model(start: 0, end: 700, total: 700))
        #expect(!first.contains(">Earlier</a>") && !first.contains(">Later</a>"))
        // Earlier than the start never goes below 0.
        #expect(WorkerLogPage.render(Self.model(start: 300, end: 1300, total: 5000)).contains("offset=0&amp;byteLength=1000\">Earlier</a>"))
        #expect(WorkerLogPage.render(Self.model(start: 0, end: 0, total: 0, text: "")).contains("The log is empty."))
    }

    @Test func aDriversLogAndHostileTextAreEscaped() {
        var model = Self.model(start: 0, end: 40, total: 40, text: "<script>alert(1)</script> & \"q\"")
        model.owner = .driver(driverId: "driver-<1>&2")
        let html = WorkerLogPage.render(model)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("?driverId=driver-%3C1%3E%262&amp;logType=stderr"))
        #expect(html.contains("<title>stderr log page for driver-&lt;1&gt;&amp;2</title>"))
    }
}
