import ArgumentParser
import Foundation
import SpaceConfig

/// `spark-space master` / `spark-space worker`: the Procfile entries; they compute the daemon's
/// command line from the space and replace this process with it.
struct MasterDynoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master", abstract: "Run spark-master as the space's master dyno.")

    func run() throws {
        try Dyno.exec("spark-master", try DynoCommands(environment: SpaceEnvironment(ProcessInfo.processInfo.environment)).master())
    }
}

struct WorkerDynoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run spark-worker as one of the space's worker dynos.")

    func run() throws {
        try Dyno.exec("spark-worker", try DynoCommands(environment: SpaceEnvironment(ProcessInfo.processInfo.environment)).worker())
    }
}

enum Dyno {
    /// Replaces this process with `<dir of spark-space>/<executable>`.
    static func exec(_ executable: String, _ invocation: DynoCommands.Invocation) throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let path = here.appendingPathComponent(executable).path
        for (key, value) in invocation.environment { setenv(key, value, 1) }
        FileHandle.standardError.write(Data("spark-space: \(executable) \(invocation.arguments.joined(separator: " "))\n".utf8))
        let argv = ([path] + invocation.arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        throw ValidationError("cannot run \(path): \(String(cString: strerror(errno)))")
    }
}
