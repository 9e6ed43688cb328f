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

    @Test(.timeLimit(.minutes(4)))
    func sameStructureAsTheJVMMaster() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let directory = try TestEnvironment.temporaryDirectory("webui-jvm-json")
        let jvmPort = try freePort()
        let jvmWebPort = try freePort()
        let jvmMaster = try SparkDaemons.master(sparkHome: sparkHome, port: jvmPort, webUIPort: jvmWebPort, logDirectory: directory)
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

            let theirs = try await Self.populate(driver: driver, masterPort: jvmPort, webPort: jvmWebPort)

            try await MasterServiceWebTests.withMaster { service, endpoints in
                workers.append(try SparkDaemons.worker(
                    sparkHome: sparkHome, masterURL: endpoints.masterUrl, port: try freePort(), webUIPort: try freePort(),
                    workDirectory: directory.appendingPathComponent("work-swift"), logDirectory: directory, name: "jvm-worker-swift"))
                try await waitUntil("the JVM worker registers with our master", timeout: .seconds(90)) {
                    await service.snapshot()?.workerList.count == 1
                }
                let ours = try await Self.populate(driver: driver, masterPort: Int(endpoints.rpc.port), webPort: endpoints.webUiPort)

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
                for path in ["/json/activeapps", "/json/workers"] {
                    let mine = try JSONShape.parse(try await HTTP.request(port: endpoints.webUiPort, path).text)
                    let jvm = try JSONShape.parse(try await HTTP.request(port: jvmWebPort, path).text)
                    #expect(JSONShape.differences(mine, jvm) == [] && JSONShape.differences(jvm, mine) == [], "\(path)")
                    #expect(((mine as? [String: Any])?[String(path.dropFirst(6))] as? [Any])?.count == 1, "\(path)")
                }
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

    /// Registers the waiting application and driver, waits until `/json` lists both, returns it.
    static func populate(driver: FakeDriver, masterPort: Int, webPort: Int) async throws -> (json: Any, contentType: String?) {
        _ = try await driver.register(application, masterPort: masterPort)
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
        return (document, contentType)
    }
}
