import Foundation
import SparkConfig
import SparkMasterServer
import SparkModel
import SparkTestKit
import Testing

/// The real JVM master and ours, each with one real JVM worker, a waiting application and a
/// waiting cluster-mode driver: their `/json` documents have the same structure.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct MasterJSONJVMTests {
    /// More memory than any worker has: the application and the driver stay waiting, so both
    /// masters list them without launching anything.
    static let application = MasterFixture.application(name: "json-shape", memory: 1_000_000, appUiUrl: "http://127.0.0.1:4040")
    static let driver = DriverDescription(
        jarUrl: "file:/tmp/none.jar", mem: 1_000_000, cores: 1, supervise: false,
        command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "Hello"],
                         environment: [("SPARK_USER", "root")], javaOpts: ["-Dspark.app.name=Hello"]))

    /// Prometheus' text for the master and its applications besides the default JSON servlets.
    static let prometheus = [
        "spark.metrics.conf.*.sink.prometheusServlet.class": "org.apache.spark.metrics.sink.PrometheusServlet",
        "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
        "spark.metrics.conf.master.sink.prometheusServlet.path": "/metrics/master/prometheus",
        "spark.metrics.conf.applications.sink.prometheusServlet.path": "/metrics/applications/prometheus",
    ]

    @Test(.timeLimit(.minutes(4)))
    func sameStructureAsTheJVMMaster() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let directory = try TestEnvironment.temporaryDirectory("webui-jvm-json")
        let jvmPort = try freePort()
        let jvmWebPort = try freePort()
        let jvmMaster = try SparkDaemons.master(
            sparkHome: sparkHome, port: jvmPort, webUIPort: jvmWebPort, logDirectory: directory,
            options: Self.prometheus.sorted { $0.key < $1.key }.map { "-D\($0.key)=\($0.value)" })
        defer { jvmMaster.stop() }
        var workers: [ChildProcess] = []
        defer { for worker in workers { worker.stop() } }
        let driver = try await FakeDriver.start()

        do {
            try await jvmMaster.waitForLog("I have been elected leader", timeout: .seconds(90))
            let jvmWorkerPort = try freePort()
            workers.append(try SparkDaemons.worker(
                sparkHome: sparkHome, masterURL: "spark://127.0.0.1:\(jvmPort)", port: jvmWorkerPort, webUIPort: try freePort(),
                workDirectory: directory.appendingPathComponent("work-jvm"), logDirectory: directory, name: "jvm-worker-jvm"))
            try await jvmMaster.waitForLog("Registering worker 127.0.0.1:\(jvmWorkerPort)", timeout: .seconds(90))

            let (theirs, theirApp) = try await Self.populate(driver: driver, masterPort: jvmPort, webPort: jvmWebPort)

            try await MasterServiceWebTests.withMaster(conf: Self.prometheus) { service, endpoints in
                workers.append(try SparkDaemons.worker(
                    sparkHome: sparkHome, masterURL: endpoints.masterUrl, port: try freePort(), webUIPort: try freePort(),
                    workDirectory: directory.appendingPathComponent("work-swift"), logDirectory: directory, name: "jvm-worker-swift"))
                try await waitUntil("the JVM worker registers with our master", timeout: .seconds(90)) {
                    await service.snapshot()?.workerList.count == 1
                }
                let (ours, ourApp) = try await Self.populate(driver: driver, masterPort: Int(endpoints.rpc.port), webPort: endpoints.webUiPort)

                #expect(JSONShape.differences(ours.json, theirs.json) == [])
                #expect(JSONShape.differences(theirs.json, ours.json) == [])
                for (document, name) in [(ours.json, "ours"), (theirs.json, "theirs")] {
                    let object = document as? [String: Any]
                    #expect((object?["workers"] as? [Any])?.count == 1, "\(name)")
                    #expect((object?["activeapps"] as? [Any])?.count == 1, "\(name)")
                    #expect((object?["activedrivers"] as? [Any])?.count == 1, "\(name)")
                }
                #expect(ours.contentType?.lowercased() == theirs.contentType?.lowercased())

                // One field, cluster utilization, a name that is no field: the same documents,
                // values included (each master has one like worker, the same waiting app and driver).
                for path in ["/json/clusterutilization", "/json/aliveworkers", "/json/cores/ignored", "/json/memory", "/json/status", "/json/nosuch1"] {
                    let mine = try JSONShape.parse(try await HTTP.request(port: endpoints.webUiPort, path).text)
                    let jvm = try JSONShape.parse(try await HTTP.request(port: jvmWebPort, path).text)
                    #expect(NSDictionary(dictionary: mine as? [String: Any] ?? [:]).isEqual(to: jvm as? [String: Any] ?? ["not": "an object"]), "\(path): \(mine) \(jvm)")
                }
                let utilization = try JSONShape.parse(try await HTTP.request(port: endpoints.webUiPort, "/json/clusterutilization").text) as? [String: Any]
                #expect(utilization?["waitingDrivers"] as? Int == 1 && utilization?["coresutilization"] as? Int == 0)
                try await Self.compareMetrics(ours: endpoints.webUiPort, theirs: jvmWebPort)
                for path in ["/json/activeapps", "/json/workers"] {
                    let mine = try JSONShape.parse(try await HTTP.request(port: endpoints.webUiPort, path).text)
                    let jvm = try JSONShape.parse(try await HTTP.request(port: jvmWebPort, path).text)
                    #expect(JSONShape.differences(mine, jvm) == [] && JSONShape.differences(jvm, mine) == [], "\(path)")
                    #expect(((mine as? [String: Any])?[String(path.dropFirst(6))] as? [Any])?.count == 1, "\(path)")
                }

                // The application ends on both: its gauges stay, with its final state, as Spark keeps
                // an application's source until it is no longer retained.
                for (appId, masterPort, webPort) in [(theirApp, jvmPort, jvmWebPort), (ourApp, Int(endpoints.rpc.port), endpoints.webUiPort)] {
                    driver.env.post(.unregisterApplication(UnregisterApplication(appId: appId)), to: FakeDriver.masterRef(port: masterPort))
                    try await waitUntil("\(appId) is listed as completed on \(webPort)", timeout: .seconds(30)) {
                        let json = try JSONShape.parse(try await HTTP.request(port: webPort, "/json/").text) as? [String: Any]
                        return (json?["completedapps"] as? [Any])?.count == 1
                    }
                }
                let ended = try await Self.applicationGauges(ours: endpoints.webUiPort, theirs: jvmWebPort)
                #expect(ended.ours == ended.theirs)
                #expect(ended.ours["application.json-shape.status"] == "FINISHED")
            }
        } catch {
            await driver.shutdown()
            throw error
        }
        await driver.shutdown()
        for worker in workers { worker.stop() }
        jvmMaster.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The master's and its applications' metrics, JSON and Prometheus: the master's gauges the
    /// same, the application's the same but for its start time in the name and its run time (the
    /// JVM's registries also hold Spark SQL's static sources, which we do not write).
    static func compareMetrics(ours: Int, theirs: Int) async throws {
        func gauges(_ port: Int, _ path: String) async throws -> [String: Any] {
            let response = try await HTTP.request(port: port, path)
            #expect(response.status == 200, "\(path) on \(port)")
            #expect(response.header("Content-Type")?.lowercased() == "text/json;charset=utf-8", "\(path)")
            let document = try #require(try JSONShape.parse(response.text) as? [String: Any])
            #expect(document["version"] as? String == "4.0.0")
            return try #require(document["gauges"] as? [String: Any])
        }
        let normalized = Self.normalized
        let master = try await gauges(ours, "/metrics/master/json/")
        #expect(normalized(master) == normalized(try await gauges(theirs, "/metrics/master/json/")))
        #expect(normalized(master)["master.waitingApps"] == "1" && normalized(master)["master.aliveWorkers"] == "1")
        let apps = try await gauges(ours, "/metrics/applications/json")
        #expect(normalized(apps) == normalized(try await gauges(theirs, "/metrics/applications/json/")))
        #expect(normalized(apps)["application.json-shape.status"] == "WAITING")
        #expect(apps.keys.contains { $0.hasSuffix(".runtime_ms") })

        func prometheus(_ port: Int, _ path: String) async throws -> [String] {
            let response = try await HTTP.request(port: port, path)
            #expect(response.status == 200, "\(path) on \(port)")
            #expect(response.header("Content-Type")?.lowercased() == "text/plain;charset=utf-8", "\(path)")
            // Spark SQL's static sources are the JVM's alone; start times and run times differ.
            return response.text.split(separator: "\n").map(String.init)
                .filter { !$0.contains("HiveExternalCatalog") && !$0.contains("CodeGenerator") && !$0.contains("_runtime_ms_") }
                .map { $0.replacing(#/_[0-9]{13}_/#, with: "_START_") }
        }
        let masterLines = try await prometheus(ours, "/metrics/master/prometheus")
        #expect(masterLines == (try await prometheus(theirs, "/metrics/master/prometheus/")))
        #expect(masterLines.contains("metrics_master_waitingApps_Value{type=\"gauges\"} 1"))
        let appLines = try await prometheus(ours, "/metrics/applications/prometheus/")
        #expect(appLines == (try await prometheus(theirs, "/metrics/applications/prometheus/")))
        #expect(appLines == ["metrics_application_json_shape_START_cores_Number{type=\"gauges\"} 0", "metrics_application_json_shape_START_cores_Value{type=\"gauges\"} 0"])
    }

    /// Registers the waiting application and driver, waits until `/json` lists both, returns it.
    /// `application.<name>.<start>.<gauge>` → `application.<name>.<gauge>`, with its value; the run
    /// time dropped.
    static func normalized(_ gauges: [String: Any]) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in gauges where !name.hasSuffix(".runtime_ms") {
            var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if parts.first == "application", parts.count >= 4 { parts.remove(at: parts.count - 2) }
            result[parts.joined(separator: ".")] = "\((value as? [String: Any])?["value"] ?? "?")"
        }
        return result
    }

    /// Both masters' application gauges, normalized.
    static func applicationGauges(ours: Int, theirs: Int) async throws -> (ours: [String: String], theirs: [String: String]) {
        func gauges(_ port: Int) async throws -> [String: String] {
            let response = try await HTTP.request(port: port, "/metrics/applications/json/")
            let document = try #require(try JSONShape.parse(response.text) as? [String: Any])
            return normalized(try #require(document["gauges"] as? [String: Any]))
        }
        return (try await gauges(ours), try await gauges(theirs))
    }

    static func populate(driver: FakeDriver, masterPort: Int, webPort: Int) async throws -> (json: (json: Any, contentType: String?), appId: String) {
        let appId = try await driver.register(application, masterPort: masterPort)
        let submitted = try await driver.submitDriver(Self.driver, masterPort: masterPort)
        #expect(submitted.success, "\(submitted.message)")
        var document: Any = [:]
        var contentType: String?
        try await waitUntil("/json on \(webPort) lists the application and the driver", timeout: .seconds(30)) {
            let response = try await HTTP.request(port: webPort, "/json/")
            guard response.status == 200 else { return false }
            document = try JSONShape.parse(response.text)
            contentType = response.header("Content-Type")
            let object = document as? [String: Any]
            return (object?["activeapps"] as? [Any])?.count == 1 && (object?["activedrivers"] as? [Any])?.count == 1
        }
        return ((document, contentType), appId)
    }
}
