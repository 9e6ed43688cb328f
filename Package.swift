// swift-tools-version: 6.1
import PackageDescription
#if canImport(Glibc)
import Glibc
#endif

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

/// Release links of `spark-master` and `spark-worker` on Linux, for a small resident set (Benchmarks/README.md,
/// "Idle memory"): lld places the functions each daemon runs while starting and idling first
/// (`Sources/link/<product>.order`, written by `Benchmarks/scripts/link-order.sh`) with the compiler's unnamed
/// functions next to them (`Sources/link/unnamed-functions.ld`); segments are aligned to 64 KiB, so the kernel,
/// which maps the cached pages of a 64 KiB window around each faulting page, maps the same windows of the file
/// in every run; the executable exports no symbols (the dynamic loader and the runtime's `dladdr` would read
/// all of them), and relative relocations are packed (DT_RELR) where the C library applies them (glibc 2.36
/// and later). The ordering works function by function when every module is compiled with
/// `-function-sections`, which only the command line can ask of dependencies:
/// `swift build -c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections`
/// (README, "Building for deployment"); without it whole object files move.
func daemonLinkerSettings(_ product: String) -> [LinkerSetting] {
    let link = "\(Context.packageDirectory)/Sources/link"
    var flags = [
        "-use-ld=lld",
        // libstdc++, zlib and the unwinder come from their archives (Sources/link/archives holds
        // linker scripts that `-lstdc++` and `-lz` find first): with `--static-swift-stdlib`, libc,
        // libm and the loader are the only shared objects left to map. Debian and Ubuntu ship the
        // archives in the packages a Swift link needs anyway (libstdc++-N-dev, libgcc-N-dev,
        // zlib1g-dev); other distributions may package them apart (libstdc++-static, zlib-static).
        "-L", "\(link)/archives",
        "-Xlinker", "-lgcc_eh",
        "-Xlinker", "--no-export-dynamic",
        "-Xlinker", "-z", "-Xlinker", "max-page-size=65536",
        "-Xlinker", "--symbol-ordering-file=\(link)/\(product).order",
        "-Xlinker", "--no-warn-symbol-ordering",
        "-Xlinker", "-T", "-Xlinker", "\(link)/unnamed-functions.ld",
    ]
    if glibcSupportsPackedRelocations() { flags += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"] }
    return [.unsafeFlags(flags, .when(platforms: [.linux], configuration: .release))]
}

func glibcSupportsPackedRelocations() -> Bool {
    #if canImport(Glibc)
    // "glibc 2.36"
    var buffer = [CChar](repeating: 0, count: 64)
    let length = confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count)
    guard length > 0, length <= buffer.count else { return false }
    let text = String(decoding: buffer.prefix(length - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let version = text.split(separator: " ").last ?? ""
    let parts = version.split(separator: ".").compactMap { Int($0) }
    return parts.count >= 2 && (parts[0], parts[1]) >= (2, 36)
    #else
    return false
    #endif
}

let package = Package(
    name: "spark-space",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "JavaSerialization", targets: ["JavaSerialization"]),
        .library(name: "SparkTransport", targets: ["SparkTransport"]),
        .library(name: "SparkModel", targets: ["SparkModel"]),
        .library(name: "SparkProtocol", targets: ["SparkProtocol"]),
        .library(name: "SparkConfig", targets: ["SparkConfig"]),
        .library(name: "SparkRPC", targets: ["SparkRPC"]),
        .library(name: "SparkMaster", targets: ["SparkMaster"]),
        .library(name: "SparkWorker", targets: ["SparkWorker"]),
        .library(name: "SparkInspector", targets: ["SparkInspector"]),
        .library(name: "ZooKeeper", targets: ["ZooKeeper"]),
        .library(name: "ZooKeeperClient", targets: ["ZooKeeperClient"]),
        .library(name: "SparkTestKit", targets: ["SparkTestKit"]),
        .executable(name: "spark-space", targets: ["spark-space"]),
        .executable(name: "spark-master", targets: ["spark-master"]),
        .executable(name: "spark-worker", targets: ["spark-worker"]),
        .executable(name: "space-proxy", targets: ["space-proxy"]),
        .executable(name: "spark-load", targets: ["spark-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // No default traits: the daemons link FoundationEssentials only (no ICU, no CoreFoundation start-up).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // TLS for the worker's downloads of drivers' https: jars.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Layer 1: pure codecs.
        .target(name: "JavaSerialization", dependencies: [nioCore]),
        .target(name: "SparkTransport", dependencies: [nioCore, .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), logging]),
        // ZooKeeper's jute records and frames, the session and leader-latch state machines.
        .target(name: "ZooKeeper", dependencies: [nioCore]),

        // Layer 2: domain model (knows nothing of bytes), its mapping to JVM classes, configuration.
        .target(name: "SparkModel"),
        .target(name: "SparkProtocol", dependencies: ["JavaSerialization", "SparkModel", "SparkTransport", nioCore]),
        .target(name: "SparkConfig"),
        // The Private Space environment: master URLs from DNS discovery, rendered Spark defaults.
        .target(name: "SpaceConfig", dependencies: ["SparkConfig"]),

        // Layer 3: sans-IO cores.
        .target(name: "SparkMaster", dependencies: ["SparkModel", "SparkConfig"]),
        .target(name: "SparkWorker", dependencies: ["SparkModel", "SparkConfig"]),

        // Layer 4: shells.
        .target(
            name: "SparkRPC",
            dependencies: [
                "SparkProtocol", "SparkTransport", "JavaSerialization", "SparkModel", "SparkConfig", nioCore, nioPosix, logging,
                // spark.network.crypto: X25519, HKDF, AES-GCM for the handshake; AES-CTR for the connection,
                // on the BoringSSL swift-nio-ssl builds (CNIOBoringSSL; swift-crypto's API would link Foundation).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "SparkMasterServer",
            dependencies: [
                "SparkMaster", "SparkRPC", "SparkModel", "SparkProtocol", "SparkConfig", "ZooKeeper", "ZooKeeperClient", "SparkWebUI",
                "SparkDaemon", nioCore, nioPosix, logging, hummingbird, serviceLifecycle,
            ]
        ),
        .target(
            name: "SparkWorkerServer",
            dependencies: [
                "SparkWorker", "SparkShuffle", "SparkRPC", "SparkProtocol", "SparkTransport", "SparkModel", "SparkConfig", "SparkWebUI", "SparkDaemon", nioCore, nioPosix, logging,
                hummingbird, serviceLifecycle, .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "ZooKeeperClient",
            dependencies: ["ZooKeeper", nioCore, nioPosix, logging, .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        // zlib from the system (libz-dev), for gzip responses and rolled logs.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // HTML pages and HTTP helpers shared by the master's and workers' web UIs.
        .target(
            name: "SparkWebUI",
            dependencies: [
                "CZlib", "SparkModel", "SparkMaster", "SparkWorker", "SparkTransport", "SparkDaemon", "SparkConfig",
                // Spark's JWSFilter checks tokens with BoringSSL's HMAC (SparkRPC's `BoringCrypto`).
                "SparkRPC", hummingbird, .product(name: "HummingbirdCore", package: "hummingbird"), nioCore, nioPosix, serviceLifecycle,
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(name: "SparkInspector", dependencies: ["SparkProtocol", "SparkModel", "SparkTransport", "JavaSerialization", nioCore]),
        .executableTarget(
            name: "spark-space",
            dependencies: ["SparkInspector", "SparkConfig", "SpaceConfig", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .target(
            name: "SpaceProxy",
            dependencies: [
                "SparkDaemon", nioCore, nioPosix, logging, hummingbird, serviceLifecycle,
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "space-proxy", dependencies: ["SpaceProxy", "SparkDaemon", serviceLifecycle, logging]),
        .executableTarget(
            name: "spark-load",
            dependencies: [
                "SparkRPC", "SparkModel", "SparkProtocol", "SparkWebUI", nioCore, nioPosix, logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Spark's external shuffle service, run by the worker with spark.shuffle.service.enabled.
        .target(
            name: "SparkShuffle",
            dependencies: [
                "SparkRPC", "SparkTransport", "CZlib", nioCore, nioPosix, logging,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // How the two daemons' mains run their services and exit.
        .target(name: "SparkDaemon", dependencies: [logging, nioCore]),
        .executableTarget(
            name: "spark-master", dependencies: ["SparkMasterServer", "SparkDaemon", serviceLifecycle, logging],
            linkerSettings: daemonLinkerSettings("spark-master")),
        .executableTarget(
            name: "spark-worker", dependencies: ["SparkWorkerServer", "SparkDaemon", serviceLifecycle, logging],
            linkerSettings: daemonLinkerSettings("spark-worker")),

        // Test kit shared by tests and Benchmarks/.
        .target(name: "SparkTestKit", dependencies: ["SparkProtocol", "JavaSerialization", "SparkModel", logging]),

        .testTarget(name: "JavaSerializationTests", dependencies: ["JavaSerialization", nioCore]),
        .testTarget(
            name: "SparkTransportTests",
            dependencies: [
                "SparkTransport", nioCore, logging,
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SparkProtocolTests", dependencies: ["SparkProtocol", "SparkModel", "SparkTestKit", "JavaSerialization", nioCore]),
        .testTarget(
            name: "SparkRPCTests", dependencies: ["SparkRPC", "SparkTestKit", nioPosix, .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(
            name: "SparkShuffleTests",
            dependencies: [
                "SparkShuffle", "SparkRPC", "SparkTransport", "SparkTestKit", nioCore, nioPosix, logging,
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SparkInspectorTests",
            dependencies: ["SparkInspector", "SparkTestKit", "SparkProtocol", "SparkModel", "SparkTransport", "JavaSerialization", nioCore]
        ),
        .testTarget(name: "SparkConfigTests", dependencies: ["SparkConfig", "SpaceConfig"]),
        .testTarget(
            name: "SparkWebUITests",
            dependencies: [
                "SparkWebUI", "SparkMaster", "SparkMasterServer", "SparkModel", "SparkTestKit", "SparkRPC", "SparkConfig", "SparkDaemon", "CZlib",
                hummingbird, nioCore, nioPosix, serviceLifecycle, logging,
            ]
        ),
        .testTarget(
            name: "SpaceProxyTests",
            dependencies: [
                "SpaceProxy", "SparkTestKit", nioCore, nioPosix, hummingbird, logging, serviceLifecycle,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "ZooKeeperTests",
            dependencies: [
                "ZooKeeper", "ZooKeeperClient", "SparkTestKit", nioCore, nioPosix, logging,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SparkMasterTests",
            dependencies: [
                "SparkMaster", "SparkMasterServer", "SparkModel", "SparkConfig", "SparkDaemon", "SparkProtocol", "SparkTestKit", "SparkWebUI",
                "ZooKeeper", "ZooKeeperClient",
            ]
        ),
        .testTarget(
            name: "SparkWorkerTests",
            dependencies: ["SparkWorker", "SparkWorkerServer", "SparkWebUI", "SparkTransport", "SparkDaemon", "SparkModel", "SparkConfig", "SparkTestKit", logging, serviceLifecycle]
        ),
        .testTarget(
            name: "SparkClusterTests",
            dependencies: ["SparkMasterServer", "SparkWorkerServer", "SparkWorker", "SparkRPC", "SparkTestKit", nioPosix]
        ),
    ],
    swiftLanguageModes: [.v6]
)
