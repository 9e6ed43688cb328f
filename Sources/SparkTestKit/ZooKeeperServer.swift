import Foundation

/// A real, standalone ZooKeeper server for tests (Debian's `zookeeper` package: `ZooKeeperServerMain`
/// on Java), on a free loopback port with its own data directory. It can be stopped, killed,
/// paused (SIGSTOP: the connection stays open but silent) and started again on the same port and data,
/// so sessions survive a restart. `stop()` and `deinit` end exactly the process this started.
public final class ZooKeeperServer: @unchecked Sendable {
    // Mutable state is guarded by `lock`.
    public let port: Int
    /// Holds `zoo.cfg`, `data/` and the logs.
    public let directory: URL
    public let tickTimeMs: Int
    private let lock = NSLock()
    private var process: ChildProcess?
    private var generation = 0

    /// The jars: `$ZOOKEEPER_CLASSPATH`, else the Debian package's (its manifest names the dependencies).
    public static var classPath: String {
        if let path = ProcessInfo.processInfo.environment["ZOOKEEPER_CLASSPATH"], !path.isEmpty { return path }
        return "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
    }

    public static var javaExecutable: URL {
        if let home = ProcessInfo.processInfo.environment["JAVA_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent("bin/java")
        }
        return URL(fileURLWithPath: "/usr/bin/java")
    }

    /// Whether Java and the ZooKeeper jar are installed.
    public static var isAvailable: Bool {
        let jar = classPath.split(separator: ":").first.map(String.init) ?? ""
        return FileManager.default.isExecutableFile(atPath: javaExecutable.path) && FileManager.default.fileExists(atPath: jar)
    }

    /// Session timeouts are clamped by the server to [`minSessionTimeoutMs`, `maxSessionTimeoutMs`];
    /// a short `tickTimeMs` makes expiry checks fine-grained.
    public init(tickTimeMs: Int = 200, minSessionTimeoutMs: Int = 1000, maxSessionTimeoutMs: Int = 60_000) throws {
        self.port = try freePort()
        self.tickTimeMs = tickTimeMs
        self.directory = try TestEnvironment.temporaryDirectory("zookeeper")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let config = """
            tickTime=\(tickTimeMs)
            dataDir=\(data.path)
            clientPort=\(port)
            clientPortAddress=127.0.0.1
            minSessionTimeout=\(minSessionTimeoutMs)
            maxSessionTimeout=\(maxSessionTimeoutMs)
            maxClientCnxns=0
            4lw.commands.whitelist=*
            admin.enableServer=false
            """
        try config.write(to: directory.appendingPathComponent("zoo.cfg"), atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public var connectString: String { "127.0.0.1:\(port)" }

    /// The process id of the running server, if any.
    public var pid: Int32? { lock.withLock { process?.pid } }

    /// The current server log.
    public func log() -> String { lock.withLock { process?.log() ?? "" } }

    /// Starts the server and waits until it serves requests (`srvr` reports a mode).
    public func start(timeout: Duration = .seconds(60)) async throws {
        let child: ChildProcess = try lock.withLock {
            if let process, process.isRunning {
                throw ChildProcessError(message: "ZooKeeper on port \(port) is already running")
            }
            generation += 1
            let child = try ChildProcess(
                name: "zookeeper-\(generation)", executable: Self.javaExecutable,
                arguments: [
                    "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.jmx.log4j.disable=true",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                    "-cp", Self.classPath, "org.apache.zookeeper.server.ZooKeeperServerMain",
                    directory.appendingPathComponent("zoo.cfg").path,
                ],
                workingDirectory: directory, logDirectory: directory)
            process = child
            return child
        }
        let deadline = ContinuousClock.now + timeout
        var attempts = 0
        while ContinuousClock.now < deadline {
            attempts += 1
            if !child.isRunning {
                throw ChildProcessError(message: "ZooKeeper exited during startup:\n\(child.tail())")
            }
            if let answer = try? fourLetterWord("srvr"), answer.contains("Mode:") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildProcessError(message: "ZooKeeper on port \(port) not serving after \(attempts) probes in \(timeout):\n\(child.tail())")
    }

    /// Stops the server (SIGTERM, then SIGKILL) and waits until it is gone.
    public func stop() {
        let child = lock.withLock { () -> ChildProcess? in
            defer { process = nil }
            return process
        }
        guard let child else { return }
        child.signal(SIGCONT)
        child.stop(grace: .seconds(5))
    }

    /// Kills the server at once (no shutdown), as a crash.
    public func kill() {
        lock.withLock { process }?.signal(SIGKILL)
        stop()
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    public func pause() {
        lock.withLock { process }?.signal(SIGSTOP)
    }

    /// Resumes a paused server.
    public func resume() {
        lock.withLock { process }?.signal(SIGCONT)
    }

    /// Stops and starts again on the same port and data directory.
    public func restart(timeout: Duration = .seconds(60)) async throws {
        stop()
        try await start(timeout: timeout)
    }

    /// Sends a four-letter-word command (`ruok`, `srvr`, `cons`, `dump`) and returns the answer.
    public func fourLetterWord(_ word: String, timeoutSeconds: Int = 2) throws -> String {
        let fd = try LoopbackSocket.connect(port: port) { fd in
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        defer { close(fd) }
        let bytes = Array(word.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw ChildProcessError(message: "send failed") }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        // The server closes after answering; bounded by the receive timeout and a size cap.
        while answer.count < 1 << 20 {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            answer.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
