import SparkConfig
import Foundation
import SparkModel
@testable import SparkWorker
import Testing

/// The executor command line and environment against what a real Spark 4.3.0 worker produced
/// (`protocol/samples/executor-*-4.3.0.txt`) for the same LaunchExecutor.
@Suite struct ExecutorCommandTests {
    func sampleLaunch() throws -> ExecutorLaunch {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        let actions = worker.handle(.message(.launchExecutor(try Samples.sampleLaunch())))
        return try #require(actions.launches.first)
    }

    @Test func argvMatchesTheRealWorker() throws {
        let launch = try sampleLaunch()
        let expected = try Samples.text("executor-argv-4.3.0.txt").split(separator: "\n").map(String.init)
        #expect(launch.argv == expected)
        for (index, (ours, theirs)) in zip(launch.argv, expected).enumerated() where ours != theirs {
            Issue.record("argv[\(index)]: \(ours) != \(theirs)")
        }
    }

    @Test func logLineMatchesTheRealLaunchCommand() throws {
        let launch = try sampleLaunch()
        let expected = try Samples.text("executor-launch-command-4.3.0.txt").trimmingCharacters(in: .newlines)
        #expect(launch.redactedCommandLine(pattern: SparkConf.defaultRedactionPattern) == expected)
        #expect(launch.stderrHeader == "Spark Executor Command: \(expected)\n\(String(repeating: "=", count: 40))\n\n")
    }

    @Test func environmentMatchesTheRealWorker() throws {
        let launch = try sampleLaunch()
        let lines = try Samples.text("executor-env-added-4.3.0.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }
        var expected: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: "=", maxSplits: 1)
            expected[String(parts[0])] = String(parts[1])
        }
        var ours: [String: String] = [:]
        for variable in launch.environment { ours[variable.name] = variable.value }
        // SPARK_HOME is inherited by a JVM worker's children; this worker sets it explicitly.
        #expect(ours.removeValue(forKey: "SPARK_HOME") == "$SPARK_VENVS/spark4/lib/python3.11/site-packages/pyspark")
        #expect(Set(ours.keys) == Set(expected.keys))
        for name in expected.keys where name != "SPARK_EXECUTOR_DIRS" {
            #expect(ours[name] == expected[name], "\(name)")
        }
        // /tmp/spark-<uuid>/executor-<uuid>, as observed.
        let directories = try #require(ours["SPARK_EXECUTOR_DIRS"])
        let parts = directories.split(separator: "/")
        #expect(parts.count == 3)
        #expect(parts[0] == "tmp")
        #expect(parts[1].hasPrefix("spark-") && parts[1].count == "spark-".count + 36)
        #expect(parts[2].hasPrefix("executor-") && parts[2].count == "executor-".count + 36)
    }

    @Test func placeholdersAreWholeArgumentsOnly() {
        let placeholders = ExecutorCommandBuilder.Placeholders(
            workerURL: "spark://Worker@h:1", executorId: "3", hostname: "h", cores: "4", appId: "app", resourceProfileId: "0")
        #expect(placeholders.substitute("{{EXECUTOR_ID}}") == "3")
        #expect(placeholders.substitute("{{WORKER_URL}}") == "spark://Worker@h:1")
        #expect(placeholders.substitute("{{RESOURCE_PROFILE_ID}}") == "0")
        #expect(placeholders.substitute("x{{EXECUTOR_ID}}") == "x{{EXECUTOR_ID}}")
        #expect(placeholders.substitute("{{USER_JAR}}") == "{{USER_JAR}}")
    }

    @Test func classPathOrderAndDeduplication() {
        var context = ExecutorCommandContext.sample
        context.environment["HADOOP_CONF_DIR"] = "/etc/hadoop"
        context.directories.insert("/extra/classes")
        let command = Command(
            mainClass: "Main", arguments: [],
            classPathEntries: ["/extra/lib.jar:/extra/classes", "$ANCHORS/conf"])
        let classPath = ExecutorCommandBuilder.classPath(command: command, context: context)
        #expect(classPath == [
            "/extra/lib.jar", "/extra/classes/", "$ANCHORS/conf/",
            "$SPARK_VENVS/spark4/lib/python3.11/site-packages/pyspark/jars/slf4j-api-2.0.17.jar",
            "$SPARK_VENVS/spark4/lib/python3.11/site-packages/pyspark/jars/*", "/etc/hadoop",
        ])
    }

    @Test func javaSelectionAndOptionFiltering() {
        var context = ExecutorCommandContext.sample
        let fromCommand = Command(mainClass: "M", arguments: [], environment: [("JAVA_HOME", "/opt/jdk21")])
        #expect(ExecutorCommandBuilder.javaExecutable(command: fromCommand, context: context) == "/opt/jdk21/bin/java")
        #expect(ExecutorCommandBuilder.javaExecutable(command: Command(mainClass: "M", arguments: []), context: context)
            == "/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
        context.environment["JAVA_HOME"] = nil
        #expect(ExecutorCommandBuilder.javaExecutable(command: Command(mainClass: "M", arguments: []), context: context) == "/usr/bin/java")

        context.javaOptsFileLines = ["-XX:+UseG1GC  \"-Dquoted=a b\"", "", "  -Dsecond=1"]
        let command = Command(
            mainClass: "M", arguments: ["a"],
            javaOpts: ["-Dspark.authenticate.secret=hunter2", "-Dspark.ssl.keyPassword=pw", "-Dkeep=1"])
        let argv = ExecutorCommandBuilder.argv(command: command, arguments: ["a"], memoryMiB: 256, context: context)
        #expect(Array(argv.prefix(4)) == ["/usr/bin/java", "-XX:+UseG1GC", "-Dquoted=a b", "-Dsecond=1"])
        #expect(!argv.contains("-Dspark.authenticate.secret=hunter2"))
        #expect(Array(argv.suffix(5)) == ["-Xmx256M", "-Dspark.ssl.keyPassword=pw", "-Dkeep=1", "M", "a"])
        #expect(ExecutorCommandBuilder.redactedCommandLine(["-Dspark.ssl.keyPassword=pw", "-Dkeep=1"], pattern: SparkConf.defaultRedactionPattern)
            == "\"-Dspark.ssl.keyPassword=*********(redacted)\" \"-Dkeep=1\"")
    }

    /// Spark's `Utils.redactCommandLineArgs`: `-D(.+?)=(.+)`, redacted when the key or the value
    /// matches `spark.redaction.regex` (4.3's default includes `credential`); other arguments as they are.
    @Test func launchCommandsAreRedactedByTheWorkersPattern() {
        let argv = [
            "java", "-Dfs.s3a.credential.provider=x", "-Dinnocent=my-password-is-x", "-Dspark.app.name=a=b", "-D=x", "-Dempty=",
            "--secret-arg",
        ]
        #expect(ExecutorCommandBuilder.redactedCommandLine(argv, pattern: SparkConf.defaultRedactionPattern) == [
            "\"java\"", "\"-Dfs.s3a.credential.provider=*********(redacted)\"", "\"-Dinnocent=*********(redacted)\"",
            "\"-Dspark.app.name=a=b\"", "\"-D=x\"", "\"-Dempty=\"", "\"--secret-arg\"",
        ].joined(separator: " "))
        #expect(ExecutorCommandBuilder.redactedCommandLine(["-Dspark.app.name=seed"], pattern: "app[.]name")
            == "\"-Dspark.app.name=*********(redacted)\"")
        // The worker reads the pattern from its configuration.
        let settings = try? WorkerSettings(conf: SparkConf(["spark.redaction.regex": "(?i)seed"]))
        #expect(settings?.redactionPattern == "(?i)seed")
        #expect(WorkerSettings().redactionPattern == SparkConf.defaultRedactionPattern)
    }

    @Test func libraryPathIsMerged() {
        var context = ExecutorCommandContext.sample
        context.environment["LD_LIBRARY_PATH"] = "/worker/lib"
        let command = Command(
            mainClass: "M", arguments: [], environment: [("LD_LIBRARY_PATH", "/cmd/lib"), ("A", "1")],
            libraryPathEntries: ["/native"])
        let variables = ExecutorCommandBuilder.commandEnvironment(command: command, context: context)
        #expect(variables == [EnvironmentVariable("A", "1"), EnvironmentVariable("LD_LIBRARY_PATH", "/native:/cmd/lib:/worker/lib")])
    }

    @Test func appAndExecutorIdsInJavaOptions() throws {
        var message = try Samples.launch(execId: 5)
        message.appDesc.command.javaOpts.append("-Xlog:gc:/tmp/{{APP_ID}}-{{EXECUTOR_ID}}.gc")
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        let launch = try #require(worker.handle(.message(.launchExecutor(message))).launches.first)
        #expect(launch.argv.contains("-Xlog:gc:/tmp/app-1-5.gc"))
    }

    @Test func resourcesFileIsPassed() throws {
        var message = try Samples.launch()
        message.resources = [("gpu", ResourceInformation(name: "gpu", addresses: ["0", "1"]))]
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        let launch = try #require(worker.handle(.message(.launchExecutor(message))).launches.first)
        let file = try #require(launch.resourcesFile)
        #expect(file.path.hasPrefix("/work/app-1/0/resource-executor-"))
        #expect(file.contents == "[{\"id\":{\"componentName\":\"spark.executor\",\"resourceName\":\"gpu\"},\"addresses\":[\"0\",\"1\"]}]")
        #expect(Array(launch.argv.suffix(2)) == ["--resourcesFile", file.path])
    }

    @Test func reverseProxyLogURLs() throws {
        var settings = WorkerSettings()
        settings.reverseProxy = true
        settings.reverseProxyUrl = "https://gateway/spark/"
        var worker = WorkerHarness(configuration: .test(settings: settings))
        worker.start()
        worker.register()
        let launch = try #require(worker.handle(.message(.launchExecutor(try Samples.launch()))).launches.first)
        #expect(launch.environment.contains(EnvironmentVariable(
            "SPARK_LOG_URL_STDERR",
            "https://gateway/spark/proxy/worker-20261126013015-127.0.0.1-41867/logPage/?appId=app-1&executorId=0&logType=stderr")))
    }
}
