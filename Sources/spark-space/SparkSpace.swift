import ArgumentParser
import Foundation

/// The operator's tool: one subcommand per file in this folder.
@main
struct SparkSpace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spark-space",
        abstract: "Tools for operating Spark standalone clusters in Swift.",
        subcommands: [
            DecodeCommand.self, MasterURLCommand.self, RenderConfigCommand.self, ShellCommand.self, SubmitCommand.self,
            ConsoleCommand.self, MasterDynoCommand.self, WorkerDynoCommand.self, LocalCommand.self,
        ])

    /// Runs the chosen subcommand; usage errors exit with status 2 (ArgumentParser's own is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = fullMessage(for: error)
                try? FileHandle.standardError.write(contentsOf: Data((message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
