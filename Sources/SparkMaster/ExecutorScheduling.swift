import SparkModel

/// A usable worker as the scheduling function sees it.
public struct SchedulableWorker: Sendable, Equatable {
    public var coresFree: Int32
    public var memoryFree: Int32
    public var resourcesFree: [String: Int]

    public init(coresFree: Int32, memoryFree: Int32, resourcesFree: [String: Int] = [:]) {
        self.coresFree = coresFree
        self.memoryFree = memoryFree
        self.resourcesFree = resourcesFree
    }
}

/// Spark's executor placement, a pure function (Spark: `Master.scheduleExecutorsOnWorkers`).
public enum ExecutorScheduling {
    /// Cores to assign on each of `workers` (same order) for one application and resource profile.
    ///
    /// - Parameters:
    ///   - coresLeft: the application's cores still wanted.
    ///   - existingExecutors: executors the application already has for this profile.
    ///   - executorLimit: the profile's executor target.
    public static func assignCores(
        coresLeft: Int32,
        resource: ExecutorResourceDescription,
        workers: [SchedulableWorker],
        existingExecutors: Int,
        executorLimit: Int32,
        spreadOut: Bool
    ) -> [Int32] {
        let minCoresPerExecutor = resource.coresPerExecutor ?? 1
        let oneExecutorPerWorker = resource.coresPerExecutor == nil
        let memoryPerExecutor = resource.memoryMbPerExecutor
        let requirements = resource.customResourcesPerExecutor
        var assignedCores = [Int32](repeating: 0, count: workers.count)
        var assignedExecutors = [Int32](repeating: 0, count: workers.count)
        var assignedExecutorsTotal: Int64 = 0
        let freeTotal = workers.reduce(Int64(0)) { $0 + Int64($1.coresFree) }
        var coresToAssign = min(Int64(coresLeft), freeTotal)

        func canLaunch(_ position: Int) -> Bool {
            let worker = workers[position]
            let keepScheduling = coresToAssign >= Int64(minCoresPerExecutor)
            let enoughCores = worker.coresFree - assignedCores[position] >= minCoresPerExecutor
            let executorsHere = assignedExecutors[position]
            // With one executor per worker, an already assigned executor just grows.
            let launchingNew = !oneExecutorPerWorker || executorsHere == 0
            guard launchingNew else { return keepScheduling && enoughCores }
            let assignedMemory = Int64(executorsHere) * Int64(memoryPerExecutor)
            let enoughMemory = Int64(worker.memoryFree) - assignedMemory >= Int64(memoryPerExecutor)
            let enoughResources = requirements.allSatisfy { requirement in
                let free = (worker.resourcesFree[requirement.resourceName] ?? 0) - Int(requirement.amount) * Int(executorsHere)
                return free >= Int(requirement.amount)
            }
            let underLimit = assignedExecutorsTotal + Int64(existingExecutors) < Int64(executorLimit)
            return keepScheduling && enoughCores && enoughMemory && enoughResources && underLimit
        }

        var freeWorkers = workers.indices.filter(canLaunch)
        while !freeWorkers.isEmpty {
            for position in freeWorkers {
                var keepScheduling = true
                while keepScheduling && canLaunch(position) {
                    coresToAssign -= Int64(minCoresPerExecutor)
                    assignedCores[position] += minCoresPerExecutor
                    if oneExecutorPerWorker {
                        if assignedExecutors[position] == 0 { assignedExecutorsTotal += 1 }
                        assignedExecutors[position] = 1
                    } else {
                        assignedExecutors[position] += 1
                        assignedExecutorsTotal += 1
                    }
                    // Spreading out moves on to the next worker after each assignment.
                    if spreadOut { keepScheduling = false }
                }
            }
            freeWorkers = freeWorkers.filter(canLaunch)
        }
        return assignedCores
    }
}
