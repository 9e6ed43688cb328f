import Foundation
import NIOCore
import SparkModel
import SparkProtocol

/// Decoded JVM golden fixtures (`protocol/golden/spark-<version>/<name>.bin`), for tests of targets
/// that do not depend on the protocol mapping themselves.
public enum GoldenMessages {
    /// The message in fixture `name` (e.g. `LaunchExecutor-captured`).
    public static func message(_ name: String, version: String = "4.3.0") throws -> SparkMessage {
        let file = TestEnvironment.goldenDirectory(version: version).appendingPathComponent("\(name).bin")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ChildProcessError(message: "no golden fixture \(file.path)")
        }
        return try SparkMessageCodec.decode(stream: ByteBuffer(bytes: Array(data)))
    }
}
