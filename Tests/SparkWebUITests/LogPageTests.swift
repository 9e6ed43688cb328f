#if canImport(Glibc)
import Glibc
#endif
import SparkDaemon
@testable import SparkWebUI
import Testing

/// The worker's log page: where the slice lies, links to the slices around it that keep the
/// owner, type and length, the text escaped.
@Suite struct LogPageTests {
    static func model(start: Int64, end: Int64, total: Int64, text: String = "line\n", slash: Bool = true) -> LogPage.Model {
        LogPage.Model(
            logType: "stderr", owner: .executor(appId: "app-1", executorId: "0"), text: text, start: start, end: end, total: total,
            byteLength: 1000, masterWebUiURL: "http://m:8080", pathEndsWithSlash: slash, version: "4.3.0")
    }

    @Test func aSliceInTheMiddleLinksBothWays() {
        let html = LogPage.render(Self.model(start: 2500, end: 3500, total: 10_000))
        #expect(html.contains("<title>stderr log page for app-1/0</title>"))
        #expect(html.contains("<dd>1000 bytes: 2500 – 3500 of 10000</dd>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=1500&amp;byteLength=1000\">Earlier</a>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=3500&amp;byteLength=1000\">Later</a>"))
        #expect(html.contains("<a href=\"?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;byteLength=1000\">Newest</a>"))
        #expect(html.contains("<a href=\"../log?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=2500&amp;byteLength=1000\">As text</a>"))
        #expect(html.contains("<a href=\"http://m:8080\">Back to Master</a>"))
        #expect(html.contains("<pre class=\"log\">line\n</pre>"))
    }

    @Test func theEndsOfTheLogHaveNoLinkPastThem() {
        let newest = LogPage.render(Self.model(start: 9000, end: 10_000, total: 10_000, slash: false))
        #expect(!newest.contains(">Later</a>"))
        #expect(newest.contains("offset=8000&amp;byteLength=1000\">Earlier</a>"))
        #expect(newest.contains("<a href=\"log?appId=app-1&amp;executorId=0&amp;logType=stderr&amp;offset=9000&amp;byteLength=1000\">As text</a>"))
        let first = LogPage.render(Self.model(start: 0, end: 700, total: 700))
        #expect(!first.contains(">Earlier</a>") && !first.contains(">Later</a>"))
        // Earlier than the start never goes below 0.
        #expect(LogPage.render(Self.model(start: 300, end: 1300, total: 5000)).contains("offset=0&amp;byteLength=1000\">Earlier</a>"))
        #expect(LogPage.render(Self.model(start: 0, end: 0, total: 0, text: "")).contains("The log is empty."))
    }

    @Test func aDriversLogAndHostileTextAreEscaped() {
        var model = Self.model(start: 0, end: 40, total: 40, text: "<script>alert(1)</script> & \"q\"")
        model.owner = .driver(driverId: "driver-<1>&2")
        let html = LogPage.render(model)
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"))
        #expect(!html.contains("<script>alert"))
        #expect(html.contains("?driverId=driver-%3C1%3E%262&amp;logType=stderr"))
        #expect(html.contains("<title>stderr log page for driver-&lt;1&gt;&amp;2</title>"))
    }
}

/// A daemon's own log (`?self`): found in `SPARK_LOG_DIR` as Spark's daemons find it.
@Suite struct DaemonLogTests {
    static let masterClass = "org.apache.spark.deploy.master.Master"

    static func directory(_ files: [String: String]) throws -> String {
        let path = "/tmp/daemon-log-\(UInt64.random(in: 0...UInt64.max))"
        #expect(mkdir(path, 0o700) == 0)
        for (name, text) in files {
            let descriptor = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            #expect(descriptor >= 0)
            _ = text.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
            close(descriptor)
        }
        return path
    }

    static func remove(_ path: String) {
        for name in Daemon.directoryEntries(path) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    @Test func theOutFileNamingTheDaemonIsTakenBeforeOthers() throws {
        let path = try Self.directory([
            "spark-root-org.apache.spark.deploy.worker.Worker-1-h.out": "worker says\n",
            "spark-root-org.apache.spark.deploy.master.Master-1-h.out": "master says\n",
            "stderr": "standard error\n",
        ])
        defer { Self.remove(path) }
        let slice = LogFiles.daemonLog(
            logType: "out", directory: path + "/", daemonClass: Self.masterClass, offset: nil, byteLength: nil)
        #expect(slice.text == "master says\n")
        #expect(slice.header == "==== Bytes 0-12 of 12 of \(path)/out ====\n")
        let error = LogFiles.daemonLog(
            logType: "stderr", directory: path, daemonClass: Self.masterClass, offset: 9, byteLength: 3)
        #expect(error.text == "err" && (error.start, error.end, error.total) == (9, 12, 15))
        // No file names the daemon: the first `.out` by name.
        let other = LogFiles.daemonLog(
            logType: "out", directory: path, daemonClass: "org.example.Other", offset: nil, byteLength: nil)
        #expect(other.text == "master says\n")
    }

    @Test func eachDaemonFindsItsDirectoryAsSparksDoes() {
        #expect(LogFiles.masterLogDirectory(environment: [:]) == "logs/")
        #expect(LogFiles.masterLogDirectory(environment: ["SPARK_LOG_DIR": "/var/log/spark"]) == "/var/log/spark")
        #expect(LogFiles.workerLogDirectory(environment: [:], workDirectory: "/app/work") == "/app/work/")
        #expect(LogFiles.workerLogDirectory(environment: ["SPARK_LOG_DIR": "/var/log/spark"], workDirectory: "/w") == "/var/log/spark/")
    }

    /// The files rolled from the `.out` file come first, by name (Spark's order: the scripts'
    /// `.out.1` is the newest of them, yet read first, as Spark reads it), then the active one.
    @Test func theOutFileComesAfterTheFilesRolledFromItByName() throws {
        let active = "spark-root-org.apache.spark.deploy.master.Master-1-h.out"
        let path = try Self.directory([active + ".2": "b ", active + ".1": "a ", active: "c", "other.out.1": "x"])
        defer { Self.remove(path) }
        let slice = LogFiles.daemonLog(
            logType: "out", directory: path, daemonClass: Self.masterClass, offset: 0, byteLength: 100)
        #expect(slice.text == "a b c" && slice.total == 5)
    }

    /// As Spark's `getLog`: no file is an empty log, an unknown or missing type Spark's message in the
    /// log's place (the header naming `null` for a missing one).
    @Test func aMissingLogIsEmptyAndAnUnknownTypeIsSparksMessage() throws {
        let path = try Self.directory([:])
        defer { Self.remove(path) }
        let missing = LogFiles.daemonLog(logType: "out", directory: path + "/", daemonClass: Self.masterClass, offset: nil, byteLength: nil)
        #expect(missing.header + missing.text == "==== Bytes 0-0 of 0 of \(path)/out ====\n")
        for logType in ["../etc/passwd", "", "stdin"] {
            let refused = LogFiles.daemonLog(logType: logType, directory: path, daemonClass: Self.masterClass, offset: nil, byteLength: nil)
            #expect(refused.header + refused.text
                == "==== Bytes 0-0 of 0 of \(path)\(logType) ====\nError: Log type must be one of stderr, stdout, out")
        }
        let untyped = LogFiles.daemonLog(logType: nil, directory: "logs/", daemonClass: Self.masterClass, offset: nil, byteLength: nil)
        #expect(untyped.header + untyped.text == "==== Bytes 0-0 of 0 of logs/null ====\nError: Log type must be one of stderr, stdout, out")
        let absent = LogFiles.daemonLog(logType: "out", directory: path + "/absent/", daemonClass: Self.masterClass, offset: nil, byteLength: nil)
        #expect(absent.text.hasPrefix("Error getting logs due to exception: ") && absent.total == 0, "\(absent.text)")
    }

    /// A number Spark's `toLong` / `toInt` would not read is refused with Jetty's 400.
    @Test func offsetsAndLengthsThatAreNotNumbersAreRefused() throws {
        #expect(try LogFiles.range(offset: "12", byteLength: "-3").get() == (12, -3))
        #expect(try LogFiles.range(offset: nil, byteLength: nil).get() == (nil, nil))
        for (offset, byteLength, shown) in [("x", nil, "x"), ("", nil, ""), (nil, "4294967296", "4294967296"), ("1", "1.5", "1.5")] as [(Substring?, Substring?, String)] {
            guard case .failure(let failure) = LogFiles.range(offset: offset, byteLength: byteLength) else {
                Issue.record("read \(String(describing: offset)) / \(String(describing: byteLength))")
                continue
            }
            #expect(failure == LogFiles.Failure(message: "For input string: \"\(shown)\"", status: .badRequest))
        }
    }

    @Test func theDaemonsPageLinksKeepSelf() {
        let html = LogPage.render(LogPage.Model(
            logType: "out", owner: .daemon("master"), text: "started\n", start: 100, end: 200, total: 300, byteLength: 100,
            masterWebUiURL: "../", pathEndsWithSlash: true, version: "4.3.0"))
        #expect(html.contains("<title>out log page for master</title>"))
        #expect(html.contains("<a href=\"?self=&amp;logType=out&amp;offset=0&amp;byteLength=100\">Earlier</a>"))
        #expect(html.contains("<a href=\"../log?self=&amp;logType=out&amp;offset=100&amp;byteLength=100\">As text</a>"))
        #expect(html.contains("<a href=\"../\">Back to Master</a>"))
        #expect(html.contains("<footer>Spark 4.3.0 standalone master</footer>"))
    }
}
