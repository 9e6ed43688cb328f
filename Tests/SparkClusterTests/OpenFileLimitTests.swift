import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemons raise their soft limit on open descriptors to the hard limit as they start, as
/// Spark's JVM daemons do: a master started from a shell whose soft limit is low still accepts
/// every worker's and driver's connection, up to what the system allows.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct OpenFileLimitTests {
    static let lowSoftLimit = 128

    /// `executable arguments` started by `sh` with the soft limit lowered to `lowSoftLimit`; `exec`
    /// keeps the PID, so the process's limits are the daemon's.
    static func startWithLowLimit(
        name: String, executable: URL, arguments: [String], environment: [String: String], logDirectory: URL
    ) throws -> ChildProcess {
        try ChildProcess(
            name: name, executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "ulimit -Sn \(lowSoftLimit) && exec \"$0\" \"$@\"", executable.path] + arguments,
            environment: environment, logDirectory: logDirectory)
    }

    /// Soft and hard "Max open files" of a process, from `/proc/<pid>/limits`.
    static func openFileLimits(pid: Int32) throws -> (soft: UInt64, hard: UInt64) {
        let text = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let fields = line.dropFirst("Max open files".count).split(separator: " ")
        func value(_ field: Substring) -> UInt64 { field == "unlimited" ? .max : UInt64(field) ?? 0 }
        return (value(fields[0]), value(fields[1]))
    }

    static func hardLimitOfThisProcess() -> UInt64 {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return UInt64(limit.rlim_max)
    }

    @Test func theMasterHoldsMoreConnectionsThanTheSoftLimitItStartedWith() async throws {
        let hard = Self.hardLimitOfThisProcess()
        try #require(hard >= 1024, "this test needs a hard limit of at least 1024 open files (it is \(hard))")
        let directory = try TestEnvironment.temporaryDirectory("open-file-limit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freePort(), webUIPort = try freePort()
        let master = try Self.startWithLowLimit(
            name: "spark-master", executable: TestEnvironment.product("spark-master"),
            arguments: ["--host", "127.0.0.1", "--port", "\(port)", "--webui-port", "\(webUIPort)"],
            environment: ["SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": "127.0.0.1"], logDirectory: directory)
        defer { master.stop() }
        try await master.waitForLog("I have been elected leader", timeout: .seconds(30))

        let limits = try Self.openFileLimits(pid: master.pid)
        #expect(limits.soft == hard && limits.hard == hard, "master limits \(limits), hard limit \(hard)")

        // Three times the soft limit it was started with: each is a descriptor in the master.
        let count = Self.lowSoftLimit * 3
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        for _ in 0..<count {
            // A master out of descriptors stops accepting, and connects then wait in a full backlog:
            // 5 s each at most (SO_SNDTIMEO bounds connect).
            sockets.append(try LoopbackSocket.connect(port: port) { socket in
                var timeout = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            })
        }
        try await eventually("the master holds \(count) connections", timeout: .seconds(20)) {
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(master.pid)/fd").count) ?? 0
            return open > count
        }

        // And it still accepts and answers: the web UI's connection is one more descriptor.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(webUIPort)/json/")!)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self).contains("\"status\" : \"ALIVE\""))
        #expect(master.isRunning)
        #expect(!master.log().contains("Too many open files"), "\(master.tail())")
    }

    @Test func theWorkerAndTheProxyRaiseTheirLimitToo() async throws {
        let hard = Self.hardLimitOfThisProcess()
        try #require(hard > UInt64(Self.lowSoftLimit), "this test needs a hard limit above \(Self.lowSoftLimit) open files")
        let directory = try TestEnvironment.temporaryDirectory("open-file-limit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let worker = try Self.startWithLowLimit(
            name: "spark-worker", executable: TestEnvironment.product("spark-worker"),
            arguments: [
                "--host", "127.0.0.1", "--port", "\(try freePort())", "--webui-port", "\(try freePort())",
                "--work-dir", directory.appendingPathComponent("work").path, "spark://127.0.0.1:\(try freePort())",
            ],
            environment: ["SPARK_CONF_DIR": directory.appendingPathComponent("conf").path, "SPARK_LOCAL_IP": "127.0.0.1"], logDirectory: directory)
        defer { worker.stop() }
        try await worker.waitForLog("Starting Spark worker", timeout: .seconds(30))
        let workerLimits = try Self.openFileLimits(pid: worker.pid)
        #expect(workerLimits.soft == hard, "worker limits \(workerLimits), hard limit \(hard)")

        let proxyPort = try freePort()
        let proxy = try Self.startWithLowLimit(
            name: "space-proxy", executable: TestEnvironment.product("space-proxy"), arguments: [],
            environment: [
                "PORT": "\(proxyPort)", "SPACE_PROXY_BIND": "127.0.0.1", "SPACE_PROXY_ALLOW_ANONYMOUS": "true",
                "SPACE_PROXY_DEFAULT_BACKEND": "127.0.0.1:\(try freePort())", "SPACE_PROXY_ALLOWED_BACKENDS": "127.0.0.1",
            ],
            logDirectory: directory)
        defer { proxy.stop() }
        try await proxy.waitForLog("listening", timeout: .seconds(30))
        let proxyLimits = try Self.openFileLimits(pid: proxy.pid)
        #expect(proxyLimits.soft == hard, "space-proxy limits \(proxyLimits), hard limit \(hard)")
    }
}
