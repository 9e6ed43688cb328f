import SparkProtocol
import Testing

/// Which Spark line a daemon speaks: named by `spark.space.sparkVersion`, else read from the
/// distribution's `jars` folder.
struct SparkVersionChoiceTests {
    @Test func theCoreJarNamesTheRelease() {
        #expect(SparkRelease(coreJarName: "spark-core_2.12-3.5.9.jar") == SparkRelease(version: "3.5.9", scalaVersion: "2.12"))
        #expect(SparkRelease(coreJarName: "spark-core_2.13-4.1.0-preview2.jar")?.line == "4.1")
        for name in [
            "spark-core_2.13-4.3.0-tests.jar", "spark-core_2.13-4.3.0-sources.jar", "spark-core-4.3.0.jar",
            "spark-core_2.13.jar", "spark-core_x-4.3.0.jar", "spark-sql_2.13-4.3.0.jar", "spark-core_2.13-.jar",
            "spark-core_2.13-4.3.0.jar.asc",
        ] {
            #expect(SparkRelease(coreJarName: name) == nil, "\(name)")
        }
        let listing = ["scala-library-2.12.18.jar", "spark-core_2.12-3.5.9.jar", "spark-core_2.12-3.5.9-tests.jar", "slf4j-api-2.0.7.jar"]
        #expect(SparkRelease.find(inJarNames: listing)?.version == "3.5.9")
        // Two different cores on one class path: no answer rather than a guess.
        #expect(SparkRelease.find(inJarNames: ["spark-core_2.12-3.5.9.jar", "spark-core_2.13-4.3.0.jar"]) == nil)
        #expect(SparkRelease.find(inJarNames: [String]()) == nil)
    }

    @Test func aDistributionChoosesItsOwnLine() throws {
        let spark35 = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.12-3.5.9.jar"])
        #expect(spark35.version.version == "3.5.9")
        #expect(spark35.release == "3.5.9")
        #expect(spark35.warning == nil)
        // Another patch release of a known line speaks that line and shows its own number.
        let patch = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.12-3.5.2.jar"])
        #expect(patch.version.flavor == .scala212)
        #expect(patch.release == "3.5.2")
        #expect(patch.warning == nil)
        let spark43 = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.13-4.3.0.jar"])
        #expect(spark43.version.version == "4.3.0")
        #expect(spark43.warning == nil)
    }

    @Test func anUnknownReleaseIsAGuessThatSaysSo() throws {
        let spark41 = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.13-4.1.0.jar"])
        #expect(spark41.version.version == "4.3.0")
        #expect(spark41.release == "4.1.0")
        #expect(spark41.warning?.hasPrefix("Spark 4.1.0 (Scala 2.13) has no message shapes in this build; speaking Spark 4.3.0's RPC") == true)
        // Spark 3.5 built for Scala 2.13 has 3.5's messages but 2.13's collections: no known line fits.
        let scala213 = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.13-3.5.9.jar"])
        #expect(scala213.warning != nil)
        let spark34 = try SparkVersion.choose(setting: nil, jarNames: ["spark-core_2.12-3.4.1.jar"])
        #expect(spark34.version.version == "3.5.9")
        #expect(spark34.warning != nil)
    }

    @Test func theSettingWins() throws {
        let named = try SparkVersion.choose(setting: "3.5", jarNames: ["spark-core_2.13-4.3.0.jar"])
        #expect(named.version.version == "3.5.9")
        #expect(named.release == "3.5.9")
        #expect(named.warning == nil)
        let release = try SparkVersion.choose(setting: " 3.5.4 ", jarNames: [String]())
        #expect(release.version.version == "3.5.9")
        #expect(release.release == "3.5.4")
        #expect(try SparkVersion.choose(setting: "4.3", jarNames: ["spark-core_2.12-3.5.9.jar"]).version.version == "4.3.0")
        // Empty is unset: the distribution decides.
        #expect(try SparkVersion.choose(setting: "", jarNames: ["spark-core_2.12-3.5.9.jar"]).version.version == "3.5.9")
        for bad in ["2.4", "5.0", "three", "4.2"] {
            #expect(throws: SparkVersion.UnknownLine(name: bad)) { try SparkVersion.choose(setting: bad, jarNames: [String]()) }
        }
        #expect(SparkVersion.UnknownLine(name: "2.4").description == "unknown Spark version \"2.4\": expected 4.3 or 3.5")
    }

    @Test func withoutADistributionTheDefaultIsSpark43() throws {
        let choice = try SparkVersion.choose(setting: nil, jarNames: ["slf4j-api-2.0.17.jar"])
        #expect(choice.version.version == "4.3.0")
        #expect(choice.release == "4.3.0")
        #expect(choice.warning == nil)
    }
}
