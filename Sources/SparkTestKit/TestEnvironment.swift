import Foundation

/// Where the tests find the repository, the Spark distribution and the JVM oracle.
public enum TestEnvironment {
    /// The repository root (this file is `Sources/SparkTestKit/TestEnvironment.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The cache folder `.ci/setup` installs pyspark into.
    public static var cacheDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["SPARK_SPACE_CACHE"] { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/spark-space")
    }

    /// `SPARK_HOME` of a Spark version: `$SPARK_HOME` for 4.3.0 if set, else the pyspark cache.
    public static func sparkHome(version: String = "4.3.0") -> URL? {
        let environment = ProcessInfo.processInfo.environment
        if version == "4.3.0", let home = environment["SPARK_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        let candidate = cacheDirectory.appendingPathComponent("pyspark-\(version)/pyspark")
        let sparkClass = candidate.appendingPathComponent("bin/spark-class").path
        return FileManager.default.isExecutableFile(atPath: sparkClass) ? candidate : nil
    }

    /// Whether integration tests must run (CI): then a missing Spark is a failure, not a skip.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// JVM golden fixtures of a Spark version.
    public static func goldenDirectory(version: String = "4.3.0") -> URL {
        repositoryRoot.appendingPathComponent("protocol/golden/spark-\(version)")
    }

    public static func protocolFile(_ relativePath: String) -> URL {
        repositoryRoot.appendingPathComponent("protocol").appendingPathComponent(relativePath)
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension TestEnvironment {
    /// Where SwiftPM put this package's executables (next to the running test bundle).
    public static var productsDirectory: URL {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // On Linux the bundle is `<products>/spark-spacePackageTests.xctest`.
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("spark-master").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    /// One of this package's executables, e.g. `spark-master`.
    public static func product(_ name: String) -> URL { productsDirectory.appendingPathComponent(name) }
}
