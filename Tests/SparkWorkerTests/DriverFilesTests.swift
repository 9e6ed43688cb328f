import Foundation
import Logging
import SparkModel
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// A driver's files before each attempt: the jar from a `file:` URL, and the logs kept across attempts.
@Suite struct DriverFilesTests {
    @Test func localPathsOfJarURLs() throws {
        #expect(try DriverFiles.localPath(of: "file:/apps/app.jar") == "/apps/app.jar")
        #expect(try DriverFiles.localPath(of: "file:///apps/my%20app.jar") == "/apps/my app.jar")
        #expect(try DriverFiles.localPath(of: "file://localhost/apps/app.jar") == "/apps/app.jar")
        #expect(try DriverFiles.localPath(of: "/apps/app.jar") == "/apps/app.jar")
        // A plain path is a URI too: Java's getPath decodes its escapes and drops a query.
        #expect(try DriverFiles.localPath(of: "/apps/my%20app.jar?x=1") == "/apps/my app.jar")
        #expect(try DriverFiles.localPath(of: "FILE:/apps/app.jar#main") == "/apps/app.jar")
        for url in ["https://example.com/app.jar", "hdfs://nn:8020/app.jar", "s3a://bucket/app.jar", "file://otherhost/app.jar",
                    "file:/apps/a%-0.jar", "file:/apps/a%00.jar"] {
            #expect(throws: DriverFiles.Failure.self, "\(url)") { try DriverFiles.localPath(of: url) }
        }
    }

    @Test func jarURLsAreSplitAsJavaURIs() {
        #expect(JarURL("hdfs://nn:8020/jobs/app.jar?v=2#x") == JarURL(scheme: "hdfs", authority: "nn:8020", path: "/jobs/app.jar"))
        #expect(JarURL("file:/a%2Fb.jar") == JarURL(scheme: "file", authority: nil, path: "/a/b.jar"))
        #expect(JarURL("file:///a.jar") == JarURL(scheme: "file", authority: "", path: "/a.jar"))
        #expect(JarURL("relative/app.jar") == JarURL(scheme: nil, authority: nil, path: "relative/app.jar"))
        #expect(JarURL("1x:/a.jar") == JarURL(scheme: nil, authority: nil, path: "1x:/a.jar"))
        #expect(JarURL("s3a://bucket") == JarURL(scheme: "s3a", authority: "bucket", path: ""))
        #expect(JarURL("file:/a%zz.jar") == nil)
        #expect(JarURL("file:/a%0") == nil)
        #expect(JarURL("file:/a%00.jar") == nil)
        #expect(DriverLaunch.jarFileName("s3a://bucket") == nil)
        #expect(DriverLaunch.jarFileName("file:/jobs/..") == nil)
        #expect(DriverLaunch.jarFileName("https://host/jobs/app%201.jar?download=1") == "app 1.jar")
    }

    /// Both steps of an attempt, as the worker runs them.
    static func prepare(_ launch: DriverLaunch) async throws {
        try await DriverFiles.obtainJar(launch, download: JarDownload(timeout: .seconds(5), environment: [:]), logger: Logger(label: "test"))
        try DriverFiles.prepareFiles(launch)
    }

    @Test func prepareCopiesTheJarOnceAndKeepsLogsAcrossAttempts() async throws {
        let root = try scratchDirectory("driver-files")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let source = root + "/app.jar"
        #expect(HostEnvironment.writeFile(source, String(repeating: "jar bytes ", count: 300_000)))
        let directory = root + "/work/driver-1"
        let launch = DriverLaunch(
            driverId: "driver-1", jarUrl: "file:" + source, localJarPath: directory + "/app.jar", argv: ["/bin/true"],
            environment: [], workingDirectory: directory, stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr",
            stderrHeader: "Launch Command: \"/bin/true\"\n========================================\n\n", resourcesFile: nil)
        try await Self.prepare(launch)
        #expect(FileManager.default.contents(atPath: launch.localJarPath) == FileManager.default.contents(atPath: source))
        #expect(JarDownloadTests.leftovers(in: URL(fileURLWithPath: directory)).isEmpty)
        #expect(HostEnvironment.writeFile(launch.stdoutPath, "first attempt\n"))
        let stderr = try String(contentsOfFile: launch.stderrPath, encoding: .utf8) + "first failure\n"
        #expect(HostEnvironment.writeFile(launch.stderrPath, stderr))

        // The second attempt: the jar is there already (a changed source is not fetched again).
        #expect(HostEnvironment.writeFile(source, "changed"))
        try await Self.prepare(launch)
        #expect(try String(contentsOfFile: launch.localJarPath, encoding: .utf8).hasPrefix("jar bytes"))
        #expect(try String(contentsOfFile: launch.stdoutPath, encoding: .utf8) == "first attempt\n")
        #expect(try String(contentsOfFile: launch.stderrPath, encoding: .utf8) == launch.stderrHeader + "first failure\n" + launch.stderrHeader)
    }

    @Test func missingJarIsAnError() async throws {
        let root = try scratchDirectory("driver-files-missing")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/driver-2"
        let launch = DriverLaunch(
            driverId: "driver-2", jarUrl: "file:\(root)/absent.jar", localJarPath: directory + "/absent.jar", argv: ["/bin/true"],
            environment: [], workingDirectory: directory, stdoutPath: directory + "/stdout", stderrPath: directory + "/stderr",
            stderrHeader: "", resourcesFile: nil)
        await #expect {
            try await Self.prepare(launch)
        } throws: { error in
            (error as? DriverFiles.Failure)?.className == "java.io.FileNotFoundException"
        }
        #expect(!FileManager.default.fileExists(atPath: launch.localJarPath))
        #expect(DriverFiles.Failure(java: "java.io.IOException: Cannot run program \"x\"").exception
            == JavaExceptionInfo(className: "java.io.IOException", message: "Cannot run program \"x\""))
    }
}
