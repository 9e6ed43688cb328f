import Foundation
import NIOCore
@testable import SparkProtocol
import SparkTestKit
import Testing

/// The real Spark 4.3.0 classes read back what our encoder writes.
@Suite(.serialized) struct JVMOracleTests {
    static let sparkHome = TestEnvironment.sparkHome()

    static func oracle() throws -> JVMOracle {
        guard let home = sparkHome else {
            throw ChildProcessError(message: "pyspark 4.3.0 is not installed: run .ci/setup")
        }
        return try JVMOracle.build(sparkHome: home)
    }

    /// Every message, re-encoded by our encoder alone, deserializes into an object equal (by the
    /// oracle's deep dump) to the one the JVM wrote.
    @Test(.enabled(if: sparkHome != nil || TestEnvironment.isCI))
    func jvmReadsEveryMessageWeEncode() throws {
        let oracle = try Self.oracle()
        let candidates = try TestEnvironment.temporaryDirectory("spark-candidates")
        defer { try? FileManager.default.removeItem(at: candidates) }
        for fixture in Golden.messages {
            // What the model does not carry (sys.env's default function) goes on as it came, in the
            // preserved object; everything else is encoded from the typed message alone.
            let decoded = try SparkMessageCodec.decode(stream: fixture.buffer)
            let message = Self.relayedAsSubmitted.contains(fixture.name) ? decoded : decoded.withoutPreservedObjects
            let encoded = try SparkMessageCodec.encode(message, version: .spark4_3)
            FileManager.default.createFile(
                atPath: candidates.appendingPathComponent("\(fixture.name).bin").path, contents: Data(encoded.readableBytesView))
        }
        let result = try oracle.run(["compare", TestEnvironment.goldenDirectory().path, candidates.path])
        let lines = result.output.split(separator: "\n")
        let okCount = lines.filter { $0.hasPrefix("OK ") }.count
        #expect(result.status == 0, "oracle compare failed:\n\(result.output)")
        #expect(okCount == Golden.messages.count, "\(okCount) of \(Golden.messages.count) equal:\n\(result.output)")
    }

    static let relayedAsSubmitted: Set<String> = ["RequestSubmitDriver-sysenv"]

    /// Spark 3.5.9's classes (Scala 2.12) read every message our encoder writes for that line, and
    /// find in it what the JVM's 4.3 fixture holds: the same fields with the same values, in 2.12's
    /// collection classes.
    @Test(.enabled(if: TestEnvironment.sparkHome(version: "3.5.9") != nil || TestEnvironment.isCI))
    func spark35ReadsEveryMessageWeEncodeForIt() throws {
        let home = try #require(TestEnvironment.sparkHome(version: "3.5.9"), "pyspark 3.5.9 is not installed: run .ci/setup")
        let oracle = try JVMOracle.build(sparkHome: home)
        let candidates = try TestEnvironment.temporaryDirectory("spark35-candidates")
        defer { try? FileManager.default.removeItem(at: candidates) }
        var refused: [String] = []
        var written: [String] = []
        for fixture in Golden.messages {
            let message = try SparkMessageCodec.decode(stream: fixture.buffer).withoutPreservedObjects
            do {
                let encoded = try SparkMessageCodec.encode(message, version: .spark3_5)
                FileManager.default.createFile(
                    atPath: candidates.appendingPathComponent("\(fixture.name).bin").path, contents: Data(encoded.readableBytesView))
                written.append(fixture.name)
            } catch {
                refused.append(fixture.name)
            }
        }
        // Spark 4.0 added these; 3.5 has no such classes, and the encoder says so.
        #expect(refused.sorted() == ["KillAllDriversResponse", "RequestKillAllDrivers"])

        let result = try oracle.run(["dumpdir", candidates.path])
        #expect(result.status == 0, "\(result.output)")
        var dumps: [String: [String]] = [:]
        var current: String?
        for line in result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("== ") {
                current = String(line.dropFirst(3))
                dumps[current!] = []
            } else if let name = current {
                dumps[name, default: []].append(line)
            }
        }
        #expect(Set(dumps.keys) == Set(written))
        var compared = 0
        for name in written where !Self.relayedAsSubmitted.contains(name) {
            let golden = try String(contentsOf: TestEnvironment.goldenDirectory().appendingPathComponent("\(name).txt"), encoding: .utf8)
            let expected = golden.split(separator: "\n").map(String.init).filter { !Self.absentIn35($0) }
            let ours = (dumps[name] ?? []).filter { !$0.isEmpty }.map(Self.as213)
            #expect(ours == expected, "\(name):\n\(ours.joined(separator: "\n"))\n-- expected --\n\(expected.joined(separator: "\n"))")
            compared += 1
        }
        #expect(compared >= 60)
    }

    /// Lines of a 4.3 dump for fields Spark 3.5's classes do not have (SparkException.sqlState came in 4.0).
    static func absentIn35(_ line: String) -> Bool {
        line.trimmingCharacters(in: .whitespaces).hasPrefix("sqlState=")
    }

    /// A 3.5 dump line with Scala 2.12's runtime collection classes named as 2.13's.
    static func as213(_ line: String) -> String {
        line.replacingOccurrences(of: "scala.collection.immutable.HashMap$HashTrieMap", with: "scala.collection.immutable.HashMap")
            .replacingOccurrences(
                of: "scala.collection.mutable.ArraySeq of java.lang.Object[]",
                with: "scala.collection.immutable.ArraySeq$ofRef of java.lang.Object[]")
    }

    /// The oracle's serialVersionUID table (`ObjectStreamClass.lookup` on the real jars) is the committed one,
    /// and our generated Swift table agrees with it for every class both know.
    @Test(.enabled(if: sparkHome != nil || TestEnvironment.isCI))
    func serialVersionUIDsMatchTheJars() throws {
        let oracle = try Self.oracle()
        let result = try oracle.run(["suids", TestEnvironment.protocolFile("oracle/classes-4.3.0.txt").path])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").filter { $0.contains("\t") }.map(String.init).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let committed = try String(contentsOf: TestEnvironment.protocolFile("suids/spark-4.3.0.tsv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines == committed)
        var compared = 0
        for line in committed {
            let columns = line.split(separator: "\t")
            guard columns.count == 2, let suid = Int64(columns[1]), let ours = ClassShapeTable.spark430.serialVersionUID(String(columns[0])) else { continue }
            #expect(ours == suid, "\(columns[0])")
            compared += 1
        }
        #expect(compared > 100)
    }

    /// The committed class-shape table is what the jars say (serialVersionUIDs, flags, fields).
    @Test(.enabled(if: sparkHome != nil || TestEnvironment.isCI))
    func classShapeTableMatchesTheJars() throws {
        try Self.checkShapes(sparkHome: try #require(Self.sparkHome), version: "4.3.0", table: .spark430)
    }

    /// The same for Spark 3.5.9 (Scala 2.12), the second line.
    @Test(.enabled(if: TestEnvironment.sparkHome(version: "3.5.9") != nil || TestEnvironment.isCI))
    func spark35ClassShapeTableMatchesItsJars() throws {
        let home = try #require(TestEnvironment.sparkHome(version: "3.5.9"), "pyspark 3.5.9 is not installed: run .ci/setup")
        try Self.checkShapes(sparkHome: home, version: "3.5.9", table: .spark359)
    }

    static func checkShapes(sparkHome home: URL, version: String, table: ClassShapeTable) throws {
        let classes = try TestEnvironment.temporaryDirectory("shape-dump")
        defer { try? FileManager.default.removeItem(at: classes) }
        let compile = try runCommand("/usr/bin/env", ["javac", "-d", classes.path, TestEnvironment.protocolFile("shapes/ShapeDump.java").path])
        #expect(compile.status == 0, "\(compile.output)")
        let dump = try runCommand("/usr/bin/env", [
            "java", "-cp", "\(classes.path):\(home.path)/jars/*", "ShapeDump", TestEnvironment.protocolFile("shapes/classes.txt").path,
        ])
        #expect(dump.status == 0)
        let committed = try String(contentsOf: TestEnvironment.protocolFile("shapes/spark-\(version).tsv"), encoding: .utf8)
        #expect(dump.output == committed)
        // And the generated Swift table agrees with the committed dump.
        var compared = 0
        for line in committed.split(separator: "\n") {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 4, let suid = Int64(columns[1]) else { continue }
            #expect(table.serialVersionUID(String(columns[0])) == suid, "\(columns[0])")
            compared += 1
        }
        #expect(compared > 50)
    }
}
