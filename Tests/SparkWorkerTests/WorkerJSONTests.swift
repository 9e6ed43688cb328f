import Foundation
import SparkModel
@testable import SparkWorker
@testable import SparkWorkerServer
import Testing

/// `/json` against the documents a real Spark 4.3.0 worker served (`protocol/samples/worker-json-4.3.0-*.json`).
@Suite struct WorkerJSONTests {
    @Test func idleWorkerMatchesTheSampleByteForByte() throws {
        let status = WorkerStatus(
            workerId: "worker-20261126012728-127.0.0.1-41425", host: "127.0.0.1", port: 41425,
            masterUrl: "spark://127.0.0.1:7077", masterWebUiUrl: "http://127.0.0.1:8080", cores: 2, coresUsed: 0,
            memoryMiB: 2048, memoryUsedMiB: 0, executors: [], finishedExecutors: [], workDirectory: "/work")
        #expect(WorkerJSON.workerState(status).rendered == (try Samples.text("worker-json-4.3.0-idle.json")))
    }

    /// The worker state after the core launched the sample's executor renders exactly like Spark's.
    @Test func runningExecutorMatchesTheSampleByteForByte() throws {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        worker.handle(.message(.launchExecutor(try Samples.sampleLaunch())))
        worker.handle(.executorStarted(ExecutorKey(appId: "app-20261126013023-0000", execId: 0), pid: 99))
        let rendered = WorkerJSON.workerState(worker.machine.status).rendered
        let expected = try Samples.text("worker-json-4.3.0-app-running.json")
        #expect(rendered == expected)
        if rendered != expected {
            let ours = rendered.split(separator: "\n")
            let theirs = expected.split(separator: "\n")
            for (index, (a, b)) in zip(ours, theirs).enumerated() where a != b {
                Issue.record("line \(index + 1): \(a) != \(b)")
            }
        }
    }

    /// Same keys and value types as the sample, whatever the values (what clients rely on).
    @Test func fieldNamesAndTypesMatch() throws {
        var worker = WorkerHarness()
        worker.start()
        worker.register()
        worker.handle(.message(.launchExecutor(try Samples.launch())))
        worker.handle(.executorStarted(ExecutorKey(appId: "app-1", execId: 0), pid: 99))
        worker.handle(.message(.launchExecutor(try Samples.launch(execId: 1))))
        worker.handle(.executorExited(ExecutorKey(appId: "app-1", execId: 1), exitCode: 0))
        let ours = try JSONSerialization.jsonObject(with: Data(WorkerJSON.workerState(worker.machine.status).rendered.utf8))
        let theirs = try JSONSerialization.jsonObject(with: Data(try Samples.text("worker-json-4.3.0-app-running.json").utf8))
        #expect(shape(ours) == shape(theirs).replacing("finishedexecutors:[]", with: "finishedexecutors:[\(executorShape)]"))
    }

    private var executorShape: String {
        "{appdesc:{command:string,cores:number,memoryperexecutor:number,memoryperslave:number,name:string,"
            + "resourcesperexecutor:[],resourcesperslave:[],user:string},appid:string,id:number,memory:number,resources:{}}"
    }

    /// A canonical description of a JSON value's keys and types.
    private func shape(_ value: Any) -> String {
        switch value {
        case let object as [String: Any]:
            return "{" + object.keys.sorted().map { "\($0):\(shape(object[$0]!))" }.joined(separator: ",") + "}"
        case let array as [Any]:
            return "[" + array.map(shape).joined(separator: ",") + "]"
        case is String:
            return "string"
        case is NSNumber:
            return "number"
        default:
            return "null"
        }
    }

    @Test func prettyPrintingLikeJackson() {
        let value = PrettyJSON.object([
            ("a", .array([.int(1), .string("x\"y")])),
            ("b", .object([])),
            ("c", .array([.object([("d", .bool(true))])])),
            ("e", .array([])),
        ])
        #expect(value.rendered == """
            {
              "a" : [ 1, "x\\"y" ],
              "b" : { },
              "c" : [ {
                "d" : true
              } ],
              "e" : [ ]
            }
            """)
    }

    @Test func logSlices() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("worker-logs-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }
        let directory = work.appendingPathComponent("app-1/0")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "0123456789".write(to: directory.appendingPathComponent("stderr"), atomically: true, encoding: .utf8)

        let all = try WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: "0", logType: "stderr",
                                      offset: nil, byteLength: nil).get()
        #expect(all.text == "0123456789")
        #expect(all.header == "==== Bytes 0-10 of 10 of \(work.path)/app-1/0/stderr ====\n")
        let tail = try WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: "0", logType: "stderr",
                                       offset: nil, byteLength: 3).get()
        #expect(tail.text == "789")
        let middle = try WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: "0", logType: "stderr",
                                         offset: 2, byteLength: 3).get()
        #expect(middle.text == "234")
        #expect((middle.start, middle.end, middle.total) == (2, 5, 10))
        let clamped = try WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: "0", logType: "stderr",
                                          offset: 50, byteLength: 3).get()
        #expect(clamped.text.isEmpty)

        // A request for more than the cap gets the cap's worth, ending where asked from the start.
        let large = Data(repeating: UInt8(ascii: "x"), count: Int(WorkerLogs.maximumByteLength) + 10)
        try large.write(to: directory.appendingPathComponent("stdout"))
        let capped = try WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: "0", logType: "stdout",
                                         offset: 0, byteLength: Int64(Int32.max)).get()
        #expect((capped.start, capped.end, capped.total) == (0, WorkerLogs.maximumByteLength, WorkerLogs.maximumByteLength + 10))
        #expect(capped.text.utf8.count == Int(WorkerLogs.maximumByteLength))

        // Spark's messages in the log's place; the worker reads nothing outside its work directory.
        for (appId, executorId, logType, text) in [
            ("..", "0", "stderr", "Error: invalid log directory \(work.path)/../0/"),
            ("app-1", "../0", "stderr", "Error: invalid log directory \(work.path)/app-1/../0/"),
            ("app-9", "0", "stderr", "Error: invalid log directory \(work.path)/app-9/0/"),
            ("app-1", "0", "passwd", "Error: Log type must be one of stderr, stdout, out"),
        ] {
            let slice = try WorkerLogs.read(
                workDirectory: work.path, appId: appId, executorId: executorId, logType: logType, offset: nil, byteLength: nil).get()
            #expect(slice.text == text && slice.total == 0)
            #expect(slice.file == "\(work.path)/\(appId)/\(executorId)/\(logType)")
        }
        #expect(WorkerLogs.read(workDirectory: work.path, appId: "app-1", executorId: nil, logType: "stderr", offset: nil, byteLength: nil)
            == .failure(WorkerLogs.mustName))
    }

    @Test func scalaCommandString() {
        let command = Command(
            mainClass: "Main", arguments: ["a", "b"], environment: [("K", "V")], classPathEntries: [], libraryPathEntries: ["/l"],
            javaOpts: [])
        #expect(WorkerJSON.scalaString(command) == "Command(Main,List(a, b),Map(K -> V),List(),List(/l),ArraySeq())")
    }
}
