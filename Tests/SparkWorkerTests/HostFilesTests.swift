import Foundation
import Logging
import SparkWorker
@testable import SparkWorkerServer
import Testing

/// The worker's file helpers that stand in for Foundation's `FileHandle`, `NSString` paths and
/// directory enumeration (the daemon links FoundationEssentials only).
@Suite struct HostFilesTests {
    private func scratch(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func parentDirectories() {
        let cases: [(String, String)] = [
            ("/work/app-1/0", "/work/app-1"), ("/work/app-1/0/", "/work/app-1"), ("/work", "/"), ("/", "/"),
            ("relative/dir", "relative"), ("name", "."), ("//a//b", "//a"), ("/a//b", "/a"),
        ]
        for (path, parent) in cases {
            #expect(HostEnvironment.parentDirectory(path) == parent, "parent of \(path)")
        }
    }

    @Test func directoriesAreToldFromFilesAndMissingPaths() throws {
        let directory = try scratch("host-files")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("stdout")
        try Data("x".utf8).write(to: file)
        #expect(HostEnvironment.isDirectory(directory.path))
        #expect(!HostEnvironment.isDirectory(file.path))
        #expect(!HostEnvironment.isDirectory(directory.appendingPathComponent("missing").path))
    }

    @Test func readOnlyFileReadsRangesAndStopsAtTheEnd() throws {
        let directory = try scratch("read-only-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stderr").path
        let content = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Data(content).write(to: URL(fileURLWithPath: path))

        let file = try #require(ReadOnlyFile(path: path))
        #expect(try file.size() == 70_000)
        #expect(try file.read(at: 0, count: 4) == Array(content[0..<4]))
        #expect(try file.read(at: 65_530, count: 10) == Array(content[65_530..<65_540]))
        #expect(try file.read(at: 69_998, count: 10) == Array(content[69_998...]))
        #expect(try file.read(at: 70_000, count: 10).isEmpty)
        #expect(try file.read(at: 5, count: 0).isEmpty)
        #expect(ReadOnlyFile(path: directory.appendingPathComponent("missing").path) == nil)
        // A directory opens, but reading it fails with the system's reason.
        let opened = try #require(ReadOnlyFile(path: directory.path))
        #expect(throws: ReadOnlyFile.Failure.self) { try opened.read(at: 0, count: 1) }
    }

    /// Spark's `WorkDirCleanup`: an application directory goes when nothing in it changed within the
    /// TTL, however deep the newest file is; kept and fresh directories stay.
    @Test func cleanupRemovesOnlyStaleApplicationDirectories() throws {
        let work = try scratch("work-cleanup")
        defer { try? FileManager.default.removeItem(at: work) }
        let files = FileManager.default
        let old = Date(timeIntervalSinceNow: -30 * 86_400)
        func make(_ relative: String, modified: Date) throws {
            let url = work.appendingPathComponent(relative)
            try files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("log".utf8).write(to: url)
            try files.setAttributes([.modificationDate: modified], ofItemAtPath: url.path)
        }
        try make("app-stale/0/stderr", modified: old)
        try make("app-deep-new/0/stderr", modified: old)
        try make("app-deep-new/0/jars/new.jar", modified: Date())
        try make("app-running/0/stderr", modified: old)
        for directory in ["app-stale/0", "app-stale", "app-deep-new/0/jars", "app-deep-new/0", "app-deep-new",
                          "app-running/0", "app-running"] {
            try files.setAttributes([.modificationDate: old], ofItemAtPath: work.appendingPathComponent(directory).path)
        }

        WorkDirectories.cleanup(
            WorkDirectoryCleanup(directory: work.path, keep: ["app-running"], appDataTtlSeconds: 7 * 86_400),
            now: Date(), logger: Logger(label: "test"))
        let left = try files.contentsOfDirectory(atPath: work.path).sorted()
        #expect(left == ["app-deep-new", "app-running"])
    }
}
