import Foundation
import Logging
import NIOConcurrencyHelpers
import SparkModel
import SparkTestKit
@testable import SparkWebUI
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// Executor output through a pipe into rolling log files: what is rolled when, the gzip files (read
/// back by the system's `gzip`), retention, the end of the stream, and the log page reading across
/// the rolled files.
@Suite struct ExecutorLogAppenderTests {
    /// A pipe whose read end an appender for `path` owns; returns the write end.
    private func appender(
        _ path: String, _ rolling: ExecutorLogRolling, clock: @escaping @Sendable () -> Int64 = ExecutorLogAppender.nowMilliseconds
    ) throws -> (ExecutorLogAppender, Int32) {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        let appender = ExecutorLogAppender(input: ends[0], path: path, rolling: rolling, logger: Logger(label: "test"), clock: clock)
        try #require(appender.start())
        return (appender, ends[1])
    }

    private func write(_ text: String, to descriptor: Int32) {
        #expect(text.utf8.count == text.withCString { Foundation.write(descriptor, $0, strlen($0)) })
    }

    /// Waits (at most 10 s) until the stream's files hold `count` bytes in all: the appender has
    /// taken everything written so far, so the next write is a chunk of its own.
    private func waitForBytes(_ count: Int, in directory: String, stream: String) async throws {
        for _ in 0..<1000 {
            if streamBytes(in: directory, stream: stream) == count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the files of \(stream) never held \(count) bytes (\(streamBytes(in: directory, stream: stream)))")
    }

    private func streamBytes(in directory: String, stream: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return ExecutorLogRolling.streamFiles(in: names, active: stream).reduce(0) { total, name in
            guard !name.hasSuffix(".gz") else { return total + (gunzip(directory + "/" + name)?.count ?? 0) }
            return total + ((try? Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)).count) ?? 0)
        }
    }

    /// The text of a gzip file as the system's `gzip -dc` reads it.
    private func gunzip(_ path: String) -> String? {
        guard let result = try? runCommand("/usr/bin/env", ["gzip", "-dc", path]), result.status == 0 else { return nil }
        return result.output
    }

    private func files(_ directory: String, _ stream: String) throws -> [String] {
        ExecutorLogRolling.streamFiles(in: try FileManager.default.contentsOfDirectory(atPath: directory), active: stream)
    }

    @Test func sizePolicyRollsBeforeAChunkWouldPassTheLimit() async throws {
        let directory = try scratchDirectory("rolling-size")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stderr"
        #expect(HostEnvironment.writeFile(path, "Spark Executor Command: \"java\"\n========================================\n\n"))
        let header = try String(contentsOfFile: path, encoding: .utf8)
        let (appender, input) = try appender(path, ExecutorLogRolling(policy: .size(bytes: 1000)))
        var expected = header
        for index in 0..<7 {
            let piece = String(repeating: Character(UnicodeScalar(UInt8(97 + index))), count: 399) + "\n"
            write(piece, to: input)
            expected += piece
            try await waitForBytes(expected.utf8.count, in: directory, stream: "stderr")
        }
        close(input)
        await appender.waitUntilFinished()

        // The header is not counted (Spark counts from the appender's start): 400 + 400 with the header,
        // then 400 + 400 per file; the seventh piece is in the active file.
        let names = try files(directory, "stderr")
        #expect(names.count == 4, "\(names)")
        #expect(names.last == "stderr")
        for name in names.dropLast() {
            #expect(name.wholeMatch(of: /stderr--\d{4}-\d{2}-\d{2}--\d{2}-\d{2}-\d{2}--\d{4}(--\d+)?/) != nil, "\(name)")
        }
        let texts = try names.map { try String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
        #expect(texts.joined() == expected)
        #expect(texts[0].hasPrefix(header) && texts[0].utf8.count == header.utf8.count + 800)
        #expect(texts[1].utf8.count == 800 && texts[2].utf8.count == 800 && texts[3].utf8.count == 400)
    }

    @Test func compressedRollsAreGzipAndOnlyTheNewestAreKept() async throws {
        let work = try scratchDirectory("rolling-gzip")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let directory = work + "/app-1/0"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/stdout"
        #expect(HostEnvironment.writeFile(path, ""))
        let (appender, input) = try appender(path, ExecutorLogRolling(policy: .size(bytes: 1000), maxRetainedFiles: 2, compress: true))
        var pieces: [String] = []
        for index in 0..<9 {
            let piece = "line \(index) " + String(repeating: "x", count: 590) + "\n"
            pieces.append(piece)
            write(piece, to: input)
            // Wait for the appender to take it: the active file (or a new rolled one) shows it.
            for _ in 0..<1000 {
                let names = try files(directory, "stdout")
                let active = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                if active.hasSuffix(piece) || names.contains(where: { $0.hasSuffix(".gz") && gunzip(directory + "/" + $0)?.hasSuffix(piece) == true }) {
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        close(input)
        await appender.waitUntilFinished()

        // One piece per file (two would pass 1000 bytes); eight rolled, two kept, the ninth active.
        let names = try files(directory, "stdout")
        #expect(names.count == 3, "\(names)")
        #expect(names.dropLast().allSatisfy { $0.hasSuffix(".gz") })
        #expect(names.dropLast().compactMap { gunzip(directory + "/" + $0) } == [pieces[6], pieces[7]])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == pieces[8])

        // The log page reads across them as one text, decompressing the rolled files.
        let text = pieces[6] + pieces[7] + pieces[8]
        let whole = try WorkerLogs.read(workDirectory: work, appId: "app-1", executorId: "0", logType: "stdout", offset: 0, byteLength: 1 << 20).get()
        #expect(whole.text == text && whole.start == 0 && whole.end == Int64(text.utf8.count) && whole.total == Int64(text.utf8.count))
        // A slice across the boundary between the two compressed files, and one into the active file.
        let across = try WorkerLogs.read(workDirectory: work, appId: "app-1", executorId: "0", logType: "stdout", offset: 590, byteLength: 20).get()
        #expect(across.text == String(text.dropFirst(590).prefix(20)))
        let tail = try WorkerLogs.read(workDirectory: work, appId: "app-1", executorId: "0", logType: "stdout", offset: nil, byteLength: 700).get()
        #expect(tail.text == String(text.suffix(700)) && tail.start == Int64(text.utf8.count - 700))
    }

    @Test func timePolicyRollsAtTheFirstWriteAfterTheDeadline() async throws {
        let directory = try scratchDirectory("rolling-time")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stdout"
        // The appender's clock: 1 010 ms at its start, so the first deadline is 1 200 ms.
        let now = NIOLockedValueBox<Int64>(1010)
        let (appender, input) = try appender(
            path, ExecutorLogRolling(policy: .time(intervalMilliseconds: 200, suffix: .second)), clock: { now.withLockedValue { $0 } })
        write("first\n", to: input)
        try await waitForBytes(6, in: directory, stream: "stdout")
        now.withLockedValue { $0 = 1200 }  // at the deadline: not past it
        write("second\n", to: input)
        try await waitForBytes(13, in: directory, stream: "stdout")
        #expect(try files(directory, "stdout") == ["stdout"])
        now.withLockedValue { $0 = 1750 }
        write("third\n", to: input)
        try await waitForBytes(19, in: directory, stream: "stdout")
        now.withLockedValue { $0 = 1799 }  // before the next deadline (1 800)
        write("fourth\n", to: input)
        try await waitForBytes(26, in: directory, stream: "stdout")
        close(input)
        await appender.waitUntilFinished()
        let names = try files(directory, "stdout")
        // The rolled file is named by the clock's moment in local time: 1.75 s after the epoch.
        let local = ExecutorLogAppender.localTime(1750)
        let suffix = ExecutorLogRolling(policy: .time(intervalMilliseconds: 200, suffix: .second)).suffix(at: local)
        #expect(names == ["stdout" + suffix, "stdout"], "\(names)")
        #expect(try String(contentsOfFile: directory + "/stdout" + suffix, encoding: .utf8) == "first\nsecond\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "third\nfourth\n")
    }

    /// A process the executor started may keep the pipe open after it exited: `finish` ends the
    /// thread once what is in the pipe was written.
    @Test func finishEndsWithThePipeStillOpen() async throws {
        let directory = try scratchDirectory("rolling-finish")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stdout"
        let (appender, input) = try appender(path, ExecutorLogRolling(policy: .size(bytes: 1 << 20)))
        defer { close(input) }
        write("last words\n", to: input)
        appender.finish()
        await appender.waitUntilFinished()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "last words\n")
    }

    /// When the executor cannot be started, the pipes and the appenders' threads end with the
    /// launch: no descriptor is left behind.
    @Test func failedLaunchLeavesNoPipeBehind() async throws {
        let directory = try scratchDirectory("rolling-failed-launch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func pipes() -> Set<String> {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return Set(entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
                .filter { $0.hasPrefix("pipe:") })
        }
        let before = pipes()
        let launch = ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: 0), argv: [directory + "/no-such-java", "-version"], environment: [],
            workingDirectory: directory, stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr",
            stderrHeader: "", directoriesToCreate: [], appLocalDirectories: [], resourcesFile: nil)
        let started = try WorkerShell.startAppenders(
            for: launch, rolling: ExecutorLogRolling(policy: .size(bytes: 1 << 20)), logger: Logger(label: "test")).get()
        #expect(pipes().subtracting(before).count == 2)  // two pipes, both ends open here
        do {
            defer {
                close(started.writeEnds.stdout)
                close(started.writeEnds.stderr)
            }
            _ = try ChildProcesses().spawn(ChildProcesses.Spawn(
                argv: launch.argv, environment: [:], workingDirectory: directory, stdoutPath: launch.stdoutPath,
                stderrPath: launch.stderrPath, outputDescriptors: started.writeEnds))
            Issue.record("a missing program was started")
        } catch {
            #expect(error.message.contains("Cannot run program"))
        }
        for appender in started.appenders { await appender.waitUntilFinished() }
        #expect(pipes().subtracting(before).isEmpty)
    }

    /// A rolled file that is cut short or not gzip at all: the log page says so, for any offset.
    @Test func damagedCompressedFileIsAnErrorOnTheLogPage() throws {
        let work = try scratchDirectory("rolling-damaged")
        defer { try? FileManager.default.removeItem(atPath: work) }
        let directory = work + "/app-1/0"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(HostEnvironment.writeFile(directory + "/stdout", "active\n"))
        #expect(HostEnvironment.writeFile(directory + "/stdout--2026-03-07--04-05-09--0042.gz", "not gzip at all\n"))
        let lengths = CompressedLogLengths(capacity: 4)
        for offset: Int64? in [nil, 0, 5] {
            let slice = try WorkerLogs.read(
                workDirectory: work, appId: "app-1", executorId: "0", logType: "stdout", offset: offset, byteLength: 100, lengths: lengths
            ).get()
            // Spark's getLog: the exception's message in the log's place.
            #expect(slice.text.hasPrefix("Error getting logs due to exception: ") && slice.text.contains("zlib"), "\(slice.text)")
            #expect((slice.start, slice.end, slice.total) == (0, 0, 0))
        }
        #expect(lengths.count == 0)
    }

    @Test func compressedLengthsKeepTheMostRecentlyUsed() {
        let lengths = CompressedLogLengths(capacity: 2)
        lengths["a"] = 1
        lengths["b"] = 2
        #expect(lengths["a"] == 1)  // now the most recent
        lengths["c"] = 3
        #expect(lengths["b"] == nil && lengths["a"] == 1 && lengths["c"] == 3 && lengths.count == 2)
    }

    /// The worker's launch path with rolling on: a real child writes to both pipes (set up as its
    /// stdout and stderr, every other descriptor closed), the stderr header stays first.
    @Test func launchedProcessWritesThroughThePipes() async throws {
        let directory = try scratchDirectory("rolling-launch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launch = ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: 0), argv: ["/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; ls /proc/self/fd"],
            environment: [], workingDirectory: directory, stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr",
            stderrHeader: "header\n", directoriesToCreate: [], appLocalDirectories: [], resourcesFile: nil)
        #expect(HostEnvironment.writeFile(launch.stdoutPath, ""))
        #expect(HostEnvironment.writeFile(launch.stderrPath, launch.stderrHeader))
        let started = try WorkerShell.startAppenders(
            for: launch, rolling: ExecutorLogRolling(policy: .size(bytes: 1 << 20)), logger: Logger(label: "test")).get()
        let processes = ChildProcesses()
        let pid: Int32
        do {
            defer {
                close(started.writeEnds.stdout)
                close(started.writeEnds.stderr)
            }
            pid = try processes.spawn(ChildProcesses.Spawn(
                argv: launch.argv, environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory,
                stdoutPath: launch.stdoutPath, stderrPath: launch.stderrPath, outputDescriptors: started.writeEnds))
        }
        #expect(await processes.waitForExit(pid, pollInterval: .milliseconds(10)) == 0)
        for appender in started.appenders { await appender.waitUntilFinished() }
        let stdout = try String(contentsOfFile: launch.stdoutPath, encoding: .utf8)
        // `ls` itself holds one more descriptor (its directory); 0, 1, 2 and that one only.
        #expect(stdout.hasPrefix("to-stdout\n"), "\(stdout)")
        #expect(stdout.split(separator: "\n").dropFirst().count == 4, "\(stdout)")
        #expect(try String(contentsOfFile: launch.stderrPath, encoding: .utf8) == "header\nto-stderr\n")
    }
}
