import Benchmark
import BenchmarkFixtures
import NIOCore
import SparkProtocol
import SparkTransport

// Transport frames built from the captured envelopes and the JVM's streams:
//   Frames decode             1000 frames (RegisterWorker, Heartbeat, LaunchExecutor as OneWayMessage,
//                             ExecutorStateChanged as RpcRequest, in turn) split by `TransportFrameDecoder`
//   Frames inbound            the same 1000 frames, each also through `RequestMessage.parse` and
//                             `SparkMessageCodec.decode(stream:)`
//   Heartbeat inbound path    one Heartbeat frame: frame decode → envelope parse → typed decode
//   Heartbeat envelope parse  `RequestMessage.parse` of that frame's body alone
// Figures are per frame: the 1000-frame benchmarks declare 1000 logical operations per iteration
// (`scalingFactor: .kilo`), the Heartbeat ones run 1000 times per iteration.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        // Times in ns rather than rounded to whole μs.
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(4),
        maxIterations: 10_000
    )

    // Built here, before any benchmark runs.
    let frameCount = 1000
    let frames = BenchmarkFixtures.mixedFrames(count: frameCount)
    let heartbeat = BenchmarkFixtures.message("Heartbeat").frameBytes
    let heartbeatBody = BenchmarkFixtures.message("Heartbeat").request.serialized()

    Benchmark("Frames decode 1000 mixed") { benchmark in
        precondition(benchmark.scaledIterations.count == frameCount)
        var buffer = frames
        var decoder = TransportFrameDecoder()
        var decoded = 0
        while let frame = try decoder.decode(buffer: &buffer) {
            blackHole(frame)
            decoded += 1
        }
        guard decoded == frameCount else {
            benchmark.error("decoded \(decoded) frames, expected \(frameCount)")
            return
        }
    }

    Benchmark("Frames inbound 1000 mixed") { benchmark in
        var buffer = frames
        var decoder = TransportFrameDecoder()
        var decoded = 0
        while let frame = try decoder.decode(buffer: &buffer) {
            let body: ByteBuffer
            switch frame {
            case .oneWayMessage(let b), .rpcRequest(_, let b):
                body = b
            default:
                benchmark.error("unexpected \(frame.typeName) frame")
                return
            }
            let request = try RequestMessage.parse(body)
            blackHole(try SparkMessageCodec.decode(stream: request.content))
            decoded += 1
        }
        guard decoded == frameCount else {
            benchmark.error("decoded \(decoded) frames, expected \(frameCount)")
            return
        }
    }

    Benchmark("Heartbeat inbound path") { benchmark in
        var decoder = TransportFrameDecoder()
        for _ in benchmark.scaledIterations {
            var buffer = heartbeat
            guard case .oneWayMessage(let body)? = try decoder.decode(buffer: &buffer) else {
                benchmark.error("the Heartbeat frame did not decode to a OneWayMessage")
                return
            }
            let request = try RequestMessage.parse(body)
            blackHole(try SparkMessageCodec.decode(stream: request.content))
        }
    }

    Benchmark("Heartbeat envelope parse") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try RequestMessage.parse(heartbeatBody))
        }
    }
}
