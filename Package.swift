// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "spark-space",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "JavaSerialization", targets: ["JavaSerialization"]),
        .library(name: "SparkTransport", targets: ["SparkTransport"]),
        .library(name: "SparkModel", targets: ["SparkModel"]),
        .library(name: "SparkProtocol", targets: ["SparkProtocol"]),
        .library(name: "SparkRPC", targets: ["SparkRPC"]),
        .library(name: "SparkInspector", targets: ["SparkInspector"]),
        .library(name: "SparkTestKit", targets: ["SparkTestKit"]),
        .executable(name: "spark-space", targets: ["spark-space"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Layer 1: pure codecs.
        .target(
            name: "JavaSerialization",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "SparkTransport",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        // Layer 2: domain model (knows nothing of bytes) and its mapping to JVM classes.
        .target(name: "SparkModel"),
        .target(
            name: "SparkProtocol",
            dependencies: [
                "JavaSerialization", "SparkModel", "SparkTransport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Layer 4: shells.
        .target(
            name: "SparkRPC",
            dependencies: [
                "SparkProtocol", "SparkTransport", "JavaSerialization", "SparkModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "SparkInspector",
            dependencies: [
                "SparkProtocol", "SparkTransport", "JavaSerialization",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "spark-space",
            dependencies: [
                "SparkInspector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test kit shared by tests and Benchmarks/.
        .target(
            name: "SparkTestKit",
            dependencies: ["SparkProtocol", "JavaSerialization", "SparkModel"]
        ),
        .testTarget(
            name: "JavaSerializationTests",
            dependencies: ["JavaSerialization", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "SparkTransportTests",
            dependencies: [
                "SparkTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SparkProtocolTests",
            dependencies: ["SparkProtocol", "SparkModel", "SparkTestKit", "JavaSerialization"]
        ),
        .testTarget(
            name: "SparkRPCTests",
            dependencies: [
                "SparkRPC", "SparkTestKit",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SparkInspectorTests",
            dependencies: ["SparkInspector", "SparkTestKit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
