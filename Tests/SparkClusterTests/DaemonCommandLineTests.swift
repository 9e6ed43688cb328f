import Foundation
import SparkTestKit
import Testing

/// What an operator sees when `spark-master` or `spark-worker` cannot start with its properties
/// file: one line naming the file and the problem, exit status 1, no usage text (the command line
/// was fine). A bad command line still gets the usage.
@Suite struct DaemonCommandLineTests {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func unusablePropertiesFilesEndTheDaemonsWithOneLine() async throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.conf").path
        let huge = directory.appendingPathComponent("spark-defaults.conf")
        try Data(String(repeating: "spark.x 1\n", count: 110_000).utf8).write(to: huge)

        let master = TestEnvironment.product("spark-master").path
        let worker = TestEnvironment.product("spark-worker").path
        let cases: [(String, [String], [String: String], String)] = [
            (master, ["--properties-file", missing], [:], "spark-master: Properties file \(missing) does not exist\n"),
            (worker, ["--properties-file", missing, "spark://127.0.0.1:1"], [:],
             "spark-worker: Properties file \(missing) does not exist\n"),
            // The default file, found through SPARK_CONF_DIR, too large to be one.
            (master, ["--port", "0"], ["SPARK_CONF_DIR": directory.path],
             "spark-master: Properties file \(huge.path) is larger than 1048576 bytes\n"),
            (worker, ["spark://127.0.0.1:1"], ["SPARK_CONF_DIR": directory.path],
             "spark-worker: Properties file \(huge.path) is larger than 1048576 bytes\n"),
        ]
        for (executable, arguments, environment, expected) in cases {
            // Bounded: a daemon that started instead of refusing is ended after 20 s (status 124).
            let result = try runCommand("/usr/bin/env", ["timeout", "20", executable] + arguments, environment: environment)
            #expect(result.status == 1, "\(executable) \(arguments)")
            #expect(result.output == expected)
        }

        // spark.authenticate without a secret, TLS on RPC connections: refused before anything
        // starts, in one line that names the setting.
        for (option, named) in [("-Dspark.authenticate=true", "spark.authenticate.secret"), ("-Dspark.ssl.rpc.enabled=true", "spark.ssl.rpc.enabled")] {
            for (executable, variable, extra) in [(master, "SPARK_MASTER_OPTS", [String]()), (worker, "SPARK_WORKER_OPTS", ["spark://127.0.0.1:1"])] {
                let result = try runCommand(
                    "/usr/bin/env", ["timeout", "20", executable, "--port", "0"] + extra,
                    environment: [variable: option, "SPARK_CONF_DIR": directory.appendingPathComponent("none").path, "SPARK_LOCAL_IP": "127.0.0.1"])
                #expect(result.status == 1, "\(executable) \(option)")
                #expect(result.output.split(separator: "\n").count == 1, "\(result.output)")
                #expect(result.output.contains(named), "\(result.output)")
            }
        }

        // A taken RPC port with no other to try: one error line, status 1.
        let port = try freePort()
        let holder = try ChildProcess(
            name: "port-holder", executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", "-c", "import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', \(port)))\ns.listen()\nprint('listening', flush=True)\ntime.sleep(60)"],
            environment: [:], logDirectory: directory)
        defer { holder.stop(grace: .seconds(1)) }
        try await holder.waitForLog("listening", timeout: .seconds(20))
        let taken = try runCommand(
            "/usr/bin/env", ["timeout", "20", worker, "--host", "127.0.0.1", "--port", "\(port)", "--work-dir", directory.appendingPathComponent("work").path,
                             "spark://127.0.0.1:1"],
            environment: ["SPARK_WORKER_OPTS": "-Dspark.port.maxRetries=0", "SPARK_CONF_DIR": directory.appendingPathComponent("none").path])
        #expect(taken.status == 1)
        let errors = taken.output.split(separator: "\n").filter { $0.contains(" ERROR ") }
        #expect(errors.count == 1 && errors.first?.contains("Service 'sparkWorker' could not bind on port \(port)") == true, "\(taken.output)")

        let usage = try runCommand("/usr/bin/env", ["timeout", "20", worker, "--bogus"])
        #expect(usage.status == 1)
        #expect(usage.output.hasPrefix("Invalid master URL: --bogus\nUsage: spark-worker [options] <master>\n"))
    }
}

/// A hang-up (a closed terminal) stops both daemons gracefully, as a JVM runs its shutdown hooks on
/// SIGHUP: the worker says it is shutting down and both exit 0.
@Suite(.serialized) struct DaemonHangUpTests {
    @Test(.timeLimit(.minutes(2)))
    func aHangUpStopsBothDaemonsGracefully() async throws {
        let cluster = try ClusterHarness(name: "hang-up")
        defer { cluster.stopAll() }
        try await cluster.startMaster()
        let worker = try await cluster.startWorker(.swift)
        worker.signal(SIGHUP)
        #expect(try await worker.waitForExit(timeout: .seconds(30)) == 0, "\(worker.tail())")
        #expect(worker.log().contains(" shutting down"))
        // Logged as Spark's daemons log it.
        #expect(worker.log().contains(" ERROR Worker: RECEIVED SIGNAL HUP\n"), "\(worker.tail())")
        let master = try #require(cluster.master)
        master.signal(SIGHUP)
        #expect(try await master.waitForExit(timeout: .seconds(30)) == 0, "\(master.tail())")
        #expect(master.log().contains(" ERROR Master: RECEIVED SIGNAL HUP\n"), "\(master.tail())")
    }

    /// A worker whose decommission signal is HUP decommissions on it (and logs it, as Spark's
    /// signal logger does) instead of stopping.
    @Test(.timeLimit(.minutes(2)))
    func aHangUpThatIsTheDecommissionSignalDecommissions() async throws {
        let cluster = try ClusterHarness(name: "hang-up-decommission")
        defer { cluster.stopAll() }
        let enabled = ["-Dspark.decommission.enabled=true"]
        try await cluster.startMaster(options: enabled)
        let worker = try await cluster.startWorker(.swift, options: enabled + ["-Dspark.worker.decommission.signal=HUP"])
        try await worker.waitForLog("Registering SIGHUP handler to trigger decommissioning.", timeout: .seconds(30))
        try await worker.waitForLog("Successfully registered with master", timeout: .seconds(30))
        worker.signal(SIGHUP)
        try await worker.waitForLog("Decommission worker worker-", timeout: .seconds(30))
        try await cluster.waitForMasterLog("Decommissioning worker worker-", timeout: .seconds(30))
        #expect(worker.log().contains(" ERROR Worker: RECEIVED SIGNAL HUP\n"), "\(worker.tail())")
        try await Task.sleep(for: .milliseconds(500))
        #expect(worker.isRunning)
    }

    /// Started under `nohup` (as Spark's `spark-daemon.sh` starts its daemons) a daemon keeps running
    /// through a hang-up, as a JVM leaves an ignored SIGHUP ignored.
    @Test(.timeLimit(.minutes(1)))
    func underNohupAHangUpIsIgnored() async throws {
        let directory = try TestEnvironment.temporaryDirectory("hang-up-nohup")
        let master = try ChildProcess(
            name: "spark-master-nohup", executable: URL(fileURLWithPath: "/usr/bin/nohup"),
            arguments: [TestEnvironment.product("spark-master").path, "--host", "127.0.0.1", "--port", "0", "--webui-port", "0"],
            environment: ["SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"], logDirectory: directory)
        defer { master.stop() }
        try await master.waitForLog("I have been elected leader", timeout: .seconds(30))
        master.signal(SIGHUP)
        await #expect(throws: ChildProcessError.self, "the master ended on a hang-up under nohup") {
            try await master.waitForExit(timeout: .seconds(2))
        }
        master.signal(SIGTERM)
        #expect(try await master.waitForExit(timeout: .seconds(30)) == 0, "\(master.tail())")
        #expect(master.log().contains(" ERROR Master: RECEIVED SIGNAL TERM\n"), "\(master.tail())")
        #expect(!master.log().contains("RECEIVED SIGNAL HUP"), "\(master.tail())")
    }
}
