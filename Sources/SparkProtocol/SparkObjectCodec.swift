import JavaSerialization
import NIOCore
import SparkModel

/// Java serialization of the descriptions a master keeps for recovery, outside of any message.
public enum SparkObjectCodec {
    public typealias Failure = SparkProtocolError

    /// A complete Java stream holding `description` (relayed bytes when it was decoded from a JVM).
    public static func encode(_ description: ApplicationDescription, version: SparkVersion) throws(Failure) -> [UInt8] {
        // Encoding a LaunchExecutor and taking its appDesc would drag other fields along; build it directly.
        let value = try SparkMessageCodec.encodeObject(
            .launchExecutor(LaunchExecutor(masterUrl: "", appId: "", execId: 0, rpId: 0, appDesc: description, cores: 0, memory: 0)),
            version: version)
        guard case .object(let launch) = value, let appDesc = launch.field("appDesc") else {
            throw Failure(.wrongType, "cannot build an ApplicationDescription")
        }
        return try stream(appDesc)
    }

    public static func encode(_ description: DriverDescription, version: SparkVersion) throws(Failure) -> [UInt8] {
        let value = try SparkMessageCodec.encodeObject(
            .launchDriver(LaunchDriver(driverId: "", driverDesc: description)), version: version)
        guard case .object(let launch) = value, let desc = launch.field("driverDesc") else {
            throw Failure(.wrongType, "cannot build a DriverDescription")
        }
        return try stream(desc)
    }

    public static func decodeApplicationDescription(_ bytes: [UInt8]) throws(Failure) -> ApplicationDescription {
        try SparkMessageCodec.applicationDescription(try read(bytes))
    }

    public static func decodeDriverDescription(_ bytes: [UInt8]) throws(Failure) -> DriverDescription {
        try SparkMessageCodec.driverDescription(try read(bytes))
    }

    private static func stream(_ value: JavaValue) throws(Failure) -> [UInt8] {
        do throws(JavaSerializationError) {
            return Array(try JavaStreamWriter.encode(value).readableBytesView)
        } catch {
            throw Failure(error)
        }
    }

    private static func read(_ bytes: [UInt8]) throws(Failure) -> JavaValue {
        do throws(JavaSerializationError) {
            return try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        } catch {
            throw Failure(error)
        }
    }
}
