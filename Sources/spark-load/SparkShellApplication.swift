import SparkModel

/// The application a `spark-shell` driver registers, as Spark 4.3.0 builds it
/// (protocol/golden/spark-4.3.0/RegisterApplication-captured.txt), for a driver at `driver`.
enum SparkShellApplication {
    static func description(driver: RpcAddress, maxCores: Int32?, executorMemory: Int64, user: String = "root") -> ApplicationDescription {
        let arguments = [
            "--driver-url", "spark://CoarseGrainedScheduler@\(driver.hostPort)",
            "--executor-id", "{{EXECUTOR_ID}}", "--hostname", "{{HOSTNAME}}", "--cores", "{{CORES}}",
            "--app-id", "{{APP_ID}}", "--worker-url", "{{WORKER_URL}}", "--resourceProfileId", "{{RESOURCE_PROFILE_ID}}",
        ]
        let javaOpts = ["-Dspark.driver.port=\(driver.port)", "-Djava.net.preferIPv6Addresses=false"] + JavaModuleOptions.spark4_3
        let command = Command(
            mainClass: "org.apache.spark.executor.CoarseGrainedExecutorBackend", arguments: arguments,
            environment: [("OMP_NUM_THREADS", "1"), ("SPARK_USER", user)], javaOpts: javaOpts)
        let profile = ResourceProfile(
            id: 0,
            executorResources: [
                ("memory", ExecutorResourceRequest(resourceName: "memory", amount: executorMemory)),
                ("offHeap", ExecutorResourceRequest(resourceName: "offHeap", amount: 0)),
            ],
            taskResources: [("cpus", TaskResourceRequest(resourceName: "cpus", amount: 1))],
            coresLimitKnown: false, executorResourceSlotsPerAddr: [("cores", 1)], limitingResource: "",
            maxTasksPerExecutor: 1)
        return ApplicationDescription(
            name: "Spark shell", maxCores: maxCores, command: command, appUiUrl: "", defaultProfile: profile, user: user)
    }
}
