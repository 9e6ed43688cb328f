import SparkConfig
@testable import SparkMaster
@testable import SparkMasterServer
import SparkModel
import SparkProtocol
import Testing

/// The REST submission protocol without a server: routes, checks, the driver a request becomes,
/// and the settings (the answers themselves are compared with the JVM master's in
/// `SparkClusterTests.RestSubmissionTests`).
@Suite struct RestSubmissionProtocolTests {
    static let spark4 = RestSubmission.Context(
        serverVersion: "4.3.0", line: .spark4_3, masterURL: "spark://10.1.0.5:7077", restPort: 6066,
        environment: ["BUCKET": "s3a://jobs", "TOKEN": "t0k", "_SPARK_AUTH_SECRET": "rpc-secret"])
    static let spark35 = RestSubmission.Context(serverVersion: "3.5.9", line: .spark3_5, masterURL: "spark://10.1.0.5:7077", restPort: 6066)

    static func request(_ fields: String) -> [UInt8] { Array(fields.utf8) }

    @Test func routesFollowSparksServletMappings() {
        #expect(RestSubmission.route(method: "POST", path: "/v1/submissions/create", context: Self.spark4) == .create)
        #expect(RestSubmission.route(method: "POST", path: "/v1/submissions/create/anything", context: Self.spark4) == .create)
        #expect(RestSubmission.route(method: "POST", path: "/v1/submissions/kill/driver-1/x", context: Self.spark4) == .kill("driver-1"))
        #expect(RestSubmission.route(method: "GET", path: "/v1/submissions/status/driver-1", context: Self.spark4) == .status("driver-1"))
        #expect(RestSubmission.route(method: "HEAD", path: "/v1/submissions/status/driver-1", context: Self.spark4) == .status("driver-1"))
        #expect(RestSubmission.route(method: "POST", path: "/v1/submissions/killall", context: Self.spark4) == .killAll)
        #expect(RestSubmission.route(method: "POST", path: "/v1/submissions/clear", context: Self.spark4) == .clear)
        #expect(RestSubmission.route(method: "GET", path: "/v1/submissions/readyz", context: Self.spark4) == .readyz)
        #expect(RestSubmission.route(method: "GET", path: "/v1/submissions/kill/driver-1", context: Self.spark4)
            == .answer(.init(status: 405, body: nil)))
        // An empty first segment after the action is no id (Spark takes the first one only).
        guard case .answer(let missing) = RestSubmission.route(method: "POST", path: "/v1/submissions/kill//driver-1", context: Self.spark4)
        else { Issue.record("not refused"); return }
        #expect(missing.status == 400)

        // Spark 3.5 has no killall, clear or readyz: its error servlet answers, naming three actions.
        guard case .answer(let old) = RestSubmission.route(method: "POST", path: "/v1/submissions/killall", context: Self.spark35)
        else { Issue.record("3.5 served killall"); return }
        #expect(old.status == 400)
        #expect(old.body == .object([
            ("action", .string("ErrorResponse")),
            ("message", .string("Missing an action: please specify one of /create, /kill, or /status. Please submit requests through http://[host]:[port]/v1/submissions/...")),
            ("serverSparkVersion", .string("3.5.9")),
        ]))
    }

    @Test func aSubmissionBecomesSparksDriverDescription() throws {
        let body = Self.request(#"""
            {"action": "CreateSubmissionRequest", "appResource": "https://jobs.example/app.jar", "mainClass": "com.example.Job",
             "appArgs": ["in", "out"], "clientSparkVersion": "4.3.0", "tomato": 1,
             "sparkProperties": {"spark.master": "spark://m1:6066,m2:6066", "spark.app.name": "Job", "spark.driver.memory": "2g",
               "spark.driver.cores": "2", "spark.driver.supervise": "TRUE", "spark.driver.extraJavaOptions": "-Da=1 '-Db=two words'",
               "spark.driver.defaultJavaOptions": "-Xss4m", "spark.driver.extraClassPath": "/x.jar:/y.jar",
               "spark.driver.resource.gpu.amount": "1", "spark.eventLog.dir": "{{BUCKET}}", "spark.other": "{{UNSET}}",
               "spark.authenticate.secret": "{{_SPARK_AUTH_SECRET}}"},
             "environmentVariables": {"SPARK_LOCAL_IP": "10.0.0.9", "SPARK_USER": "dyno", "API": "{{TOKEN}}"}}
            """#)
        let request = try RestSubmission.parseCreate(body, context: Self.spark4)
        #expect(request.unknownFields == ["tomato"])
        let driver = try RestSubmission.driverDescription(request, context: Self.spark4)
        #expect(driver.jarUrl == "https://jobs.example/app.jar")
        #expect(driver.mem == 2048 && driver.cores == 2 && driver.supervise)
        #expect(driver.resourceReqs == [ResourceRequirement(resourceName: "gpu", amount: 1)])
        let command = driver.command
        #expect(command.mainClass == "org.apache.spark.deploy.worker.DriverWrapper")
        #expect(command.arguments == ["{{WORKER_URL}}", "{{USER_JAR}}", "com.example.Job", "in", "out"])
        #expect(command.environment.map(\.0) == ["API", "SPARK_USER"])
        #expect(command.environment.first?.1 == "t0k")
        #expect(command.classPathEntries == ["/x.jar", "/y.jar"])
        // Module options, every property as -D (the REST port pointed at the RPC port, placeholders
        // filled from the master's environment when set), then the two option strings split.
        #expect(Array(command.javaOpts.prefix(RestSubmission.moduleOptions.count)) == RestSubmission.moduleOptions)
        let properties = command.javaOpts.dropFirst(RestSubmission.moduleOptions.count).prefix(while: { $0.hasPrefix("-Dspark.") })
        #expect(properties.contains("-Dspark.master=spark://m1:7077,m2:7077"))
        #expect(properties.contains("-Dspark.eventLog.dir=s3a://jobs"))
        #expect(properties.contains("-Dspark.other={{UNSET}}"))
        // The RPC secret in the master's environment is never handed out.
        #expect(properties.contains("-Dspark.authenticate.secret={{_SPARK_AUTH_SECRET}}"))
        #expect(properties.map { $0 } == properties.sorted())
        #expect(Array(command.javaOpts.suffix(3)) == ["-Xss4m", "-Da=1", "-Db=two words"])
    }

    @Test func defaultsAndSparkSubmitAsMainClass() throws {
        let body = Self.request(#"""
            {"action": "CreateSubmissionRequest", "appResource": "file:/app.py", "mainClass": "org.apache.spark.deploy.SparkSubmit",
             "appArgs": ["file:/app.py"], "clientSparkVersion": "4.3.0", "sparkProperties": {"spark.app.name": "py"}}
            """#)
        let driver = try RestSubmission.driverDescription(try RestSubmission.parseCreate(body, context: Self.spark4), context: Self.spark4)
        #expect(driver.mem == 1024 && driver.cores == 1 && !driver.supervise)
        #expect(driver.command.arguments == [
            "{{WORKER_URL}}", "{{USER_JAR}}", "org.apache.spark.deploy.SparkSubmit", "-c", "spark.app.name=py", "file:/app.py",
        ])
        // No spark.master sent: the master's own URL.
        #expect(driver.command.javaOpts.contains("-Dspark.master=spark://10.1.0.5:7077"))
        #expect(driver.command.environment.isEmpty)
    }

    @Test func malformedSubmissionsAreRefusedWithSparksReasons() throws {
        func refusal(_ json: String, _ context: RestSubmission.Context = Self.spark4) -> String? {
            do {
                let request = try RestSubmission.parseCreate(Self.request(json), context: context)
                _ = try RestSubmission.driverDescription(request, context: context)
                return nil
            } catch {
                return RestSubmission.refused(error, context: context).body.flatMap {
                    if case .object(let fields) = $0, case .string(let text)? = fields.first(where: { $0.0 == "message" })?.1 { text } else { nil }
                }
            }
        }
        let base = #""action": "CreateSubmissionRequest", "clientSparkVersion": "4.3.0""#
        #expect(refusal("")?.hasPrefix("Malformed request: ") == true)
        #expect(refusal("[1, 2]")?.hasPrefix("Malformed request: ") == true)
        #expect(refusal(#"{"appResource": "x"}"#)?.contains("Action field not found in JSON") == true)
        #expect(refusal(#"{"action": "KillSubmissionResponse"}"#) == "Received message of unexpected type KillSubmissionResponse.")
        #expect(refusal(#"{"action": "CreateSubmissionRequest", "appResource": "a", "sparkProperties": {}}"#)?
            .contains("'clientSparkVersion' is missing in message CreateSubmissionRequest.") == true)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\"}")?.contains("No Spark properties set!") == true)
        #expect(refusal("{\(base), \"mainClass\": \"M\", \"sparkProperties\": {}}")?.contains("'appResource' is missing") == true)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"sparkProperties\": {}}") == "Malformed request: org.apache.spark.deploy.rest.SubmitRestMissingFieldException: Main class is missing.")
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {\"spark.driver.memory\": \"lots\"}}")?
            .contains("Property 'spark.driver.memory' expected memory value: actual was 'lots'.") == true)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {\"spark.driver.supervise\": \"yes\"}}")?
            .contains("Property 'spark.driver.supervise' expected boolean value: actual was 'yes'.") == true)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {\"spark.driver.cores\": \"1.5\"}}")?
            .contains("NumberFormatException") == true)
        #expect(refusal("{\(base), \"appResource\": 7, \"mainClass\": \"M\", \"sparkProperties\": {}}")?.hasPrefix("Malformed request: ") == true)
        // Spark 3.5 wants the arguments, the environment and the application's name.
        let complete = "{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {\"spark.app.name\": \"n\"}, \"appArgs\": [], \"environmentVariables\": {}}"
        #expect(refusal(complete, Self.spark35) == nil)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {}}", Self.spark35)?.contains("'appArgs' is missing") == true)
        #expect(refusal("{\(base), \"appResource\": \"a\", \"mainClass\": \"M\", \"sparkProperties\": {}, \"appArgs\": [], \"environmentVariables\": {}}", Self.spark35)?
            .contains("'spark.app.name' is missing") == true)
        // Spark 4.3: only application jars matching a pattern, when patterns are set.
        var patterned = Self.spark4
        patterned.allowedAppResourcePatterns = ["https://jobs\\.example/.*"]
        #expect(refusal("{\(base), \"appResource\": \"https://jobs.example/a.jar\", \"mainClass\": \"M\", \"sparkProperties\": {}}", patterned) == nil)
        #expect(refusal("{\(base), \"appResource\": \"https://evil.example/a.jar\", \"mainClass\": \"M\", \"sparkProperties\": {}}", patterned)?
            .contains("Valid application jar path is required") == true)
    }

    @Test func settingsFollowTheSparkLine() throws {
        let spark4 = try RestSubmissionServer.Settings(conf: SparkConf(), line: .spark4_3)
        #expect(spark4.enabled && spark4.port == 6066 && spark4.host == nil && spark4.maxRequestBodyBytes == 100 << 20 && spark4.maxThreads == 200)
        #expect(try !RestSubmissionServer.Settings(conf: SparkConf(), line: .spark3_5).enabled)
        #expect(try !RestSubmissionServer.Settings(conf: SparkConf(["spark.master.rest.enabled": "false"]), line: .spark4_3).enabled)
        let custom = try RestSubmissionServer.Settings(
            conf: SparkConf([
                "spark.master.rest.host": "0.0.0.0", "spark.master.rest.port": "16066", "spark.master.rest.maxRequestBodySize": "1m",
                "spark.master.rest.allowedAppResourcePatterns": "file:.*, https://x/.*", "spark.master.rest.maxThreads": "8",
            ]), line: .spark3_5)
        #expect(custom.host == "0.0.0.0" && custom.port == 16066 && custom.maxRequestBodyBytes == 1 << 20 && custom.maxThreads == 8)
        #expect(custom.allowedAppResourcePatterns == ["file:.*", "https://x/.*"])
        // With spark.authenticate the server stays off, and asking for it is refused.
        let authenticated = ["spark.authenticate": "true"]
        #expect(try !RestSubmissionServer.Settings(conf: SparkConf(authenticated), line: .spark4_3).enabled)
        #expect(throws: SparkConfError.self) {
            try RestSubmissionServer.Settings(conf: SparkConf(authenticated.merging(["spark.master.rest.enabled": "true"]) { $1 }), line: .spark3_5)
        }
        // JWSFilter runs, given a key of 256 bits or more; other filters are refused while the
        // server would run; all are ignored when it does not.
        let filter = ["spark.master.rest.filters": "org.apache.spark.ui.JWSFilter"]
        let keyName = "spark.org.apache.spark.ui.JWSFilter.param.secretKey"
        #expect(throws: SparkConfError.self) { try RestSubmissionServer.Settings(conf: SparkConf(filter), line: .spark4_3) }
        #expect(try !RestSubmissionServer.Settings(conf: SparkConf(filter), line: .spark3_5).enabled)
        let key32 = String(repeating: "AAAA", count: 10) + "AAAA"  // 33 bytes
        let guarded = try RestSubmissionServer.Settings(conf: SparkConf(filter.merging([keyName: key32]) { $1 }), line: .spark4_3)
        #expect(guarded.jwsFilter?.key.count == 33)
        #expect(try RestSubmissionServer.Settings(conf: SparkConf(filter.merging([keyName: String(repeating: "A", count: 43) + "="]) { $1 }), line: .spark4_3).jwsFilter != nil)
        for (label, key) in [("short", String(repeating: "A", count: 40)), ("standard alphabet", String(repeating: "A+/A", count: 11)),
                             ("not base64", "%%%%" + key32)] {
            #expect(throws: SparkConfError.self, "\(label)") {
                try RestSubmissionServer.Settings(conf: SparkConf(filter.merging([keyName: key]) { $1 }), line: .spark4_3)
            }
        }
        #expect(throws: SparkConfError.self) {
            try RestSubmissionServer.Settings(
                conf: SparkConf(["spark.master.rest.filters": "org.apache.spark.ui.JWSFilter,com.example.Audit", keyName: key32]), line: .spark4_3)
        }
        for (key, value) in [("spark.master.rest.port", "70000"), ("spark.master.rest.maxRequestBodySize", "0"),
                             ("spark.master.rest.allowedAppResourcePatterns", "(unclosed"), ("spark.master.rest.enabled", "maybe"),
                             ("spark.master.rest.maxThreads", "0")] {
            #expect(throws: SparkConfError.self, "\(key)") { try RestSubmissionServer.Settings(conf: SparkConf([key: value]), line: .spark4_3) }
        }
    }

    @Test func clearForgetsCompletedDriversAndApplications() {
        var harness = MasterHarness()
        let description = DriverDescription(jarUrl: "x", mem: 512, cores: 1, supervise: false, command: Command(mainClass: "M", arguments: []))
        let client = RpcAddress(host: "127.0.0.1", port: 5000)
        guard case .submitDriverResponse(let response)? = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), from: client).reply,
              let id = response.driverId
        else {
            Issue.record("not submitted")
            return
        }
        // Waiting (no worker): killed at once, and completed.
        _ = harness.ask(.requestKillDriver(RequestKillDriver(driverId: id)), from: client)
        #expect(harness.master.completedDrivers.map(\.id) == [id])
        let actions = harness.master.handle(.clearCompletedDriversAndApps, now: harness.now)
        #expect(harness.master.completedDrivers.isEmpty && harness.master.completedApps.isEmpty)
        #expect(actions.contains(.log(.info, "Asked to clear 1 completed drivers and 0 completed apps.")))
    }
}
