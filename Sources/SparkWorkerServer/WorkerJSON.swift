import SparkModel
import SparkWorker

/// The worker's `/json` document, field for field as Spark 4.3 writes it.
///
/// Spark: `JsonProtocol.writeWorkerState`, `writeExecutorRunner`, `writeApplicationDescription`,
/// `writeResourceRequirement`, `ResourceInformation.toJson`.
public enum WorkerJSON {
    public static func workerState(_ status: WorkerStatus) -> PrettyJSON {
        .object([
            ("id", .string(status.workerId)),
            ("masterurl", .string(status.masterUrl)),
            ("masterwebuiurl", .string(status.masterWebUiUrl)),
            ("cores", .int(Int64(status.cores))),
            ("coresused", .int(Int64(status.coresUsed))),
            ("memory", .int(Int64(status.memoryMiB))),
            ("memoryused", .int(Int64(status.memoryUsedMiB))),
            ("resources", resources(status.resources.map { ($0.name, $0) })),
            ("resourcesused", resources(status.resourcesUsed.map { ($0.name, $0) })),
            ("executors", .array(status.executors.map(executor))),
            ("finishedexecutors", .array(status.finishedExecutors.map(executor))),
        ])
    }

    public static func executor(_ record: ExecutorRecord) -> PrettyJSON {
        .object([
            ("id", .int(Int64(record.key.execId))),
            ("memory", .int(Int64(record.memoryMiB))),
            ("resources", resources(record.resources)),
            ("appid", .string(record.key.appId)),
            ("appdesc", applicationDescription(record.appDesc)),
        ])
    }

    public static func applicationDescription(_ description: ApplicationDescription) -> PrettyJSON {
        let requirements = PrettyJSON.array(description.defaultProfile.customExecutorResources.map {
            .object([("name", .string($0.resourceName)), ("amount", .int(Int64($0.amount)))])
        })
        return .object([
            ("name", .string(description.name)),
            ("cores", .int(Int64(description.maxCores ?? 0))),
            ("memoryperexecutor", .int(Int64(description.memoryPerExecutorMB))),
            ("resourcesperexecutor", requirements),
            ("memoryperslave", .int(Int64(description.memoryPerExecutorMB))),
            ("resourcesperslave", requirements),
            ("user", .string(description.user)),
            ("command", .string(scalaString(description.command))),
        ])
    }

    static func resources(_ resources: [(String, ResourceInformation)]) -> PrettyJSON {
        .object(resources.map { name, info in
            (name, .object([("name", .string(info.name)), ("addresses", .array(info.addresses.map(PrettyJSON.string)))]))
        })
    }

    /// `Command.toString` of a Scala 2.13 case class, as Spark 4.3 prints it in `/json`:
    /// `Command(main,List(args),Map(k -> v),List(cp),List(lib),ArraySeq(opts))`.
    public static func scalaString(_ command: Command) -> String {
        let environment = command.environment.map { "\($0.0) -> \($0.1)" }.joined(separator: ", ")
        return "Command(\(command.mainClass),List(\(command.arguments.joined(separator: ", "))),"
            + "Map(\(environment)),List(\(command.classPathEntries.joined(separator: ", "))),"
            + "List(\(command.libraryPathEntries.joined(separator: ", "))),"
            + "ArraySeq(\(command.javaOpts.joined(separator: ", "))))"
    }
}
