// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of the spark-space codecs, kept apart from the main package so that ordo-one/benchmark
// and its malloc interposer never reach the daemons' dependency graph. Run with
// `swift package benchmark` from this folder (see README.md).
let package = Package(
    name: "spark-space-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "spark-space", path: ".."),
        // The interposer counts mallocs; the default RuntimeInterposer trait is left out on purpose.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // JVM fixtures and the frames built from them, loaded once before any measurement.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "JavaSerialization", package: "spark-space"),
                .product(name: "SparkModel", package: "spark-space"),
                .product(name: "SparkProtocol", package: "spark-space"),
                .product(name: "SparkTestKit", package: "spark-space"),
                .product(name: "SparkTransport", package: "spark-space"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Typed decode/encode and the generic Java stream reader/writer, per message.
        .executableTarget(
            name: "MessageCodec",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "JavaSerialization", package: "spark-space"),
                .product(name: "SparkProtocol", package: "spark-space"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/MessageCodec",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Transport frames: splitting a buffer of frames, and the whole inbound path of one message.
        .executableTarget(
            name: "TransportPath",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SparkProtocol", package: "spark-space"),
                .product(name: "SparkTransport", package: "spark-space"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/TransportPath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The master's state machine: executor placement, a registration wave, a heartbeat storm.
        .executableTarget(
            name: "Scheduling",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SparkMaster", package: "spark-space"),
                .product(name: "SparkModel", package: "spark-space"),
            ],
            path: "Benchmarks/Scheduling",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
