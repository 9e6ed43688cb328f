import JavaSerialization

/// The Scala shapes a Spark line uses on the wire (case objects, collections, enumerations).
public enum ScalaFlavor: Sendable, Equatable {
    /// Scala 2.13: module proxies and `DefaultSerializationProxy` collections (Spark 4.x).
    case scala213
    /// Scala 2.12: modules written as themselves, per-class collection forms (Spark 3.5).
    case scala212
}

/// A supported Spark line: its class shapes and its Scala flavour.
public struct SparkVersion: Sendable, CustomStringConvertible {
    public let version: String
    public let flavor: ScalaFlavor
    public let table: ClassShapeTable

    public init(version: String, flavor: ScalaFlavor, table: ClassShapeTable) {
        self.version = version
        self.flavor = flavor
        self.table = table
    }

    /// Spark 4.3.0 with Scala 2.13.18.
    public static let spark4_3 = SparkVersion(version: "4.3.0", flavor: .scala213, table: .spark430)

    /// Spark 3.5.9 with Scala 2.12.18.
    public static let spark3_5 = SparkVersion(version: "3.5.9", flavor: .scala212, table: .spark359)

    /// The versions this build knows, newest first.
    public static let all: [SparkVersion] = [.spark4_3, .spark3_5]

    /// Looks a version up by its number (`4.3.0`, or the line `4.3`).
    public static func named(_ name: String) -> SparkVersion? {
        all.first { $0.version == name || $0.version.hasPrefix(name + ".") }
    }

    /// Identifies a peer's build from the SUID of a class it sent.
    public static func identify(className: String, serialVersionUID: Int64) -> SparkVersion? {
        all.first { $0.table.serialVersionUID(className) == serialVersionUID }
    }

    public var description: String { "Spark \(version)" }
}
