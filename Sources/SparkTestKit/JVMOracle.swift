import Foundation

/// The Java oracle under `protocol/oracle/`, compiled once per test run against a Spark
/// distribution's jars.
public final class JVMOracle: Sendable {
    public let sparkHome: URL
    public let classDirectory: URL

    private init(sparkHome: URL, classDirectory: URL) {
        self.sparkHome = sparkHome
        self.classDirectory = classDirectory
    }

    /// Compiles the oracle against `sparkHome`.
    public static func build(sparkHome: URL) throws -> JVMOracle {
        let classes = try TestEnvironment.temporaryDirectory("spark-oracle")
        let script = TestEnvironment.protocolFile("oracle/build.sh").path
        let result = try runCommand("/bin/bash", [script, sparkHome.path, classes.path])
        guard result.status == 0 else {
            throw ChildProcessError(message: "oracle build failed (\(result.status)):\n\(result.output)")
        }
        return JVMOracle(sparkHome: sparkHome, classDirectory: classes)
    }

    /// Runs an oracle subcommand; returns exit status and output.
    public func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let script = TestEnvironment.protocolFile("oracle/run.sh").path
        return try runCommand("/bin/bash", [script, sparkHome.path, classDirectory.path] + arguments)
    }
}
