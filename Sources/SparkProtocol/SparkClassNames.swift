/// JVM class names of the objects the standalone daemons exchange.
public enum SparkClassNames {
    public static let deployMessages = "org.apache.spark.deploy.DeployMessages$"

    /// `org.apache.spark.deploy.DeployMessages$<name>`.
    public static func deploy(_ name: String) -> String { deployMessages + name }

    public static let checkExistence = "org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence"
    public static let rpcFailure = "org.apache.spark.rpc.netty.RpcFailure"
    public static let applicationDescription = "org.apache.spark.deploy.ApplicationDescription"
    public static let driverDescription = "org.apache.spark.deploy.DriverDescription"
    public static let executorDescription = "org.apache.spark.deploy.ExecutorDescription"
    public static let command = "org.apache.spark.deploy.Command"
    public static let resourceProfile = "org.apache.spark.resource.ResourceProfile"
    public static let resourceInformation = "org.apache.spark.resource.ResourceInformation"
    public static let resourceRequirement = "org.apache.spark.resource.ResourceRequirement"
    public static let executorResourceRequest = "org.apache.spark.resource.ExecutorResourceRequest"
    public static let taskResourceRequest = "org.apache.spark.resource.TaskResourceRequest"
    public static let javaURI = "java.net.URI"

    public static let executorState = "org.apache.spark.deploy.ExecutorState$"
    public static let driverState = "org.apache.spark.deploy.master.DriverState$"
    public static let applicationState = "org.apache.spark.deploy.master.ApplicationState$"
    public static let workerState = "org.apache.spark.deploy.master.WorkerState$"
    public static let recoveryState = "org.apache.spark.deploy.master.RecoveryState$"
}
