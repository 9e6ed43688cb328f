import Foundation
import Logging
import SparkModel
import SparkDaemon
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// The worker's archive directory: made and pruned at the first launch, JDK facts read from the JDK's
/// `release`, and the plan each launch gets (write an archive, then use it).
@Suite struct ExecutorArchivesTests {
    /// A JDK laid out as Debian's: `bin/java` reached through a link, `release`, `lib/modules`.
    private func fakeJDK(in root: String, version: String) throws -> String {
        let home = root + "/jdk"
        try FileManager.default.createDirectory(atPath: home + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: home + "/lib", withIntermediateDirectories: true)
        #expect(HostEnvironment.writeFile(home + "/bin/java", "#!/bin/sh\n"))
        #expect(HostEnvironment.writeFile(home + "/release", "IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"\(version)\"\n"))
        #expect(HostEnvironment.writeFile(home + "/lib/modules", String(repeating: "\u{7}", count: 1000)))
        try FileManager.default.createSymbolicLink(atPath: root + "/java", withDestinationPath: home + "/bin/java")
        return root + "/java"
    }

    private func launch(java: String, execId: Int32) -> ExecutorLaunch {
        ExecutorLaunch(
            key: ExecutorKey(appId: "app-1", execId: execId),
            argv: [java, "-cp", "/spark/jars/*", "-Xmx1024M", "org.apache.spark.executor.CoarseGrainedExecutorBackend"],
            environment: [], workingDirectory: "/work/app-1/\(execId)", stdoutPath: "/work/app-1/\(execId)/stdout",
            stderrPath: "/work/app-1/\(execId)/stderr", stderrHeader: "", directoriesToCreate: [], appLocalDirectories: [],
            resourcesFile: nil)
    }

    @Test func firstLaunchKeepsTheNewestArchivesAndDropsStaleTemporaries() throws {
        let root = try scratchDirectory("archives-prune")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/cds"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = Date()
        func make(_ name: String, ageSeconds: Double) throws {
            #expect(HostEnvironment.writeFile(directory + "/" + name, "x"))
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-ageSeconds)], ofItemAtPath: directory + "/" + name)
        }
        for index in 0..<6 { try make("executor-\(index).jsa", ageSeconds: Double(index) * 60) }
        try make("executor-9.jsa.tmp-1-app-1-0", ageSeconds: 2 * 3600)
        try make("executor-8.jsa.tmp-2-app-2-0", ageSeconds: 60)
        try make("other.jsa", ageSeconds: 10 * 86_400)

        let java = try fakeJDK(in: root, version: "17.0.15")
        _ = ExecutorArchives(directory: directory, environment: [:], logger: Logger(label: "test")).prepare(launch(java: java, execId: 0))
        let left = try #require(Daemon.directoryEntries(directory)).sorted()
        #expect(left == ["executor-0.jsa", "executor-1.jsa", "executor-2.jsa", "executor-3.jsa",
                         "executor-8.jsa.tmp-2-app-2-0", "other.jsa"])
    }

    @Test func launchesWriteAnArchiveThenUseIt() throws {
        let root = try scratchDirectory("archives-plan")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let java = try fakeJDK(in: root, version: "17.0.15")
        // The directory does not exist yet: the first launch makes it.
        let archives = ExecutorArchives(directory: root + "/cache/cds", environment: [:], logger: Logger(label: "test"))
        let (first, dump) = archives.prepare(launch(java: java, execId: 0))
        #expect(HostEnvironment.isDirectory(root + "/cache/cds"))
        #expect(archives.javaFacts(java).version == 17)
        let written = try #require(dump)
        #expect(first.argv.contains("-XX:ArchiveClassesAtExit=\(written.temporary)"))
        #expect(written.archive.hasPrefix(root + "/cache/cds/executor-") && written.archive.hasSuffix(".jsa"))
        // While that executor runs, another launch does not write the same archive.
        let (second, none) = archives.prepare(launch(java: java, execId: 1))
        #expect(none == nil)
        #expect(second.argv == launch(java: java, execId: 1).argv)

        // The executor wrote a whole archive (a dynamic archive starts with its magic, written last) and exited.
        try Data(ExecutorClassDataSharing.dynamicArchiveMagic + Array(repeating: 0, count: 60)).write(to: URL(fileURLWithPath: written.temporary))
        archives.finish(written, exitCode: 0)
        #expect(access(written.archive, F_OK) == 0)
        let (third, noDump) = archives.prepare(launch(java: java, execId: 2))
        #expect(noDump == nil)
        #expect(third.argv.contains("-XX:SharedArchiveFile=\(written.archive)"))
    }

    @Test func oldJavaGetsNoArchive() throws {
        let root = try scratchDirectory("archives-java8")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let java = try fakeJDK(in: root, version: "1.8.0_392")
        let archives = ExecutorArchives(directory: root + "/cds", environment: [:], logger: Logger(label: "test"))
        // The version is read through the link, from the JDK's `release`; the identity names the real binary.
        let facts = archives.javaFacts(java)
        #expect(facts.version == 8)
        #expect(facts.identity.hasPrefix(HostEnvironment.resolvingLinks(root + "/jdk/bin/java") + ":1000:"))
        let (launched, dump) = archives.prepare(launch(java: java, execId: 0))
        #expect(dump == nil)
        #expect(launched.argv == launch(java: java, execId: 0).argv)
    }
}
