import SparkModel

/// What the master refuses to count with: amounts a Spark driver, submitter or worker never sends
/// (negative cores or memory, executors of no cores, ids at the end of their range), which would
/// otherwise wrap the master's counters or stall its scheduling. Each check names the first bad
/// value, for the line the master logs.
enum RequestBounds {
    static func problem(with profile: ResourceProfile) -> String? {
        if let cores = profile.executorCores, !(1...Int64(Int32.max)).contains(cores) {
            return "resource profile \(profile.id) asks for \(cores) cores per executor"
        }
        for (name, request) in profile.executorResources where !(0...Int64(Int32.max)).contains(request.amount) {
            return "resource profile \(profile.id) asks for \(request.amount) of \(name) per executor"
        }
        return nil
    }

    static func problem(with description: ApplicationDescription) -> String? {
        if let maxCores = description.maxCores, maxCores < 0 { return "the application asks for at most \(maxCores) cores" }
        if let limit = description.initialExecutorLimit, limit < 0 { return "the application's initial executor limit is \(limit)" }
        return problem(with: description.defaultProfile)
    }

    static func problem(with description: DriverDescription) -> String? {
        if description.cores < 1 { return "the driver asks for \(description.cores) cores" }
        if description.mem < 0 { return "the driver asks for \(description.mem) MiB of memory" }
        for requirement in description.resourceReqs where requirement.amount < 0 {
            return "the driver asks for \(requirement.amount) of \(requirement.resourceName)"
        }
        return nil
    }

    static func problem(worker cores: Int32, memory: Int32) -> String? {
        if cores < 0 { return "the worker offers \(cores) cores" }
        if memory < 0 { return "the worker offers \(memory) MiB of memory" }
        return nil
    }

    /// Whether `worker` can hold `cores` and `memory` more (and an application `granted` cores so far
    /// the cores too): what a worker reports after a master change never holds more than it offers.
    static func problem(holding cores: Int32, memory: Int32, on worker: WorkerInfo, granted: Int32 = 0) -> String? {
        if cores > worker.coresFree || memory > worker.memoryFree {
            return "\(cores) cores and \(memory) MiB more than the worker's \(worker.coresFree) cores and \(worker.memoryFree) MiB free"
        }
        if granted.addingReportingOverflow(cores).overflow { return "\(cores) cores more than an application can be granted" }
        return nil
    }

    static func problem(with executor: ExecutorDescription) -> String? {
        if !(0..<Int32.max).contains(executor.execId) { return "executor id \(executor.execId)" }
        if executor.cores < 0 { return "executor \(executor.execId) holds \(executor.cores) cores" }
        if executor.memoryMb < 0 { return "executor \(executor.execId) holds \(executor.memoryMb) MiB" }
        return nil
    }
}
