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
        let opens = [
            "java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect", "java.base/java.io",
            "java.base/java.net", "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
            "java.base/java.util.concurrent.atomic", "java.base/jdk.internal.ref", "java.base/sun.nio.ch",
            "java.base/sun.nio.cs", "java.base/sun.security.action", "java.base/sun.util.calendar",
            "java.security.jgss/sun.security.krb5",
        ]
        let javaOpts = ["-Dspark.driver.port=\(driver.port)", "-Djava.net.preferIPv6Addresses=false",
                        "-XX:+IgnoreUnrecognizedVMOptions", "--add-modules=jdk.incubator.vector"]
            + opens.map { "--add-opens=\($0)=ALL-UNNAMED" }
            + ["-Dio.netty.tryReflectionSetAccessible=true", "-Dio.netty.allocator.type=pooled",
               "-Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE",
               "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED"]
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
