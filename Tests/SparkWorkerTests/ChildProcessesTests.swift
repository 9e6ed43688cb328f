import Foundation
@testable import SparkWorkerServer
import Testing

/// Starting, reaping and killing real (small) processes.
@Suite(.serialized) struct ChildProcessesTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-processes-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func spawn(_ processes: ChildProcesses, _ script: String) throws -> Int32 {
        try processes.spawn(ChildProcesses.Spawn(
            argv: ["/bin/sh", "-c", script], environment: ["PATH": "/usr/bin:/bin", "GREETING": "hello"],
            workingDirectory: directory.path, stdoutPath: directory.appendingPathComponent("stdout").path,
            stderrPath: directory.appendingPathComponent("stderr").path))
    }

    @Test func exitCodeOutputAndWorkingDirectory() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let processes = ChildProcesses()
        let pid = try spawn(processes, "echo $GREETING; pwd; echo oops >&2; ls /proc/self/fd | wc -l >&2; exit 3")
        #expect(await processes.waitForExit(pid) == 3)
        let stdout = try String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)
        #expect(stdout == "hello\n\(directory.resolvingSymlinksInPath().path)\n" || stdout == "hello\n\(directory.path)\n")
        let stderr = try String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)
        #expect(stderr.hasPrefix("oops\n"))
        #if os(Linux)
        // 0, 1, 2 and the one `ls` opens: nothing of the test process leaked into the child.
        #expect(stderr.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "4")
        #endif
        #expect(processes.alivePids.isEmpty)
    }

    /// The whole group goes: the leader and the grandchild it started; the JVM-style exit code is 128 + 15.
    @Test func terminateKillsTheProcessGroup() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let processes = ChildProcesses()
        let pid = try spawn(processes, "sleep 300 & echo $! > grandchild; wait")
        let grandchildFile = directory.appendingPathComponent("grandchild")
        var grandchild: Int32?
        for _ in 0..<100 where grandchild == nil {
            grandchild = (try? String(contentsOf: grandchildFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await Task.sleep(for: .milliseconds(20))
        }
        let child = try #require(grandchild)
        #expect(getpgid(child) == pid)
        await processes.terminate(pid, grace: .seconds(5))
        #expect(await processes.waitForExit(pid) == 143)
        for _ in 0..<100 where kill(child, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(kill(child, 0) != 0)
    }

    /// A child that ignores SIGTERM is killed after the grace period.
    @Test func terminateEscalatesToKill() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let processes = ChildProcesses()
        let pid = try spawn(processes, "trap '' TERM; echo ready; while true; do sleep 1; done")
        for _ in 0..<100 {
            if (try? String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8))?.contains("ready") == true { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let start = ContinuousClock.now
        await processes.terminate(pid, grace: .milliseconds(500))
        let code = await processes.waitForExit(pid)
        #expect(code == 137)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func terminateAllEndsEveryChild() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let processes = ChildProcesses()
        let pids = try (0..<3).map { _ in try spawn(processes, "sleep 300") }
        #expect(processes.alivePids.count == 3)
        await processes.terminateAll(grace: .seconds(5))
        #expect(processes.alivePids.isEmpty)
        for pid in pids { #expect(kill(pid, 0) != 0) }
    }

    @Test func missingProgramFailsLikeJava() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let processes = ChildProcesses()
        let error = #expect(throws: ChildProcessFailure.self) {
            _ = try processes.spawn(ChildProcesses.Spawn(
                argv: ["/nonexistent/java", "-version"], environment: [:], workingDirectory: directory.path,
                stdoutPath: directory.appendingPathComponent("o").path, stderrPath: directory.appendingPathComponent("e").path))
        }
        #expect(error?.message.hasPrefix("java.io.IOException: Cannot run program \"/nonexistent/java\"") == true)
    }
}
