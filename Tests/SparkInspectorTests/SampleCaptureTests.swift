import SparkInspector
import Testing

/// `protocol/captures/rpc-7077-4.3.0.pcap`: a second real Spark 4.3.0 session (master on 7077),
/// checked against the frame listing recorded with it (see `protocol/captures/README.md`).
@Suite struct SampleCaptureTests {
    struct Expected: Sendable {
        let frameLength: Int
        let frame: String
        let requestId: Int64?
        let bodyLength: Int
        let className: String
    }

    static let deploy = "org.apache.spark.deploy.DeployMessages$"
    static let checkExistence = "org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence"
    static let boolean = "java.lang.Boolean"

    /// Per connection and direction, in stream order.
    static let listing: [Int: [FlowReference.Direction: [Expected]]] = [
        0: [
            .clientToServer: [
                Expected(frameLength: 191, frame: "RpcRequest", requestId: 6_627_518_184_079_782_520, bodyLength: 170, className: checkExistence),
                Expected(frameLength: 1462, frame: "OneWayMessage", requestId: nil, bodyLength: 1449, className: deploy + "RegisterWorker"),
                Expected(frameLength: 622, frame: "OneWayMessage", requestId: nil, bodyLength: 609, className: deploy + "WorkerLatestState"),
                Expected(frameLength: 1128, frame: "OneWayMessage", requestId: nil, bodyLength: 1115, className: deploy + "Heartbeat"),
                Expected(frameLength: 989, frame: "RpcRequest", requestId: 4_821_854_737_170_534_839, bodyLength: 968, className: deploy + "ExecutorStateChanged"),
                Expected(frameLength: 1128, frame: "OneWayMessage", requestId: nil, bodyLength: 1115, className: deploy + "Heartbeat"),
                Expected(frameLength: 1156, frame: "RpcRequest", requestId: 7_077_182_410_820_357_647, bodyLength: 1135, className: deploy + "ExecutorStateChanged"),
            ],
            .serverToClient: [
                Expected(frameLength: 68, frame: "RpcResponse", requestId: 6_627_518_184_079_782_520, bodyLength: 47, className: boolean),
                Expected(frameLength: 1180, frame: "OneWayMessage", requestId: nil, bodyLength: 1167, className: deploy + "RegisteredWorker"),
                Expected(frameLength: 4427, frame: "OneWayMessage", requestId: nil, bodyLength: 4414, className: deploy + "LaunchExecutor"),
                Expected(frameLength: 68, frame: "RpcResponse", requestId: 4_821_854_737_170_534_839, bodyLength: 47, className: boolean),
                Expected(frameLength: 235, frame: "OneWayMessage", requestId: nil, bodyLength: 222, className: deploy + "KillExecutor"),
                Expected(frameLength: 184, frame: "OneWayMessage", requestId: nil, bodyLength: 171, className: deploy + "ApplicationFinished"),
                Expected(frameLength: 68, frame: "RpcResponse", requestId: 7_077_182_410_820_357_647, bodyLength: 47, className: boolean),
            ],
        ],
        1: [
            .clientToServer: [
                Expected(frameLength: 191, frame: "RpcRequest", requestId: 7_898_789_537_862_874_733, bodyLength: 170, className: checkExistence),
                Expected(frameLength: 5169, frame: "OneWayMessage", requestId: nil, bodyLength: 5156, className: deploy + "RegisterApplication"),
                Expected(frameLength: 189, frame: "OneWayMessage", requestId: nil, bodyLength: 176, className: deploy + "UnregisterApplication"),
            ],
            .serverToClient: [
                Expected(frameLength: 68, frame: "RpcResponse", requestId: 7_898_789_537_862_874_733, bodyLength: 47, className: boolean),
                Expected(frameLength: 1125, frame: "OneWayMessage", requestId: nil, bodyLength: 1112, className: deploy + "RegisteredApplication"),
                Expected(frameLength: 269, frame: "OneWayMessage", requestId: nil, bodyLength: 256, className: deploy + "ExecutorAdded"),
                Expected(frameLength: 959, frame: "OneWayMessage", requestId: nil, bodyLength: 946, className: deploy + "ExecutorUpdated"),
            ],
        ],
    ]

    @Test func matchesTheRecordedListing() throws {
        let decoded = try DecodedEvents.decode(Fixtures.bytes(Fixtures.capture("rpc-7077-4.3.0.pcap")))
        #expect(decoded.issues.isEmpty, "\(decoded.issues.map(\.message))")
        #expect(decoded.frames.count == 21)
        #expect(decoded.summary.failures == 0)
        #expect(decoded.summary.unknownClasses.isEmpty)
        for (connection, directions) in Self.listing {
            for (direction, expected) in directions {
                let frames = decoded.frames.filter { $0.flow.connectionIndex == connection && $0.flow.direction == direction }
                #expect(frames.count == expected.count, "c\(connection) \(direction)")
                for (frame, want) in zip(frames, expected) {
                    #expect(frame.frameLength == want.frameLength, "#\(frame.index)")
                    #expect(frame.frameType == want.frame, "#\(frame.index)")
                    #expect(frame.requestId == want.requestId, "#\(frame.index)")
                    #expect(frame.bodyLength == want.bodyLength, "#\(frame.index)")
                    #expect(frame.className == want.className, "#\(frame.index)")
                    #expect(frame.isTyped && frame.error == nil, "#\(frame.index)")
                }
            }
        }
        let connections = decoded.summary.connections
        #expect(connections.map(\.connection) == ["127.0.0.1:33686 -> 127.0.0.1:7077", "127.0.0.1:33688 -> 127.0.0.1:7077"])
        let register = try #require(decoded.frames.first { $0.messageName == "RegisterWorker" })
        #expect(register.sender == "127.0.0.1:41867")
    }
}
