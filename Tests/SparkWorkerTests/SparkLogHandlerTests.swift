import Logging
@testable import SparkDaemon
import Testing

/// Both daemons log as Spark's do, at the level `SPARK_LOG_LEVEL` names.
struct SparkLogHandlerTests {
    @Test func levelsInLog4jsWordsOrSwiftLogs() {
        let cases: [(String?, Logger.Level)] = [
            (nil, .info), ("WARN", .warning), ("warning", .warning), ("ERROR", .error), ("debug", .debug), ("TRACE", .trace),
            ("FATAL", .critical), ("ALL", .trace), ("INFO", .info), ("loud", .info),
        ]
        for (name, level) in cases {
            var environment: [String: String] = [:]
            environment["SPARK_LOG_LEVEL"] = name
            #expect(SparkLogHandler.level(environment: environment) == level, "\(name ?? "unset")")
        }
        #expect(SparkLogHandler.levelName(.warning) == "WARN")
        #expect(SparkLogHandler.levelName(.notice) == "INFO")
        #expect(SparkLogHandler.levelName(.critical) == "FATAL")
        let stamp = SparkLogHandler.timestamp()
        #expect(stamp.count == 23 && stamp.dropFirst(10).first == " " && stamp.dropFirst(19).first == ".", "\(stamp)")
    }
}
