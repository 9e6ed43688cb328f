import Foundation
import SparkConfig
import SparkModel
@testable import SparkWorker
@testable import SparkWorkerServer
import Testing

/// Custom worker resources: what the configuration asks for, what the resources file and the
/// discovery scripts give, and what the worker then offers and shows.
@Suite struct WorkerResourcesTests {
    static func gpus(_ addresses: String...) -> ResourceInformation { ResourceInformation(name: "gpu", addresses: addresses) }

    @Test func namesAndRequestsComeFromTheConfiguration() throws {
        let conf = SparkConf([
            "spark.worker.resource.gpu.amount": "2", "spark.worker.resource.gpu.discoveryScript": "/opt/gpus.sh",
            "spark.worker.resource.fpga.amount": "1", "spark.worker.resource.fpga.vendor": "xilinx", "spark.worker.cores": "4",
        ])
        #expect(try WorkerResources.names(in: conf) == ["fpga", "gpu"])
        #expect(try WorkerResources.request("gpu", in: conf) == .init(name: "gpu", amount: 2, discoveryScript: "/opt/gpus.sh"))
        #expect(try WorkerResources.request("fpga", in: conf) == .init(name: "fpga", amount: 1, vendor: "xilinx"))
    }

    @Test func malformedSettingsAreErrors() {
        #expect(throws: WorkerResources.Failure("You must specify an amount for gpu")) {
            try WorkerResources.request("gpu", in: SparkConf(["spark.worker.resource.gpu.discoveryScript": "/x"]))
        }
        #expect(throws: WorkerResources.Failure("You must specify an amount config for resource: gpu config: spark.worker.resource.gpu.amount")) {
            try WorkerResources.names(in: SparkConf(["spark.worker.resource.gpu": "2"]))
        }
        #expect(throws: WorkerResources.Failure("For input string: \"two\" (spark.worker.resource.gpu.amount must be a whole number)")) {
            try WorkerResources.request("gpu", in: SparkConf(["spark.worker.resource.gpu.amount": "two"]))
        }
    }

    @Test func discoveryRunsForWhatTheFileDoesNotAllocate() async throws {
        let conf = SparkConf([
            "spark.worker.resource.gpu.amount": "1", "spark.worker.resource.gpu.discoveryScript": "/gpus.sh",
            "spark.worker.resource.fpga.amount": "2",
            "spark.worker.resource.tpu.amount": "0", "spark.worker.resource.tpu.discoveryScript": "/never.sh",
        ])
        var asked: [String] = []
        let resources = try await WorkerResources.resolve(
            conf: conf, allocatedFromFile: [ResourceInformation(name: "fpga", addresses: ["f0", "f1", "f2"])]
        ) { (request: WorkerResources.Request) throws(WorkerResources.Failure) -> ResourceInformation in
            asked.append(request.name)
            return Self.gpus("0", "1")
        }
        // fpga from the file, gpu discovered (all its addresses, not only the amount), tpu at 0 skipped.
        #expect(asked == ["gpu"])
        #expect(resources == [ResourceInformation(name: "fpga", addresses: ["f0", "f1", "f2"]), Self.gpus("0", "1")])
        // Nothing configured: nothing offered, nothing run.
        let none = try await WorkerResources.resolve(conf: SparkConf(), allocatedFromFile: []) { _ throws(WorkerResources.Failure) in
            Issue.record("no discovery expected")
            return Self.gpus()
        }
        #expect(none == [])
    }

    @Test func discoveryFailuresStopTheWorkerWithSparksWords() async {
        func resolve(_ conf: [String: String], found: ResourceInformation) async throws(WorkerResources.Failure) -> [ResourceInformation] {
            try await WorkerResources.resolve(conf: SparkConf(conf), allocatedFromFile: []) { _ throws(WorkerResources.Failure) in found }
        }
        await #expect(throws: WorkerResources.Failure("Resource: gpu, with addresses: 0,1 is less than what the user requested: 3)")) {
            try await resolve(["spark.worker.resource.gpu.amount": "3", "spark.worker.resource.gpu.discoveryScript": "/g.sh"], found: Self.gpus("0", "1"))
        }
        await #expect(throws: WorkerResources.Failure("User is expecting to use resource: gpu, but didn't specify a discovery script!")) {
            try await resolve(["spark.worker.resource.gpu.amount": "1"], found: Self.gpus("0"))
        }
        await #expect(throws: WorkerResources.Failure(
            "Error running the resource discovery script /g.sh: script returned resource name fpga and we were expecting gpu.")) {
            try await resolve(
                ["spark.worker.resource.gpu.amount": "1", "spark.worker.resource.gpu.discoveryScript": "/g.sh"],
                found: ResourceInformation(name: "fpga", addresses: ["0"]))
        }
        // A file allocation short of the amount fails the same way.
        await #expect(throws: WorkerResources.Failure("Resource: gpu, with addresses: 7 is less than what the user requested: 2)")) {
            try await WorkerResources.resolve(
                conf: SparkConf(["spark.worker.resource.gpu.amount": "2"]), allocatedFromFile: [Self.gpus("7")]
            ) { _ throws(WorkerResources.Failure) in Self.gpus() }
        }
        // Discovery plugins are JVM classes: refused when a resource has to be discovered.
        await #expect(throws: WorkerResources.Failure(
            "spark.resources.discoveryPlugin (com.example.GpuPlugin) names JVM classes, which this worker cannot load; give each "
                + "resource a discovery script (spark.worker.resource.<name>.discoveryScript) or list it in spark.worker.resourcesFile")) {
            try await resolve(
                ["spark.resources.discoveryPlugin": "com.example.GpuPlugin, org.apache.spark.resource.ResourceDiscoveryScriptPlugin",
                 "spark.worker.resource.gpu.amount": "1", "spark.worker.resource.gpu.discoveryScript": "/g.sh"], found: Self.gpus("0"))
        }
    }

    /// The plugin setting is shared with applications: without a resource to discover it does not
    /// matter, and Spark's own script plugin is what the worker does anyway.
    @Test func discoveryPluginsMatterOnlyWhenDiscovering() async throws {
        let plugin = ["spark.resources.discoveryPlugin": "com.example.GpuPlugin"]
        #expect(try await WorkerResources.resolve(conf: SparkConf(plugin), allocatedFromFile: []) { _ throws(WorkerResources.Failure) in
            Self.gpus()
        } == [])
        let fromFile = SparkConf(plugin.merging(["spark.worker.resource.gpu.amount": "1"]) { $1 })
        #expect(try await WorkerResources.resolve(conf: fromFile, allocatedFromFile: [Self.gpus("3")]) { _ throws(WorkerResources.Failure) in
            Self.gpus()
        } == [Self.gpus("3")])
        let scriptPlugin = SparkConf([
            "spark.resources.discoveryPlugin": WorkerResources.scriptPluginClass, "spark.worker.resource.gpu.amount": "1",
            "spark.worker.resource.gpu.discoveryScript": "/g.sh",
        ])
        #expect(try await WorkerResources.resolve(conf: scriptPlugin, allocatedFromFile: []) { _ throws(WorkerResources.Failure) in
            Self.gpus("0")
        } == [Self.gpus("0")])
    }

    /// Every amount is checked before any script runs, as Spark parses all requests first.
    @Test func amountsAreCheckedBeforeAnyScriptRuns() async {
        let conf = SparkConf([
            "spark.worker.resource.fpga.amount": "1", "spark.worker.resource.fpga.discoveryScript": "/f.sh",
            "spark.worker.resource.gpu.discoveryScript": "/g.sh",
        ])
        var ran = 0
        await #expect(throws: WorkerResources.Failure("You must specify an amount for gpu")) {
            try await WorkerResources.resolve(conf: conf, allocatedFromFile: []) { _ throws(WorkerResources.Failure) in
                ran += 1
                return ResourceInformation(name: "fpga", addresses: ["f0"])
            }
        }
        #expect(ran == 0)
    }

    @Test func usedAddressesFollowTheOfferedOnes() {
        let offered = [ResourceInformation(name: "fpga", addresses: ["f0"]), Self.gpus("0", "1", "2")]
        let used = WorkerResources.used(offered: offered, assigned: [[("gpu", Self.gpus("2"))], [("gpu", Self.gpus("0"))], []])
        #expect(used == [ResourceInformation(name: "fpga", addresses: []), Self.gpus("0", "2")])
    }

    @Test func logLinesAreSparks() {
        #expect(WorkerResources.logLines([])[1] == "No custom resources configured for spark.worker.")
        #expect(WorkerResources.logLines([Self.gpus("0", "1")])[1] == "Custom resources for spark.worker:\ngpu -> [name: gpu, addresses: 0,1]")
    }

    // MARK: - The machine's side

    @Test func theResourcesFileIsReadAsSparkWritesIt() throws {
        let json = #"""
            [{"id":{"componentName":"spark.worker","resourceName":"gpu"},"addresses":["0","1"]},
             {"id":{"componentName":"spark.executor","resourceName":"gpu"},"addresses":["9"]}]
            """#
        #expect(try ResourceDiscovery.allocations(json: Array(json.utf8), path: "/r.json") == [Self.gpus("0", "1")])
        #expect(throws: WorkerResources.Failure.self) { try ResourceDiscovery.allocations(json: Array("{".utf8), path: "/r.json") }
        #expect(throws: WorkerResources.Failure.self) { try ResourceDiscovery.allocations(inFile: "/nonexistent/resources.json") }
    }

    @Test func scriptOutputIsParsedAsSparkParsesIt() throws {
        #expect(try ResourceDiscovery.scriptResult(Array(#"{"name": "gpu", "addresses": ["0", "1"], "extra": 1}"#.utf8)) == Self.gpus("0", "1"))
        #expect(throws: WorkerResources.Failure("Error parsing JSON into ResourceInformation:\nnot json\n\n")) {
            try ResourceDiscovery.scriptResult(Array("not json\n".utf8))
        }
    }

    /// Real scripts: their output, their exit codes, and the bounds on both.
    @Test func scriptsRunAndAreBounded() async throws {
        let directory = try TestEnvironmentDirectory("worker-resources")
        defer { directory.remove() }
        let processes = ChildProcesses()
        let environment = ProcessInfo.processInfo.environment

        let good = try directory.script("gpus.sh", #"echo '{"name": "gpu", "addresses": ["0", "1"]}'; echo to-stderr >&2"#)
        let output = try await ResourceDiscovery.run(script: good, environment: environment, processes: processes)
        #expect(try ResourceDiscovery.scriptResult(output) == Self.gpus("0", "1"))

        let failing = try directory.script("fails.sh", "echo partial; exit 3")
        await #expect(throws: WorkerResources.Failure("Process List(\(failing)) exited with code 3")) {
            try await ResourceDiscovery.run(script: failing, environment: environment, processes: processes)
        }

        let hanging = try directory.script("hangs.sh", "exec sleep 30")
        let start = ContinuousClock.now
        await #expect(throws: WorkerResources.Failure("The resource discovery script \(hanging) did not finish in 0.3 seconds")) {
            try await ResourceDiscovery.run(script: hanging, environment: environment, processes: processes, timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - start < .seconds(20))

        // The script is done, but a process it left behind holds its output: the group is killed.
        let marker = directory.path + "/leftover.pid"
        let leaving = try directory.script("leaves.sh", #"sleep 30 & echo $! > \#(marker); echo '{"name": "gpu", "addresses": []}'"#)
        await #expect(throws: WorkerResources.Failure(
            "The resource discovery script \(leaving) exited, but a process it started kept its output open")) {
            try await ResourceDiscovery.run(script: leaving, environment: environment, processes: processes)
        }
        let leftover = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie waiting for init (it is no child of ours).
        func running(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !(stat.split(separator: ")").last?.hasPrefix(" Z") ?? false)
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!running(leftover), "the script's child \(leftover) still runs")

        // Cancelled (the worker is told to stop): the script is ended at once.
        let cancelled = Task {
            try await ResourceDiscovery.run(script: hanging, environment: environment, processes: processes)
        }
        try await Task.sleep(for: .milliseconds(200))
        cancelled.cancel()
        await #expect(throws: WorkerResources.Failure("Stopped while the resource discovery script \(hanging) ran")) {
            try await cancelled.value
        }

        let chatty = try directory.script("chatty.sh", "exec yes")
        await #expect(throws: WorkerResources.Failure("The resource discovery script \(chatty) printed more than \(ResourceDiscovery.outputLimit) bytes")) {
            try await ResourceDiscovery.run(script: chatty, environment: environment, processes: processes)
        }
        #expect(processes.alivePids.isEmpty)

        // Through the whole path: the configuration names the script.
        let conf = SparkConf(["spark.worker.resource.gpu.amount": "2", "spark.worker.resource.gpu.discoveryScript": good])
        var logged: [String] = []
        let resources = try await ResourceDiscovery.resolve(conf: conf, environment: environment, processes: processes) { logged.append($0) }
        #expect(resources == [Self.gpus("0", "1")])
        #expect(logged == ["Discovering resources for gpu with script: \(good)"])
        let missing = SparkConf(["spark.worker.resource.gpu.amount": "1", "spark.worker.resource.gpu.discoveryScript": "/nonexistent/gpus.sh"])
        await #expect(throws: WorkerResources.Failure("Resource script: /nonexistent/gpus.sh to discover gpu doesn't exist!")) {
            try await ResourceDiscovery.resolve(conf: missing, environment: environment, processes: processes) { _ in }
        }
    }

    /// `/json` lists the offered resources and those in use as Spark's worker does.
    @Test func workerJSONShowsOfferedAndUsedResources() throws {
        var configuration = WorkerConfiguration.test()
        configuration.resources = [Self.gpus("0", "1")]
        var worker = WorkerHarness(configuration: configuration)
        let registrations = worker.start().compactMap { action -> RegisterWorker? in
            if case .register(let message, _) = action { return message }
            return nil
        }
        worker.register()
        var launch = try Samples.sampleLaunch()
        launch.resources = [("gpu", Self.gpus("1"))]
        worker.handle(.message(.launchExecutor(launch)))
        let status = worker.machine.status
        #expect(status.resourcesUsed == [Self.gpus("1")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(WorkerJSON.workerState(status).rendered.utf8)) as? [String: Any])
        let offered = try #require(json["resources"] as? [String: [String: Any]])
        #expect(offered["gpu"]?["name"] as? String == "gpu")
        #expect(offered["gpu"]?["addresses"] as? [String] == ["0", "1"])
        let used = try #require(json["resourcesused"] as? [String: [String: Any]])
        #expect(used["gpu"]?["addresses"] as? [String] == ["1"])
        // The registration carries them.
        #expect(registrations.count == 1)
        #expect(registrations.last?.resources.map(\.1) == [Self.gpus("0", "1")])
        // The executor's exit frees its address.
        worker.handle(.executorStarted(ExecutorKey(appId: launch.appId, execId: launch.execId), pid: 99))
        worker.handle(.executorExited(ExecutorKey(appId: launch.appId, execId: launch.execId), exitCode: 0))
        #expect(worker.machine.status.resourcesUsed == [Self.gpus()])
    }
}

/// A scratch directory for scripts.
struct TestEnvironmentDirectory {
    let path: String

    init(_ name: String) throws {
        path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func script(_ name: String, _ body: String) throws -> String {
        let file = path + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
