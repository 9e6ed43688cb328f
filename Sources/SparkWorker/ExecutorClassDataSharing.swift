/// Class-data sharing for executor JVMs: the worker keeps a dynamic CDS archive of the classes an
/// executor loads (JDK 13+: `-XX:ArchiveClassesAtExit`, `-XX:SharedArchiveFile`) and starts later
/// executors of the same class path with it, which saves them most of their class loading.
///
/// The first executor of a class path writes the archive when it exits, to a temporary file that
/// the shell renames once the file is complete; executors started meanwhile run without one.
/// A JVM checks an archive before mapping it (JDK build, class path, jar sizes and times) and
/// runs without it when it does not match, so a stale archive costs the speed-up, never a launch.
///
/// This type decides; the shell supplies the facts (the JDK's version and identity, which
/// archives exist, which are being written) and moves the files.
public enum ExecutorClassDataSharing {
    /// What to add to one launch.
    public enum Plan: Sendable, Equatable {
        /// Nothing: not a JVM that can, or an archive of this class path is being written.
        case none
        /// Start with the archive at this path.
        case use(archive: String)
        /// Write an archive at exit to `temporary`; the shell renames it to `archive`.
        case dump(temporary: String, archive: String)
    }

    /// `-XX:ArchiveClassesAtExit` appeared in JDK 13.
    public static let minimumJavaVersion = 13

    /// The first four bytes of a dynamic archive (`DYNAMIC_ARCHIVE_MAGIC`, little-endian). The JVM
    /// writes the header last, so a file cut short by a kill does not start with them.
    public static let dynamicArchiveMagic: [UInt8] = [0xA8, 0xAB, 0x0B, 0xF0]

    /// The name of the archive for a launch: a hash of what decides which classes the JVM loads
    /// from where — the `java` binary and its JDK's identity, the class path, the main class and
    /// the module and `-XX:` options — and not of what changes per launch (`-D` properties such as
    /// the driver's port, heap sizes, program arguments).
    public static func archiveName(argv: [String], javaIdentity: String) -> String {
        var parts = [javaIdentity, argv.first ?? ""]
        var index = 1
        while index < argv.count {
            let argument = argv[index]
            if argument == "-cp" || argument == "-classpath" || argument == "--class-path" {
                parts.append(argument)
                if index + 1 < argv.count { parts.append(argv[index + 1]) }
                index += 2
                continue
            }
            if !argument.hasPrefix("-") {
                parts.append(argument)  // the main class; what follows are its arguments
                break
            }
            if argument.hasPrefix("--") || (argument.hasPrefix("-XX:") && !isSharingOption(argument)) {
                parts.append(argument)
            }
            index += 1
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits: stable across runs and platforms
        for part in parts {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            hash ^= 0xff
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "executor-" + String(repeating: "0", count: 16 - hex.count) + hex + ".jsa"
    }

    /// Decides for one launch of `argv`. `archiveExists` and `dumpInProgress` are about the
    /// archive `directory/archiveName`.
    public static func plan(
        argv: [String], javaVersion: Int?, directory: String, archiveName: String, archiveExists: Bool, dumpInProgress: Bool,
        uniqueSuffix: String
    ) -> Plan {
        guard let javaVersion, javaVersion >= minimumJavaVersion, !hasSharingOption(in: argv) else { return .none }
        let archive = directory + "/" + archiveName
        if archiveExists { return .use(archive: archive) }
        if dumpInProgress { return .none }
        return .dump(temporary: archive + ".tmp-" + uniqueSuffix, archive: archive)
    }

    /// Whether the command already chooses its own class-data sharing (an application's
    /// `spark.executor.extraJavaOptions`): then the worker adds nothing.
    public static func hasSharingOption(in argv: [String]) -> Bool {
        argv.contains { isSharingOption($0) || $0.hasPrefix("-Xshare:") }
    }

    /// The launch with the plan's options right after `java`, and the stderr header showing them.
    public static func apply(_ plan: Plan, to launch: ExecutorLaunch) -> ExecutorLaunch {
        let options: [String]
        switch plan {
        case .none:
            return launch
        case .use(let archive):
            options = ["-XX:SharedArchiveFile=" + archive]
        case .dump(let temporary, _):
            // Writing an archive warns about every class it cannot keep; the executor's log is not the place.
            options = ["-XX:ArchiveClassesAtExit=" + temporary, "-Xlog:cds*=off"]
        }
        guard !launch.argv.isEmpty, !hasSharingOption(in: launch.argv) else { return launch }
        var result = launch
        result.argv.insert(contentsOf: options, at: 1)
        // The header shows the options after `java` too (they hold no secret).
        let java = "Spark Executor Command: \"\(launch.argv[0])\""
        if result.stderrHeader.hasPrefix(java) {
            result.stderrHeader = java + options.map { " \"\($0)\"" }.joined() + result.stderrHeader.dropFirst(java.count)
        }
        return result
    }

    /// The feature version from a JDK's `release` file (`JAVA_VERSION="17.0.15"`, `"1.8.0_402"` is 8).
    public static func javaVersion(releaseFile: String) -> Int? {
        for line in releaseFile.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard line.hasPrefix("JAVA_VERSION=") else { continue }
            let value = line.dropFirst("JAVA_VERSION=".count).filter { $0 != "\"" }
            let parts = value.split(separator: ".")
            guard let first = parts.first.flatMap({ Int($0) }) else { return nil }
            if first == 1, parts.count > 1 { return Int(parts[1]) }
            return first
        }
        return nil
    }

    /// Whether a written archive is whole (see `dynamicArchiveMagic`).
    public static func isCompleteArchive(prefix: [UInt8]) -> Bool {
        prefix.count >= dynamicArchiveMagic.count && Array(prefix.prefix(dynamicArchiveMagic.count)) == dynamicArchiveMagic
    }

    static func isSharingOption(_ argument: String) -> Bool {
        argument.hasPrefix("-XX:SharedArchiveFile=") || argument.hasPrefix("-XX:ArchiveClassesAtExit=")
    }
}
