import Benchmark
import BenchmarkFixtures
import JavaSerialization
import NIOCore
import SparkProtocol

// Per message, on the JVM's own bytes (`protocol/golden/spark-4.3.0/*-captured.bin`):
//   decode       Java stream → typed `SparkMessage` (`SparkMessageCodec.decode(stream:)`)
//   encode       typed `SparkMessage` → Java stream (`SparkMessageCodec.encode(_:version:)`, Spark 4.3)
//   read         Java stream → generic `JavaValue` only (`JavaStreamReader.readSingleObject`)
//   write        generic `JavaValue` → Java stream only (`JavaStreamWriter.encode`)
// Each iteration runs the operation 1000 times (`scalingFactor: .kilo`); figures are per operation.
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

    // Loaded and checked here, before any benchmark runs.
    let fixtures = BenchmarkFixtures.messages

    for fixture in fixtures {
        let stream = fixture.stream
        let typed = fixture.typed
        let value = fixture.value

        Benchmark("\(fixture.messageName) decode") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try SparkMessageCodec.decode(stream: stream))
            }
        }

        Benchmark("\(fixture.messageName) encode") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try SparkMessageCodec.encode(typed, version: .spark4_3))
            }
        }

        Benchmark("\(fixture.messageName) read JavaValue") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JavaStreamReader.readSingleObject(from: stream, limits: .default))
            }
        }

        Benchmark("\(fixture.messageName) write JavaValue") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try JavaStreamWriter.encode(value))
            }
        }
    }

    // What the master really sends: the driver's `ApplicationDescription` relayed as it arrived
    // (`ApplicationDescription.preserved`), the rest of `LaunchExecutor` built by our encoder.
    let launch = BenchmarkFixtures.message("LaunchExecutor").decoded
    Benchmark("LaunchExecutor encode relaying appDesc") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SparkMessageCodec.encode(launch, version: .spark4_3))
        }
    }
}
