#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SparkConfig
import SparkDaemon
import SparkModel
import SparkWorker

/// What `WorkerResources` needs from the machine: the resources file's allocations and the output
/// of discovery scripts.
///
/// A script runs as Spark's `ResourceDiscoveryScriptPlugin` runs it: no arguments, the worker's
/// working directory and environment, its standard output read as
/// `{"name": "gpu", "addresses": ["0", "1"]}`, its standard error going to the worker's. Unlike
/// Spark's, the wait is bounded: a script still running after `scriptTimeout`, printing more than
/// `outputLimit` bytes, or leaving a process behind that keeps its output open for `closeGrace`
/// after it exited, is killed with its process group, and the worker does not start.
enum ResourceDiscovery {
    static let outputLimit = 1 << 20
    static let scriptTimeout: Duration = .seconds(60)
    static let closeGrace: Duration = .seconds(2)

    /// The worker's resources, or why it cannot start.
    static func resolve(
        conf: SparkConf, environment: [String: String], processes: ChildProcesses, log: (String) -> Void
    ) async throws(WorkerResources.Failure) -> [ResourceInformation] {
        var allocated: [ResourceInformation] = []
        if let path = conf[WorkerResources.resourcesFileKey] {
            allocated = try allocations(inFile: path)
        }
        return try await WorkerResources.resolve(conf: conf, allocatedFromFile: allocated) {
            (request: WorkerResources.Request) async throws(WorkerResources.Failure) -> ResourceInformation in
            let script = request.discoveryScript ?? ""
            var info = stat()
            guard stat(script, &info) == 0 else {
                throw WorkerResources.Failure("Resource script: \(script) to discover \(request.name) doesn't exist!")
            }
            log("Discovering resources for \(request.name) with script: \(script)")
            let output = try await run(script: script, environment: environment, processes: processes)
            return try scriptResult(output)
        }
    }

    // MARK: - Resources file

    /// One entry of a resources file (Spark: `ResourceAllocation`, as json4s reads it).
    struct Allocation: Decodable {
        struct ID: Decodable {
            var componentName: String
            var resourceName: String
        }
        var id: ID
        var addresses: [String]
    }

    /// The `spark.worker` entries of the resources file at `path`, in file order.
    static func allocations(inFile path: String) throws(WorkerResources.Failure) -> [ResourceInformation] {
        let bytes: [UInt8]
        do {
            bytes = try Daemon.readFile(path, limit: outputLimit)
        } catch {
            throw WorkerResources.Failure("Cannot read the resources file \(path): \(error)")
        }
        return try allocations(json: bytes, path: path)
    }

    static func allocations(json: [UInt8], path: String) throws(WorkerResources.Failure) -> [ResourceInformation] {
        let entries: [Allocation]
        do {
            entries = try JSONDecoder().decode([Allocation].self, from: Data(json))
        } catch {
            throw WorkerResources.Failure("Error parsing resources file \(path): \(error)")
        }
        return entries.filter { $0.id.componentName == WorkerResources.componentName }.map {
            ResourceInformation(name: $0.id.resourceName, addresses: $0.addresses)
        }
    }

    // MARK: - Discovery scripts

    struct ScriptResult: Decodable {
        var name: String
        var addresses: [String]
    }

    /// Spark: `ResourceInformation.parseJson`.
    static func scriptResult(_ output: [UInt8]) throws(WorkerResources.Failure) -> ResourceInformation {
        do {
            let result = try JSONDecoder().decode(ScriptResult.self, from: Data(output))
            return ResourceInformation(name: result.name, addresses: result.addresses)
        } catch {
            throw WorkerResources.Failure("Error parsing JSON into ResourceInformation:\n\(String(decoding: output, as: UTF8.self))\n")
        }
    }

    /// Runs `script` and returns its standard output.
    static func run(
        script: String, environment: [String: String], processes: ChildProcesses, timeout: Duration = scriptTimeout
    ) async throws(WorkerResources.Failure) -> [UInt8] {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw WorkerResources.Failure("Cannot run \(script): pipe failed with errno \(errno)")
        }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(readEnd) }
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        let pid: pid_t
        do {
            pid = try processes.spawn(ChildProcesses.Spawn(
                argv: [script], environment: environment, workingDirectory: HostEnvironment.currentDirectory(),
                stdoutPath: "", stderrPath: "", outputDescriptors: (stdout: writeEnd, stderr: 2)))
        } catch {
            close(writeEnd)
            throw WorkerResources.Failure("\(error)")
        }
        close(writeEnd)

        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var endOfOutput = false
        var exitCode: Int32?
        let deadline = ContinuousClock.now + timeout
        var closeDeadline: ContinuousClock.Instant?
        /// Ends the script's process group (the group outlives a reaped leader while a member
        /// lives, so its id cannot have been reused) and reaps the leader.
        func killGroup() async {
            _ = killpg(pid, SIGKILL)
            // Reaped even when the task is cancelled (waitForExit would give up at once then).
            for _ in 0..<500 where processes.poll(pid) == nil { usleep(10_000) }
            _ = await processes.waitForExit(pid, pollInterval: .milliseconds(10))
        }
        while !endOfOutput || exitCode == nil {
            if Task.isCancelled {
                await killGroup()
                throw WorkerResources.Failure("Stopped while the resource discovery script \(script) ran")
            }
            if !endOfOutput {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count > 0 {
                    output += buffer[0..<count]
                    if output.count > outputLimit {
                        await killGroup()
                        throw WorkerResources.Failure("The resource discovery script \(script) printed more than \(outputLimit) bytes")
                    }
                    continue
                }
                if count == 0 {
                    endOfOutput = true
                } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                    endOfOutput = true
                }
            }
            if exitCode == nil {
                exitCode = processes.poll(pid)
                if exitCode != nil { closeDeadline = ContinuousClock.now + closeGrace }
            }
            if endOfOutput, exitCode != nil { break }
            if let closeDeadline, ContinuousClock.now >= closeDeadline {
                await killGroup()
                throw WorkerResources.Failure(
                    "The resource discovery script \(script) exited, but a process it started kept its output open")
            }
            guard ContinuousClock.now < deadline else {
                await killGroup()
                throw WorkerResources.Failure("The resource discovery script \(script) did not finish in \(timeout)")
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Forget the reaped child's code.
        _ = await processes.waitForExit(pid, pollInterval: .milliseconds(10))
        guard exitCode == 0 else {
            throw WorkerResources.Failure("Process List(\(script)) exited with code \(exitCode ?? -1)")
        }
        return output
    }
}
