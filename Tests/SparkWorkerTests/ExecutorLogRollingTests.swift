import SparkConfig
import SparkWorker
import Testing

/// What `spark.executor.logs.rolling.*` in the worker's configuration turns into, and the names,
/// moments and retention of rolled files (Spark: `FileAppender.apply`, `RollingFileAppender`,
/// `TimeBasedRollingPolicy`, `SizeBasedRollingPolicy`).
@Suite struct ExecutorLogRollingTests {
    private func configured(_ settings: [String: String]) -> (ExecutorLogRolling?, [(WorkerLogLevel, String)]) {
        ExecutorLogRolling.configured(by: SparkConf(settings))
    }

    private func warnings(_ messages: [(WorkerLogLevel, String)]) -> [String] {
        messages.filter { $0.0 == .warning }.map(\.1)
    }

    @Test func offUnlessAStrategyIsSet() {
        let (none, messages) = configured([:])
        #expect(none == nil && messages.isEmpty)
        let (empty, _) = configured([ExecutorLogRolling.strategyKey: "", ExecutorLogRolling.maxSizeKey: "100000"])
        #expect(empty == nil)
    }

    @Test func timeStrategyIntervals() {
        let key = ExecutorLogRolling.strategyKey, interval = ExecutorLogRolling.intervalKey
        #expect(configured([key: "time"]).0?.policy == .time(intervalMilliseconds: 86_400_000, suffix: .day))
        #expect(configured([key: "time", interval: "daily"]).0?.policy == .time(intervalMilliseconds: 86_400_000, suffix: .day))
        #expect(configured([key: "time", interval: "hourly"]).0?.policy == .time(intervalMilliseconds: 3_600_000, suffix: .hour))
        #expect(configured([key: "time", interval: "minutely"]).0?.policy == .time(intervalMilliseconds: 60_000, suffix: .minute))
        #expect(configured([key: "time", interval: "120"]).0?.policy == .time(intervalMilliseconds: 120_000, suffix: .second))

        let (short, shortMessages) = configured([key: "time", interval: "10"])
        #expect(short?.policy == .time(intervalMilliseconds: 60_000, suffix: .second))
        #expect(warnings(shortMessages) == [
            "Rolling interval [10000 ms] is too small. Setting the interval to the acceptable minimum of 60000 ms."])

        for bad in ["weekly", "1h", "", "99999999999"] {
            let (rolling, messages) = configured([key: "time", interval: bad])
            #expect(rolling == nil, "\(bad)")
            #expect(warnings(messages) == ["Illegal interval for rolling executor logs [\(bad)], rolling logs not enabled"])
        }
    }

    @Test func sizeStrategyLimits() {
        let key = ExecutorLogRolling.strategyKey, size = ExecutorLogRolling.maxSizeKey
        #expect(configured([key: "size"]).0?.policy == .size(bytes: 1_048_576))
        #expect(configured([key: "size", size: "200000"]).0?.policy == .size(bytes: 200_000))
        let (small, messages) = configured([key: "size", size: "1024"])
        #expect(small?.policy == .size(bytes: 81920))
        #expect(warnings(messages) == [
            "Rolling size [1024 bytes] is too small. Setting the size to the acceptable minimum of 81920 bytes."])
        let (bad, badMessages) = configured([key: "size", size: "1m"])
        #expect(bad == nil)
        #expect(warnings(badMessages) == ["Illegal size [1m] for rolling executor logs, rolling logs not enabled"])
    }

    @Test func unknownStrategyAndBadCompanionsTurnRollingOff() {
        let (unknown, messages) = configured([ExecutorLogRolling.strategyKey: "sized"])
        #expect(unknown == nil)
        #expect(warnings(messages) == ["Illegal strategy [sized] for rolling executor logs, rolling logs not enabled"])

        let (rolling, info) = configured([
            ExecutorLogRolling.strategyKey: "size", ExecutorLogRolling.maxRetainedFilesKey: "3", ExecutorLogRolling.compressionKey: "true",
        ])
        #expect(rolling == ExecutorLogRolling(policy: .size(bytes: 1_048_576), maxRetainedFiles: 3, compress: true))
        #expect(info.map(\.1) == ["Rolling executor logs enabled: every 1048576 bytes, keeping 3 rolled files, gzip-compressed"])

        let (badCompression, badMessages) = configured([ExecutorLogRolling.strategyKey: "size", ExecutorLogRolling.compressionKey: "yes"])
        #expect(badCompression == nil)
        #expect(warnings(badMessages).count == 1 && warnings(badMessages)[0].contains(ExecutorLogRolling.compressionKey))
    }

    @Test func timePolicyRollsAtTheFirstWriteAfterEachMultipleOfTheInterval() throws {
        let hourly = ExecutorLogRolling(policy: .time(intervalMilliseconds: 3_600_000, suffix: .hour))
        let deadline = try #require(hourly.nextRolloverTime(after: 1_795_700_000_123))
        #expect(deadline == 1_795_701_600_000)  // the next whole hour, UTC
        #expect(hourly.nextRolloverTime(after: 1_795_701_600_000) == 1_795_701_600_000)
        #expect(!hourly.shouldRoll(beforeWriting: 10, written: 1 << 40, now: deadline, deadline: deadline))
        #expect(hourly.shouldRoll(beforeWriting: 10, written: 0, now: deadline + 1, deadline: deadline))

        let size = ExecutorLogRolling(policy: .size(bytes: 1000))
        #expect(size.nextRolloverTime(after: 1_795_700_000_123) == nil)
        #expect(!size.shouldRoll(beforeWriting: 400, written: 600, now: 0, deadline: nil))
        #expect(size.shouldRoll(beforeWriting: 401, written: 600, now: 0, deadline: nil))
    }

    @Test func suffixesFollowSparksPatterns() {
        let time = ExecutorLogRolling.LocalTime(year: 2026, month: 3, day: 7, hour: 4, minute: 5, second: 9, millisecond: 42)
        func suffix(_ pattern: ExecutorLogRolling.SuffixPattern) -> String {
            ExecutorLogRolling(policy: .time(intervalMilliseconds: 60_000, suffix: pattern)).suffix(at: time)
        }
        #expect(suffix(.day) == "--2026-03-07")
        #expect(suffix(.hour) == "--2026-03-07--04")
        #expect(suffix(.minute) == "--2026-03-07--04-05")
        #expect(suffix(.second) == "--2026-03-07--04-05-09")
        #expect(ExecutorLogRolling(policy: .size(bytes: 81920)).suffix(at: time) == "--2026-03-07--04-05-09--0042")
    }

    @Test func clashingRolledNamesGetACounter() {
        let taken: Set<String> = ["stdout--2026-03-07", "stdout--2026-03-07--0.gz", "stdout--2026-03-07--1"]
        #expect(ExecutorLogRolling.rolledName(active: "stdout", suffix: "--2026-03-08", isTaken: taken.contains) == "stdout--2026-03-08")
        #expect(ExecutorLogRolling.rolledName(active: "stdout", suffix: "--2026-03-07", isTaken: taken.contains) == "stdout--2026-03-07--2")
        #expect(ExecutorLogRolling.rolledName(active: "stderr", suffix: "--x", isTaken: { _ in true }) == nil)
    }

    @Test func streamFilesAreOldestFirstThenTheActiveOne() {
        let names = [
            "stdout", "stderr--2026-03-07--04-05-09--0042.gz", "stdout--2026-03-07--04-05-10--0001",
            "stdout--2026-03-07--04-05-09--0042.gz", "stderr", "stdout--2026-03-07--04-05-09--0042--0", "app.jar",
        ]
        #expect(ExecutorLogRolling.streamFiles(in: names, active: "stdout") == [
            "stdout--2026-03-07--04-05-09--0042.gz", "stdout--2026-03-07--04-05-09--0042--0",
            "stdout--2026-03-07--04-05-10--0001", "stdout",
        ])
        #expect(ExecutorLogRolling.streamFiles(in: names, active: "stderr") == ["stderr--2026-03-07--04-05-09--0042.gz", "stderr"])
        // Rolled files without an active one (the executor's directory after the appender stopped).
        #expect(ExecutorLogRolling.streamFiles(in: ["stdout--1", "stdout--0"], active: "stdout") == ["stdout--0", "stdout--1"])
        #expect(ExecutorLogRolling.streamFiles(in: ["stderr"], active: "stdout").isEmpty)
    }

    @Test func retentionDeletesTheOldestRolledFiles() {
        let names = ["stdout", "stdout--2026-03-03", "stdout--2026-03-01", "stdout--2026-03-02", "stderr--2026-03-01"]
        #expect(ExecutorLogRolling.rolledFilesToDelete(in: names, active: "stdout", keep: 2) == ["stdout--2026-03-01"])
        #expect(ExecutorLogRolling.rolledFilesToDelete(in: names, active: "stdout", keep: 1) == ["stdout--2026-03-01", "stdout--2026-03-02"])
        #expect(ExecutorLogRolling.rolledFilesToDelete(in: names, active: "stdout", keep: 5).isEmpty)
        #expect(ExecutorLogRolling.rolledFilesToDelete(in: names, active: "stdout", keep: 0).isEmpty)
        #expect(ExecutorLogRolling.rolledFilesToDelete(in: names, active: "stdout", keep: -1).isEmpty)
    }
}
