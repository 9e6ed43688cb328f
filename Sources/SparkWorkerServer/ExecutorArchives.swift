import SparkDaemon
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import SparkTransport
import SparkWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker's executor class-data archives: the directory they live in, the archives being
/// written, and the JDK facts the plans need (`ExecutorClassDataSharing` decides).
final class ExecutorArchives: Sendable {
    /// An archive an executor writes when it exits.
    struct Dump: Sendable {
        var temporary: String
        var archive: String
    }

    struct JavaFacts: Sendable {
        var version: Int?
        /// The resolved `java` and the size and time of its JDK's class image (`lib/modules`).
        var identity: String
    }

    /// At most this many archives are kept (each is tens of MiB); the oldest go first.
    static let keptArchives = 4
    /// After this many executors failed to write an archive (killed before they finished writing
    /// it, on a machine too busy), this worker stops asking for it.
    static let dumpAttempts = 2
    /// Temporary files older than this were left by a worker that died while an executor wrote one.
    static let staleTemporarySeconds: TimeInterval = 3600

    private struct State {
        var directoryUsable: Bool?
        var dumping: Set<String> = []
        var failedDumps: [String: Int] = [:]
        var java: [String: JavaFacts] = [:]
    }

    let directory: String?
    let logger: Logger
    let environment: [String: String]
    private let state = NIOLockedValueBox(State())

    init(directory: String?, environment: [String: String], logger: Logger) {
        self.directory = directory
        self.environment = environment
        self.logger = logger
    }

    /// The launch to start (with class-data sharing options when they apply) and the archive it
    /// will write, if any.
    func prepare(_ launch: ExecutorLaunch) -> (ExecutorLaunch, Dump?) {
        guard let directory, let java = launch.argv.first, usableDirectory(directory) else { return (launch, nil) }
        let facts = javaFacts(java)
        let name = ExecutorClassDataSharing.archiveName(argv: launch.argv, javaIdentity: facts.identity)
        let archive = directory + "/" + name
        let plan = state.withLockedValue { state -> ExecutorClassDataSharing.Plan in
            let plan = ExecutorClassDataSharing.plan(
                argv: launch.argv, javaVersion: facts.version, directory: directory, archiveName: name,
                archiveExists: access(archive, F_OK) == 0,
                dumpInProgress: state.dumping.contains(archive) || state.failedDumps[archive, default: 0] >= Self.dumpAttempts,
                uniqueSuffix: "\(getpid())-\(launch.key.appId)-\(launch.key.execId)")
            if case .dump = plan { state.dumping.insert(archive) }
            return plan
        }
        switch plan {
        case .none:
            return (launch, nil)
        case .use(let path):
            logger.info("Executor \(launch.key) starts with the class-data archive \(path)")
            return (ExecutorClassDataSharing.apply(plan, to: launch), nil)
        case .dump(let temporary, let path):
            logger.info("Executor \(launch.key) will write the class-data archive \(path) when it exits")
            return (ExecutorClassDataSharing.apply(plan, to: launch), Dump(temporary: temporary, archive: path))
        }
    }

    /// After the executor that was to write `dump` ended: keeps the archive if it is whole.
    func finish(_ dump: Dump, exitCode: Int32) {
        defer { _ = state.withLockedValue { $0.dumping.remove(dump.archive) } }
        let prefix = (try? ReadOnlyFile(path: dump.temporary)?.read(at: 0, count: 4)) ?? []
        // SIGKILL (137) can cut the file at any point; the header, written last, tells the rest.
        guard exitCode != 128 + SIGKILL, ExecutorClassDataSharing.isCompleteArchive(prefix: prefix) else {
            try? FileManager.default.removeItem(atPath: dump.temporary)
            state.withLockedValue { $0.failedDumps[dump.archive, default: 0] += 1 }
            let found = prefix.isEmpty ? "no file" : "an incomplete file"
            logger.warning("No class-data archive from the executor (exit code \(exitCode), \(found)); a later one may write it",
                           metadata: ["worker/archive": "\(dump.archive)"])
            return
        }
        guard rename(dump.temporary, dump.archive) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: dump.temporary)
            logger.warning("Cannot keep the class-data archive \(dump.archive): \(reason)")
            return
        }
        let size = HostEnvironment.status(dump.archive)?.size ?? 0
        logger.info("Class-data archive \(dump.archive) ready (\(size / 1024 / 1024) MiB); later executors start with it")
        prune()
    }

    /// The executor that was to write `dump` never started: a later one will.
    func abandon(_ dump: Dump) {
        _ = state.withLockedValue { $0.dumping.remove(dump.archive) }
    }

    /// Keeps the newest `keptArchives` archives and removes stale temporary files.
    func prune() {
        guard let directory, let names = Daemon.directoryEntries(directory) else { return }
        let now = Date().timeIntervalSince1970
        var archives: [(path: String, modified: Double)] = []
        for name in names where name.hasPrefix("executor-") {
            let path = directory + "/" + name
            let modified = HostEnvironment.status(path)?.modified ?? now
            if name.hasSuffix(".jsa") {
                archives.append((path, modified))
            } else if name.contains(".jsa.tmp-"), now - modified > Self.staleTemporarySeconds {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        for old in archives.sorted(by: { $0.modified > $1.modified }).dropFirst(Self.keptArchives) {
            try? FileManager.default.removeItem(atPath: old.path)
        }
    }

    private func usableDirectory(_ directory: String) -> Bool {
        if let known = state.withLockedValue({ $0.directoryUsable }) { return known }
        let usable = HostEnvironment.makeDirectory(directory, intermediates: true) == 0 && access(directory, W_OK) == 0
        if !usable {
            logger.warning("Executor class-data sharing is off: cannot write to \(directory)")
        } else {
            prune()
        }
        state.withLockedValue { $0.directoryUsable = usable }
        return usable
    }

    func javaFacts(_ java: String) -> JavaFacts {
        if let known = state.withLockedValue({ $0.java[java] }) { return known }
        let resolved = ChildProcesses.resolve(java, environment: environment)
        let binary = HostEnvironment.resolvingLinks(resolved)
        let home = HostEnvironment.parentDirectory(HostEnvironment.parentDirectory(binary))
        let release = HostEnvironment.readText(home + "/release").flatMap(ExecutorClassDataSharing.javaVersion)
        var identity = binary
        if let modules = HostEnvironment.status(home + "/lib/modules") {
            identity += ":\(modules.size):\(Int64(modules.modified))"
        }
        let facts = JavaFacts(version: release, identity: identity)
        state.withLockedValue { $0.java[java] = facts }
        if release == nil {
            logger.info("Executor class-data sharing is off for \(java): no JDK version in \(home)/release")
        }
        return facts
    }
}
