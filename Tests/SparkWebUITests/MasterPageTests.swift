import Foundation
import SparkMaster
import SparkModel
@testable import SparkWebUI
import Testing

struct MasterPageTests {
    let fixture: MasterFixture
    let running: String
    let finished: String

    init() {
        (fixture, running, finished) = MasterFixture.busy(offsetSeconds: 3600)
    }

    var master: MasterStateMachine { fixture.master }

    func page(_ options: MasterPageOptions = MasterPageOptions()) -> String {
        MasterPage.render(master, now: fixture.now, options: options)
    }

    func appPage(_ id: String, _ options: MasterPageOptions = MasterPageOptions()) throws -> String {
        ApplicationPage.render(try #require(ApplicationPage.find(id, in: master)), master: master, now: fixture.now, options: options)
    }

    @Test func theFixtureIsBusy() throws {
        #expect(master.workerList.count == 2)
        #expect(master.activeApps.map(\.id) == [running])
        #expect(master.completedApps.map(\.id) == [finished])
        let app = try #require(master.apps[running])
        #expect(app.executors.count == 2)
        #expect(app.removedExecutors.map(\.id) == [0])
        #expect(master.activeDrivers.count == 1)
        #expect(master.activeDrivers.first?.state == .running)
        #expect(master.completedDrivers.map(\.state) == [.finished])
    }

    @Test func summaryAndWorkers() {
        let html = page()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>Spark Master at spark://127.0.0.1:7077</title>"))
        #expect(html.contains("<meta name=\"viewport\""))
        #expect(html.contains("<dt>URL</dt><dd>spark://127.0.0.1:7077</dd>"))
        #expect(!html.contains("REST URL"))
        #expect(html.contains(
            "<dt>Status</dt><dd><span class=\"state s-ok\">ALIVE</span> <span class=\"count\">(<a href=\"environment/\">Environment</a>, "
                + "<a href=\"logPage/?self&amp;logType=out\">Log</a>)</span></dd>"))
        #expect(html.contains("<dt>Workers</dt><dd>2 Alive, 0 Dead, 0 Decommissioned, 0 Unknown</dd>"))
        let coresUsed = master.workerList.reduce(0) { $0 + Int($1.coresUsed) }
        #expect(html.contains("<dt>Cores in use</dt><dd>6 Total, \(coresUsed) Used</dd>"))
        let memoryUsed = master.workerList.reduce(0) { $0 + Int64($1.memoryUsed) }
        #expect(html.contains("<dt>Memory in use</dt><dd>6.0 GiB Total, \(UIFormat.mebibytes(memoryUsed)) Used</dd>"))
        #expect(html.contains("<dt>Resources in use</dt><dd>gpu: 2 Total, 0 Used</dd>"))
        #expect(html.contains("<dt>Applications</dt><dd>1 <a href=\"#running-apps\">Running</a>, 1 <a href=\"#completed-apps\">Completed</a></dd>"))
        // The running driver runs (none waiting); the completed one finished.
        #expect(html.contains("<dt>Drivers</dt><dd>1 Running (0 Waiting), 1 Completed (0 Killed, 0 Failed, 0 Error, 0 Relaunching)</dd>"))
        #expect(html.contains("<h2>Workers <span class=\"count\">(2)</span></h2>"))
        for port: Int32 in [41867, 41868] {
            let id = MasterFixture.workerId(port: port)
            #expect(html.contains("<td><a href=\"http://127.0.0.1:\(port + 1000)/\">\(id)</a></td><td>127.0.0.1:\(port)</td><td><span class=\"state s-ok\">ALIVE</span></td>"))
        }
        #expect(html.contains("<td class=\"num\">4 ("))
        #expect(html.contains("gpu: 2 (0 Used)"))
        #expect(html.contains("<a href=\"json/\">JSON</a>"))
    }

    @Test func applicationsWithLinksAndKillButtons() throws {
        let html = page()
        let app = try #require(master.apps[running])
        #expect(html.contains("<h2>Running Applications <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<a href=\"app/?appId=\(running)\">\(running)</a><form class=\"kill\" method=\"post\" action=\"app/kill/\""))
        #expect(html.contains("<input type=\"hidden\" name=\"id\" value=\"\(running)\"><input type=\"hidden\" name=\"terminate\" value=\"true\">"))
        #expect(html.contains("<td class=\"wide\"><a href=\"http://127.0.0.1:4040\">Spark shell</a></td><td class=\"num\">\(app.coresGranted)</td><td class=\"num\">1.0 GiB</td>"))
        #expect(html.contains(UIFormat.dateTime(epochMillis: app.startTime, offsetSeconds: 3600)))
        #expect(html.contains("<span class=\"state s-ok\">RUNNING</span>"))
        #expect(html.contains(UIFormat.duration(milliseconds: fixture.now - app.startTime)))
        // The completed application links to its page but has no kill button and no UI link.
        #expect(html.contains("<h2>Completed Applications <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<a href=\"app/?appId=\(finished)\">\(finished)</a></td>"))
        #expect(!html.contains("value=\"\(finished)\""))
        #expect(html.contains("<span class=\"state s-muted\">FINISHED</span>"))
    }

    @Test func drivers() throws {
        let html = page()
        let driver = try #require(master.activeDrivers.first)
        let done = try #require(master.completedDrivers.first)
        #expect(html.contains("<h2>Running Drivers <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("\(driver.id)<form class=\"kill\" method=\"post\" action=\"driver/kill/\""))
        #expect(html.contains("com.example.Hello"))
        let worker = try #require(driver.workerId)
        #expect(html.contains(">\(worker)</a></td><td><span class=\"state s-ok\">RUNNING</span></td><td class=\"num\">1</td><td class=\"num\">512 MiB</td>"))
        #expect(html.contains("<td>\(done.id)</td>"))
        #expect(html.contains("com.example.Done"))
        #expect(!html.contains("value=\"\(done.id)\""))
        // A shell that cannot kill drivers shows no driver kill buttons.
        let noDriverKill = page(MasterPageOptions(canKillDrivers: false))
        #expect(!noDriverKill.contains("driver/kill/"))
        #expect(noDriverKill.contains("app/kill/"))
    }

    @Test func killDisabledHidesEveryButton() throws {
        let options = MasterPageOptions(killEnabled: false)
        #expect(!page(options).contains("<form"))
        #expect(!(try appPage(running, options)).contains("<form"))
    }

    @Test func restURLWhenConfigured() {
        #expect(page(MasterPageOptions(restURL: "spark://127.0.0.1:6066")).contains(
            "<dt>REST URL</dt><dd>spark://127.0.0.1:6066 <span class=\"count\">(cluster mode)</span></dd>"))
    }

    @Test func applicationPage() throws {
        let html = try appPage(running)
        let app = try #require(master.apps[running])
        #expect(html.contains("<title>Application: Spark shell</title>"))
        #expect(html.contains("<dt>ID</dt><dd>\(running)</dd>"))
        #expect(html.contains("<dt>User</dt><dd>root</dd>"))
        #expect(html.contains("<dt>Cores</dt><dd>2 (\(app.coresGranted) granted)</dd>"))
        #expect(html.contains("<dt>Executor Limit</dt><dd>Unlimited (2 granted)</dd>"))
        #expect(html.contains("<dt>Executor Memory</dt><dd>1.0 GiB</dd>"))
        #expect(html.contains("<a href=\"http://127.0.0.1:4040\">Application Detail UI</a>"))
        #expect(html.contains("<form class=\"kill\" method=\"post\" action=\"../app/kill/\""))
        #expect(html.contains("<a href=\"../\">Master</a>"))
        #expect(html.contains("<a href=\"../app/json/?appId=\(running)\">JSON</a>"))
        #expect(html.contains("<h2>Executors <span class=\"count\">(2)</span></h2>"))
        for executor in app.executors.values {
            let port = try #require(master.workerList.first { $0.id == executor.workerId }).port + 1000
            #expect(html.contains("<td class=\"num\">\(executor.id)</td><td><a href=\"http://127.0.0.1:\(port)/\">\(executor.workerId)</a></td>"))
            #expect(html.contains("<a href=\"http://127.0.0.1:\(port)/logPage/?appId=\(running)&amp;executorId=\(executor.id)&amp;logType=stdout\">stdout</a>"))
            #expect(html.contains("logType=stderr\">stderr</a>"))
        }
        #expect(html.contains("<h2>Removed Executors <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<span class=\"state s-bad\">EXITED</span>") || html.contains("<span class=\"state s-muted\">EXITED</span>"))
        #expect(html.contains("<span class=\"state s-ok\">RUNNING</span>"))
    }

    @Test func finishedApplicationPage() throws {
        let html = try appPage(finished)
        #expect(html.contains("<dt>State</dt><dd><span class=\"state s-muted\">FINISHED</span></dd>"))
        #expect(html.contains("<dt>Application UI</dt><dd>n/a</dd>"))
        #expect(html.contains("<dt>Cores</dt><dd>Unlimited ("), "\(html.split(separator: "\n").filter { $0.contains("Cores") })")
        #expect(!html.contains("<form"))
        // With a history server, the finished application links to its history there; a running
        // one keeps its own UI.
        let options = MasterPageOptions(historyServerURL: "http://history:18080")
        #expect(try appPage(finished, options).contains(
            "<dt>Application UI</dt><dd><a href=\"http://history:18080/history/\(finished)\">Application History UI</a></dd>"))
        #expect(!(try appPage(running, options)).contains("Application History UI"))
    }

    @Test func aTitleOfTheOperatorsChoosing() {
        let html = page(MasterPageOptions(title: "Analytics <prod>"))
        #expect(html.contains("<title>Analytics &lt;prod&gt;</title>"))
        #expect(html.contains("<h1>Analytics &lt;prod&gt;</h1>"))
        #expect(!html.contains("Spark Master at"))
    }

    @Test func reverseProxyLinks() throws {
        let links = MasterLinks(reverseProxy: true)
        let html = page(MasterPageOptions(links: links))
        let worker = MasterFixture.workerId(port: 41867)
        #expect(html.contains("<a href=\"proxy/\(worker)/\">\(worker)</a>"))
        #expect(html.contains("<a href=\"proxy/\(running)/\">Spark shell</a>"))
        // The hostile application finished: no UI link at all.
        #expect(!html.contains("proxy/\(finished)"))
        let app = try appPage(running, MasterPageOptions(links: links))
        #expect(app.contains("<a href=\"../proxy/\(running)/\">Application Detail UI</a>"))
        #expect(app.contains("href=\"../proxy/worker-"))
        #expect(app.contains("/logPage/?appId=\(running)&amp;executorId="))

        let gateway = MasterPageOptions(links: MasterLinks(reverseProxy: true, reverseProxyURL: "https://gw.example/spark/"))
        #expect(page(gateway).contains("<a href=\"https://gw.example/spark/proxy/\(worker)/\">\(worker)</a>"))
        #expect(try appPage(running, gateway).contains("<a href=\"https://gw.example/spark/proxy/\(running)/\">Application Detail UI</a>"))
        #expect(page(gateway).contains("<a href=\"app/?appId=\(running)\">"))
    }

    @Test func standbyMaster() {
        let standby = MasterFixture(elect: false)
        let html = MasterPage.render(standby.master, now: standby.now, options: MasterPageOptions())
        #expect(html.contains("<span class=\"state s-warn\">STANDBY</span>"))
        #expect(html.contains("<p class=\"note\">This master is STANDBY"))
        #expect(html.contains("No workers have registered."))
        #expect(html.contains("No applications are running."))
    }

    @Test func formats() {
        #expect(UIFormat.mebibytes(0) == "0 B")
        #expect(UIFormat.mebibytes(512) == "512 MiB")
        #expect(UIFormat.mebibytes(1024) == "1.0 GiB")
        #expect(UIFormat.mebibytes(1536) == "1.5 GiB")
        #expect(UIFormat.mebibytes(3 * 1024 * 1024) == "3.0 TiB")
        #expect(UIFormat.duration(milliseconds: 850) == "850 ms")
        #expect(UIFormat.duration(milliseconds: 7885) == "7.9 s")
        #expect(UIFormat.duration(milliseconds: 156_000) == "2.6 min")
        #expect(UIFormat.duration(milliseconds: 4_680_000) == "1.3 h")
        #expect(UIFormat.duration(milliseconds: 3 * 86_400_000) == "3.0 d")
        #expect(UIFormat.dateTime(epochMillis: 1_795_656_623_304, offsetSeconds: 0) == "2026/11/26 01:30:23")
        #expect(UIFormat.dateTime(epochMillis: 1_795_656_623_304, offsetSeconds: -5 * 3600) == "2026/11/25 20:30:23")
    }

    @Test func workerPage() {
        let model = WorkerPage.Model(
            workerId: "worker-20261126013015-127.0.0.1-41867", host: "127.0.0.1", port: 41867, masterURL: "spark://127.0.0.1:7077",
            masterWebUiURL: "http://127.0.0.1:8080", cores: 2, coresUsed: 1, memoryMiB: 2048, memoryUsedMiB: 1024,
            executors: [.init(executorId: 3, appId: "app-1", appName: "Spark shell", user: "root", cores: 1, memoryMiB: 1024, state: "RUNNING",
                              resources: [.init(name: "gpu", addresses: ["0"])])],
            finishedExecutors: [.init(executorId: 2, appId: "app-0", appName: "done", user: "root", cores: 1, memoryMiB: 512, state: "KILLED")],
            drivers: [.init(driverId: "driver-1", mainClass: "com.example.Hello", state: "RUNNING", cores: 1, memoryMiB: 512)],
            finishedDrivers: [.init(driverId: "driver-0", mainClass: "com.example.Fails", state: "ERROR", cores: 2, memoryMiB: 1024,
                                    notes: "java.io.IOException: Cannot fetch hdfs://nn/app.jar")],
            version: "4.3.0", resources: [.init(name: "gpu", addresses: ["0", "1"])], resourcesUsed: [.init(name: "gpu", addresses: ["0"])])
        let html = WorkerPage.render(model)
        #expect(html.contains("<title>Spark Worker at 127.0.0.1:41867</title>"))
        #expect(html.contains("<dt>Master URL</dt><dd>spark://127.0.0.1:7077</dd>"))
        #expect(html.contains("<dt>Cores</dt><dd>2 (1 Used)</dd>"))
        #expect(html.contains("<dt>Memory</dt><dd>2.0 GiB (1.0 GiB Used)</dd>"))
        #expect(html.contains("<dt>Resources</dt><dd><span class=\"res\">gpu: Free: [1] / Used: [0]</span></dd>"))
        #expect(html.contains("<a href=\"http://127.0.0.1:8080\">Back to Master</a>"))
        #expect(html.contains("<h2>Running Executors <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("ID: app-1<br>Name: Spark shell<br>User: root"))
        #expect(html.contains("<a href=\"logPage/?appId=app-1&amp;executorId=3&amp;logType=stdout\">stdout</a>"))
        #expect(html.contains("<h2>Finished Executors <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<span class=\"state s-bad\">KILLED</span>"))
        #expect(html.contains("<a href=\"logPage/?driverId=driver-1&amp;logType=stderr\">stderr</a>"))
        #expect(html.contains("<h2>Running Drivers <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<h2>Finished Drivers <span class=\"count\">(1)</span></h2>"))
        #expect(html.contains("<th scope=\"col\">Notes</th>"))
        #expect(html.contains("<td>java.io.IOException: Cannot fetch hdfs://nn/app.jar</td>"))
        #expect(html.contains("<td class=\"wide\">com.example.Fails</td>"))
        #expect(html.contains("Spark 4.3.0 standalone worker"))
        #expect(!html.contains("<form"))
    }
}
