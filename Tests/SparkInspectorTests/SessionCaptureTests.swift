import Foundation
import SparkInspector
import SparkModel
import Testing

/// The real Spark 4.3.0 session in `protocol/captures/spark-4.3.0-session.pcap` (see its README).
@Suite struct SessionCaptureTests {
    static let path = Fixtures.capture("spark-4.3.0-session.pcap").path

    static func decoded() throws -> DecodedEvents {
        try DecodedEvents.decode(Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap")))
    }

    /// The 23 frames of the README, in capture order: (connection, direction, frame type, message).
    static let expected: [(Int, FlowReference.Direction, String, String)] = [
        (0, .clientToServer, "RpcRequest", "CheckExistence"),
        (0, .serverToClient, "RpcResponse", "Boolean"),
        (0, .clientToServer, "OneWayMessage", "RegisterWorker"),
        (0, .serverToClient, "OneWayMessage", "RegisteredWorker"),
        (0, .clientToServer, "OneWayMessage", "WorkerLatestState"),
        (0, .clientToServer, "OneWayMessage", "Heartbeat"),
        (1, .clientToServer, "RpcRequest", "CheckExistence"),
        (1, .serverToClient, "RpcResponse", "Boolean"),
        (1, .clientToServer, "OneWayMessage", "RegisterApplication"),
        (1, .serverToClient, "OneWayMessage", "RegisteredApplication"),
        (0, .serverToClient, "OneWayMessage", "LaunchExecutor"),
        (1, .serverToClient, "OneWayMessage", "ExecutorAdded"),
        (0, .clientToServer, "RpcRequest", "ExecutorStateChanged"),
        (1, .serverToClient, "OneWayMessage", "ExecutorUpdated"),
        (0, .serverToClient, "RpcResponse", "Boolean"),
        (0, .clientToServer, "OneWayMessage", "Heartbeat"),
        (2, .clientToServer, "RpcRequest", "CheckExistence"),
        (2, .serverToClient, "RpcResponse", "Boolean"),
        (1, .clientToServer, "OneWayMessage", "UnregisterApplication"),
        (0, .serverToClient, "OneWayMessage", "KillExecutor"),
        (0, .serverToClient, "OneWayMessage", "ApplicationFinished"),
        (0, .clientToServer, "RpcRequest", "ExecutorStateChanged"),
        (0, .serverToClient, "RpcResponse", "Boolean"),
    ]

    @Test func decodesExactlyTheREADMEFrames() throws {
        let decoded = try Self.decoded()
        let frames = decoded.frames
        #expect(frames.count == 23)
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        for (frame, expected) in zip(frames, Self.expected) {
            #expect(frame.flow.connectionIndex == expected.0, "frame #\(frame.index)")
            #expect(frame.flow.direction == expected.1, "frame #\(frame.index)")
            #expect(frame.frameType == expected.2, "frame #\(frame.index)")
            #expect(frame.messageName == expected.3, "frame #\(frame.index)")
            #expect(frame.isTyped, "frame #\(frame.index)")
            #expect(frame.error == nil, "frame #\(frame.index): \(frame.error ?? "")")
        }
        let summary = decoded.summary
        #expect(summary.frames == 23)
        #expect(summary.failures == 0)
        #expect(summary.unknownClasses.isEmpty)
        #expect(summary.skippedFlows == 0)
        #expect(summary.exitStatus == 0)
        #expect(summary.connections.map(\.connection) == [
            "127.0.0.1:37916 -> 127.0.0.1:17077", "127.0.0.1:38624 -> 127.0.0.1:17077", "127.0.0.1:43874 -> 127.0.0.1:17078",
        ])
        #expect(summary.connections.map(\.frames) == [14, 7, 2])
        #expect(summary.messagesByClass["Boolean"] == 5)
        #expect(summary.messagesByClass["CheckExistence"] == 3)
        #expect(summary.messagesByClass["ExecutorStateChanged"] == 2)
    }

    @Test func envelopesAndRequestIdsPairUp() throws {
        let frames = try Self.decoded().frames
        // Every ask is answered on the same connection with the same request id.
        let asks = frames.filter { $0.frameType == "RpcRequest" }
        let replies = frames.filter { $0.frameType == "RpcResponse" }
        #expect(asks.count == 5)
        for ask in asks {
            let reply = replies.first { $0.requestId == ask.requestId }
            #expect(reply?.flow.connectionIndex == ask.flow.connectionIndex)
        }
        #expect(frames[0].endpoint == "endpoint-verifier")
        #expect(frames[0].sender == "127.0.0.1:17078")
        #expect(frames[0].receiver == "127.0.0.1:17077")
        #expect(frames[0].frameLength == 191)
        #expect(frames[0].rendered?[field: "name"]?.text == "Master")
        // The executor's WorkerWatcher runs in a client-mode RpcEnv: no sender address.
        #expect(frames[16].sender == nil)
        #expect(frames[16].endpoint == "endpoint-verifier")
        #expect(frames[16].rendered?[field: "name"]?.text == "Worker")
        #expect(frames[3].endpoint == "Worker")
        #expect(frames[9].endpoint == "AppClient")
    }

    @Test func typedFieldsAreReadable() throws {
        let frames = try Self.decoded().frames
        let register = try #require(frames[2].rendered)
        #expect(frames[2].className == "org.apache.spark.deploy.DeployMessages$RegisterWorker")
        #expect(register[field: "id"]?.text == "worker-20261126021840-127.0.0.1-17078")
        #expect(register[field: "host"]?.text == "127.0.0.1")
        #expect(register[field: "port"]?.integer == 17078)
        #expect(register[field: "cores"]?.integer == 2)
        #expect(register[field: "memory"]?.integer == 2048)
        #expect(register[field: "worker"]?.text == "spark://Worker@127.0.0.1:17078")
        #expect(register[field: "masterAddress"]?.text == "127.0.0.1:17077")
        #expect(register[field: "resources"] == .fields([]))

        let registered = try #require(frames[3].rendered)
        #expect(registered[field: "masterWebUiUrl"]?.text == "http://localhost:18080")
        #expect(registered[field: "duplicate"] == .bool(false))

        let application = try #require(frames[8].rendered?[field: "appDescription"])
        #expect(application[field: "name"]?.text == "Spark shell")
        #expect(application[field: "maxCores"] == .null)
        #expect(application[field: "appUiUrl"]?.text == "")
        guard case .list(_, _, let javaOpts, _)? = application[field: "command"]?[field: "javaOpts"] else {
            Issue.record("javaOpts is not a list")
            return
        }
        #expect(javaOpts.count == 24)
        #expect(application[field: "defaultProfile"]?[field: "executorResources"]?[field: "memory"]?[field: "amount"]?.integer == 1024)

        let launch = try #require(frames[10].rendered)
        #expect(launch[field: "execId"]?.integer == 0)
        #expect(launch[field: "cores"]?.integer == 2)
        #expect(launch[field: "memory"]?.integer == 1024)
        #expect(launch[field: "appDesc"]?[field: "name"]?.text == "Spark shell")

        let added = try #require(frames[11].rendered)
        #expect(added[field: "hostPort"]?.text == "127.0.0.1:17078")

        let running = try #require(frames[12].rendered)
        #expect(running[field: "state"]?.text == "RUNNING")
        #expect(running[field: "exitStatus"] == .null)

        let killed = try #require(frames[21].rendered)
        #expect(killed[field: "state"]?.text == "KILLED")
        #expect(killed[field: "message"]?.text == "Runner thread for executor app-20261126021850-0000/0 interrupted")
        #expect(killed[field: "exitStatus"]?.integer == 143)
        #expect(frames[22].rendered?[field: "value"] == .bool(true))

        // The typed message itself is there for programmatic use.
        guard case .registerWorker(let message)? = frames[2].message else {
            Issue.record("frame 2 is not RegisterWorker")
            return
        }
        #expect(message.cores == 2)
    }

    @Test func timestampsComeFromThePackets() throws {
        let frames = try Self.decoded().frames
        let first = try #require(frames.first?.time)
        #expect(first.iso8601.hasPrefix("2026-11-26T02:18:4"))
        #expect(!first.isNanosecondPrecision)
        // The README's relative times (rounded there, and counted from a slightly different origin).
        let eight = try #require(frames[8].time)
        let delta = Double(eight.nanoseconds(since: first)) / 1e9
        #expect(abs(delta - 9.280) < 0.01)
        let last = try #require(frames[22].time)
        #expect(abs(Double(last.nanoseconds(since: first)) / 1e9 - 17.424) < 0.01)
        // Elapsed times count from the first packet (the worker's SYN), before frame 0.
        #expect(frames.allSatisfy { ($0.elapsedNanoseconds ?? -1) > 0 })
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.time! <= $1.time! })
    }

    @Test func textListingThroughTheCommandEntryPoint() throws {
        let run = InspectorRun.file(Self.path)
        #expect(run.status == 0)
        #expect(run.output.diagnostics.isEmpty)
        let text = run.text
        #expect(run.lines.filter { $0.hasPrefix("#") }.count == 23)
        #expect(text.contains("[c0 127.0.0.1:37916 -> 127.0.0.1:17077, client-to-server]"))
        #expect(text.contains("  RegisterWorker (org.apache.spark.deploy.DeployMessages$RegisterWorker)"))
        #expect(text.contains("    cores = 2"))
        #expect(text.contains("    worker = spark://Worker@127.0.0.1:17078"))
        #expect(text.contains("      name = \"Spark shell\""))
        #expect(text.contains("sender=none receiver=127.0.0.1:17078 endpoint=endpoint-verifier"))
        #expect(text.contains("== Summary: pcap (EN10MB, microsecond timestamps)"))
        #expect(text.contains("frames: 23"))
        #expect(text.contains("unknown classes: 0"))
        #expect(text.contains("failures: 0"))
        #expect(!text.contains("ERROR"))
    }

    @Test func jsonLinesParseWithTheDocumentedKeys() throws {
        let run = InspectorRun.file(Self.path, InspectorOptions(json: true))
        #expect(run.status == 0)
        let objects = try run.jsonObjects()
        #expect(objects.count == 24)
        let documented: Set<String> = [
            "kind", "index", "connection", "connectionIndex", "direction", "time", "elapsed", "offset", "frame",
            "frameLength", "bodyLength", "requestId", "sender", "receiver", "endpoint", "class", "messageName", "typed",
            "message", "error",
        ]
        for object in objects.dropLast() {
            #expect(Set(object.keys) == documented)
            #expect(object["kind"] as? String == "frame")
            #expect(object["error"] is NSNull)
            #expect(object["message"] is [String: Any])
        }
        let register = objects[2]
        #expect(register["connection"] as? String == "127.0.0.1:37916 -> 127.0.0.1:17077")
        #expect(register["direction"] as? String == "client-to-server")
        #expect(register["frame"] as? String == "OneWayMessage")
        #expect(register["frameLength"] as? Int == 1463)
        #expect(register["endpoint"] as? String == "Master")
        #expect(register["sender"] as? String == "127.0.0.1:17078")
        #expect(register["class"] as? String == "org.apache.spark.deploy.DeployMessages$RegisterWorker")
        #expect(register["requestId"] is NSNull)
        let message = try #require(register["message"] as? [String: Any])
        #expect(message["id"] as? String == "worker-20261126021840-127.0.0.1-17078")
        #expect(message["host"] as? String == "127.0.0.1")
        #expect(message["cores"] as? Int == 2)
        #expect(message["memory"] as? Int == 2048)
        #expect(message["worker"] as? String == "spark://Worker@127.0.0.1:17078")
        #expect((register["time"] as? Double).map { $0 > 1_795_000_000 } == true)

        let ask = objects[0]
        #expect((ask["requestId"] as? NSNumber)?.int64Value == (objects[1]["requestId"] as? NSNumber)?.int64Value)
        let application = (objects[8]["message"] as? [String: Any]).flatMap { $0["appDescription"] as? [String: Any] }
        #expect(application?["name"] as? String == "Spark shell")
        #expect(objects[8]["class"] as? String == "org.apache.spark.deploy.DeployMessages$RegisterApplication")
        #expect(objects[8]["sender"] as? String == "127.0.0.1:35037")
        #expect(objects[16]["sender"] is NSNull)
        #expect(objects[21]["requestId"] as? NSNumber == objects[22]["requestId"] as? NSNumber)
        #expect(objects[21]["frame"] as? String == "RpcRequest")
        #expect(objects[22]["direction"] as? String == "server-to-client")

        let summary = try #require(objects.last)
        #expect(summary["kind"] as? String == "summary")
        #expect(summary["frames"] as? Int == 23)
        #expect(summary["failures"] as? Int == 0)
        #expect(summary["unknownClassCount"] as? Int == 0)
        #expect((summary["messagesByClass"] as? [String: Int])?["RegisterApplication"] == 1)
        #expect((summary["connections"] as? [[String: Any]])?.count == 3)
    }

    @Test func directionAndPortFilters() throws {
        let bytes = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        let clients = try DecodedEvents.decode(bytes, options: InspectorOptions(direction: .client))
        #expect(clients.frames.count == 11)
        #expect(clients.frames.allSatisfy { $0.flow.direction == .clientToServer })
        let servers = try DecodedEvents.decode(bytes, options: InspectorOptions(direction: .server))
        #expect(servers.frames.count == 12)
        #expect(servers.frames.allSatisfy { $0.flow.direction == .serverToClient })
        let worker = try DecodedEvents.decode(bytes, options: InspectorOptions(ports: [17078]))
        #expect(worker.frames.map(\.messageName) == ["CheckExistence", "Boolean"])
        #expect(worker.summary.ignoredConnections == 2)
        let none = try DecodedEvents.decode(bytes, options: InspectorOptions(ports: [9999]))
        #expect(none.frames.isEmpty)
        #expect(none.summary.exitStatus == 0)
    }

    /// Small pieces, as from a pipe: the same frames whatever the read size.
    @Test func dripFedInputGivesTheSameFrames() throws {
        let bytes = try Fixtures.bytes(Fixtures.capture("spark-4.3.0-session.pcap"))
        let whole = try DecodedEvents.decode(bytes).frames
        let dripped = try DecodedEvents.decode(bytes, chunk: 7).frames
        #expect(dripped.count == whole.count)
        #expect(zip(whole, dripped).allSatisfy { $0.messageName == $1.messageName && $0.offset == $1.offset && $0.time == $1.time })
    }
}
