// spark-load: simulated workers and applications against a standalone master; the command is SparkLoad.
do {
    var command = try SparkLoad.parseAsRoot()
    if let load = command as? SparkLoad {
        try await load.generateLoad()
    } else {
        try command.run()  // --help, --version
    }
} catch {
    SparkLoad.exit(withError: error)
}
