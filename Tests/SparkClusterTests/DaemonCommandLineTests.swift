import Foundation
import SparkTestKit
import Testing

/// What an operator sees when `spark-master` or `spark-worker` cannot start with its properties
/// file: one line naming the file and the problem, exit status 1, no usage text (the command line
/// was fine). A bad command line still gets the usage.
@Suite struct DaemonCommandLineTests {
    private func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func unusablePropertiesFilesEndTheDaemonsWithOneLine() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.conf").path
        let huge = directory.appendingPathComponent("spark-defaults.conf")
        try Data(String(repeating: "spark.x 1\n", count: 110_000).utf8).write(to: huge)

        let master = TestEnvironment.product("spark-master").path
        let worker = TestEnvironment.product("spark-worker").path
        let cases: [(String, [String], [String: String], String)] = [
            (master, ["--properties-file", missing], [:], "spark-master: Properties file \(missing) does not exist\n"),
            (worker, ["--properties-file", missing, "spark://127.0.0.1:1"], [:],
             "spark-worker: Properties file \(missing) does not exist\n"),
            // The default file, found through SPARK_CONF_DIR, too large to be one.
            (master, ["--port", "0"], ["SPARK_CONF_DIR": directory.path],
             "spark-master: Properties file \(huge.path) is larger than 1048576 bytes\n"),
            (worker, ["spark://127.0.0.1:1"], ["SPARK_CONF_DIR": directory.path],
             "spark-worker: Properties file \(huge.path) is larger than 1048576 bytes\n"),
        ]
        for (executable, arguments, environment, expected) in cases {
            // Bounded: a daemon that started instead of refusing is ended after 20 s (status 124).
            let result = try runCommand("/usr/bin/env", ["timeout", "20", executable] + arguments, environment: environment)
            #expect(result.status == 1, "\(executable) \(arguments)")
            #expect(result.output == expected)
        }

        let usage = try runCommand("/usr/bin/env", ["timeout", "20", worker, "--bogus"])
        #expect(usage.status == 1)
        #expect(usage.output.hasPrefix("Invalid master URL: --bogus\nUsage: spark-worker [options] <master>\n"))
    }
}
