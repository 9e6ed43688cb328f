import Foundation
import SparkModel
@testable import SparkWorker
import Testing

/// The worker's decisions about executor class-data archives, on the real 4.3.0 launch sample.
@Suite struct ExecutorClassDataSharingTests {
    typealias Sharing = ExecutorClassDataSharing

    func sampleLaunch() throws -> ExecutorLaunch { try ExecutorCommandTests().sampleLaunch() }

    func plan(_ argv: [String], version: Int? = 17, exists: Bool = false, dumping: Bool = false) -> Sharing.Plan {
        Sharing.plan(
            argv: argv, javaVersion: version, directory: "/cache/cds", archiveName: "executor-x.jsa", archiveExists: exists,
            dumpInProgress: dumping, uniqueSuffix: "42-app-1-0")
    }

    @Test func archiveNameIgnoresWhatChangesPerLaunch() throws {
        let argv = try sampleLaunch().argv
        let name = Sharing.archiveName(argv: argv, javaIdentity: "jdk")
        #expect(name.hasPrefix("executor-") && name.hasSuffix(".jsa") && name.count == "executor-".count + 16 + 4)
        // Another application: another driver port, heap size, executor id and application id.
        let other = argv.map { argument -> String in
            if argument.hasPrefix("-Dspark.driver.port=") { return "-Dspark.driver.port=1" }
            if argument.hasPrefix("-Xmx") { return "-Xmx4096M" }
            if argument.hasPrefix("app-") { return "app-20990101000000-0042" }
            return argument
        }
        #expect(other != argv)
        #expect(Sharing.archiveName(argv: other, javaIdentity: "jdk") == name)
    }

    @Test func archiveNameFollowsClassPathJavaAndModules() throws {
        let argv = try sampleLaunch().argv
        let name = Sharing.archiveName(argv: argv, javaIdentity: "jdk")
        let classPath = try #require(argv.firstIndex(of: "-cp")) + 1
        var otherClassPath = argv
        otherClassPath[classPath] += ":/extra.jar"
        var otherJava = argv
        otherJava[0] = "/opt/jdk-21/bin/java"
        var otherModules = argv
        otherModules.insert("--add-modules=java.sql", at: 1)
        for changed in [otherClassPath, otherJava, otherModules] {
            #expect(Sharing.archiveName(argv: changed, javaIdentity: "jdk") != name)
        }
        #expect(Sharing.archiveName(argv: argv, javaIdentity: "jdk-updated") != name)
    }

    @Test func plansFollowTheArchiveAndTheJDK() throws {
        let argv = try sampleLaunch().argv
        #expect(plan(argv) == .dump(temporary: "/cache/cds/executor-x.jsa.tmp-42-app-1-0", archive: "/cache/cds/executor-x.jsa"))
        #expect(plan(argv, exists: true) == .use(archive: "/cache/cds/executor-x.jsa"))
        #expect(plan(argv, dumping: true) == .none)
        #expect(plan(argv, version: 11) == .none)
        #expect(plan(argv, version: nil) == .none)
        // The application chose its own (spark.executor.extraJavaOptions): the worker adds nothing.
        for own in ["-XX:SharedArchiveFile=/mine.jsa", "-XX:ArchiveClassesAtExit=/mine.jsa", "-Xshare:off"] {
            var chosen = argv
            chosen.insert(own, at: 3)
            #expect(plan(chosen, exists: true) == .none)
        }
    }

    @Test func applyPutsTheOptionsAfterJavaAndInTheLogHeader() throws {
        let launch = try sampleLaunch()
        let used = Sharing.apply(.use(archive: "/cache/cds/executor-x.jsa"), to: launch)
        #expect(used.argv == [launch.argv[0], "-XX:SharedArchiveFile=/cache/cds/executor-x.jsa"] + launch.argv.dropFirst())
        #expect(used.stderrHeader.hasPrefix("Spark Executor Command: \"\(launch.argv[0])\" \"-XX:SharedArchiveFile=/cache/cds/executor-x.jsa\" \"-cp\""))
        #expect(used.stderrHeader.hasSuffix("\n" + String(repeating: "=", count: 40) + "\n\n"))

        let dumping = Sharing.apply(.dump(temporary: "/c/x.jsa.tmp-1", archive: "/c/x.jsa"), to: launch)
        #expect(Array(dumping.argv.prefix(3)) == [launch.argv[0], "-XX:ArchiveClassesAtExit=/c/x.jsa.tmp-1", "-Xlog:cds*=off"])
        #expect(dumping.argv.count == launch.argv.count + 2)
        #expect(Sharing.apply(.none, to: launch) == launch)
    }

    @Test func javaVersionFromTheReleaseFile() {
        #expect(Sharing.javaVersion(releaseFile: "IMPLEMENTOR=\"Debian\"\nJAVA_VERSION=\"17.0.15\"\nOS_NAME=\"Linux\"\n") == 17)
        #expect(Sharing.javaVersion(releaseFile: "JAVA_VERSION=\"1.8.0_402\"\n") == 8)
        #expect(Sharing.javaVersion(releaseFile: "JAVA_VERSION=\"21\"") == 21)
        #expect(Sharing.javaVersion(releaseFile: "JAVA_VERSION=\"\"\n") == nil)
        #expect(Sharing.javaVersion(releaseFile: "") == nil)
    }

    @Test func onlyAnArchiveWithItsHeaderIsWhole() {
        #expect(Sharing.isCompleteArchive(prefix: [0xA8, 0xAB, 0x0B, 0xF0]))
        #expect(Sharing.isCompleteArchive(prefix: [0xA8, 0xAB, 0x0B, 0xF0, 0x0E]))
        #expect(!Sharing.isCompleteArchive(prefix: [0, 0, 0, 0]))
        #expect(!Sharing.isCompleteArchive(prefix: [0xA2, 0xAB, 0x0B, 0xF0]))  // a static (base) archive
        #expect(!Sharing.isCompleteArchive(prefix: [0xA8, 0xAB]))
    }
}
