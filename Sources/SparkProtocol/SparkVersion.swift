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

/// The Spark release a distribution holds, read from the name of its core jar
/// (`jars/spark-core_2.12-3.5.9.jar`: Scala 2.12, Spark 3.5.9).
public struct SparkRelease: Sendable, Equatable, CustomStringConvertible {
    public var version: String
    public var scalaVersion: String

    public init(version: String, scalaVersion: String) {
        self.version = version
        self.scalaVersion = scalaVersion
    }

    /// Parses `spark-core_<scala>-<version>.jar`; nil for any other name.
    public init?(coreJarName name: String) {
        let prefix = "spark-core_", suffix = ".jar"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count <= 128 else { return nil }
        let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
        guard let dash = middle.firstIndex(of: "-") else { return nil }
        let scala = middle[..<dash], version = middle[middle.index(after: dash)...]
        guard Self.isDotted(scala), let first = version.first, first.isASCII, first.isNumber,
              !version.hasSuffix("-tests"), !version.hasSuffix("-sources")
        else { return nil }
        self.init(version: String(version), scalaVersion: String(scala))
    }

    /// The release of a `jars` folder's listing: its one core jar (nil when there is none, or
    /// several of different releases).
    public static func find(inJarNames names: some Sequence<String>) -> SparkRelease? {
        var found: SparkRelease?
        for name in names {
            guard let release = SparkRelease(coreJarName: name) else { continue }
            if let found, found != release { return nil }
            found = release
        }
        return found
    }

    /// `major.minor` of the version (`3.5` for `3.5.9`, `4.1` for `4.1.0-preview2`).
    public var line: String {
        let parts = version.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2 else { return version }
        return parts[0] + "." + String(parts[1].prefix { $0.isASCII && $0.isNumber })
    }

    public var major: String { String(version.prefix { $0 != "." }) }

    public var description: String { "Spark \(version) (Scala \(scalaVersion))" }

    private static func isDotted(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { ($0.isASCII && $0.isNumber) || $0 == "." }
    }
}

extension SparkVersion {
    /// `major.minor` of this line.
    public var line: String { SparkRelease(version: version, scalaVersion: "").line }

    /// The Scala binary version of this line's builds.
    public var scalaVersion: String {
        switch flavor {
        case .scala213: "2.13"
        case .scala212: "2.12"
        }
    }

    /// Which line a daemon speaks, and why.
    public struct Choice: Sendable, Equatable {
        public var version: SparkVersion
        /// The release to show (status pages, `Running Spark version`): the distribution's own
        /// when one was found, else the line's.
        public var release: String
        /// Said once at start when the choice is a guess (a release this build has no shapes for).
        public var warning: String?

        public static func == (lhs: Choice, rhs: Choice) -> Bool {
            lhs.version.version == rhs.version.version && lhs.release == rhs.release && lhs.warning == rhs.warning
        }
    }

    /// Why a named line cannot be used.
    public struct UnknownLine: Error, Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public init(name: String) { self.name = name }
        /// What a setting may name: `4.3 or 3.5`.
        public static var expected: String { SparkVersion.all.map(\.line).joined(separator: " or ") }
        public var description: String { "unknown Spark version \"\(name)\": expected \(Self.expected)" }
    }

    /// The line to speak: the one `setting` names (`4.3`, `3.5`, or a release of those lines),
    /// else the one of the distribution whose `jars` folder lists `jarNames` (its own line, else
    /// the newest known line of its major version with a warning), else Spark 4.3.
    public static func choose(setting: String?, jarNames: some Sequence<String>) throws(UnknownLine) -> Choice {
        if let setting = setting?.trimmingASCIIWhitespace(), !setting.isEmpty {
            let release = SparkRelease(version: setting, scalaVersion: "")
            guard let version = named(setting) ?? named(release.line) else { throw UnknownLine(name: setting) }
            let shown = setting.split(separator: ".").count >= 3 ? setting : version.version
            return Choice(version: version, release: shown)
        }
        guard let release = SparkRelease.find(inJarNames: jarNames) else {
            return Choice(version: .spark4_3, release: SparkVersion.spark4_3.version)
        }
        if let version = named(release.line), version.scalaVersion == release.scalaVersion {
            return Choice(version: version, release: release.version)
        }
        let fallback = all.first { $0.line.hasPrefix(release.major + ".") && $0.scalaVersion == release.scalaVersion }
            ?? all.first { $0.line.hasPrefix(release.major + ".") } ?? .spark4_3
        return Choice(
            version: fallback, release: release.version,
            warning: "\(release) has no message shapes in this build; speaking Spark \(fallback.version)'s RPC "
                + "(set spark.space.sparkVersion to choose another line)")
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
