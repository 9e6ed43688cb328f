import SparkModel

/// A cluster-mode driver submitted to the master (Spark: `org.apache.spark.deploy.master.DriverInfo`).
public struct DriverInfo: Sendable, Equatable {
    public let id: String
    public let desc: DriverDescription
    public let startTime: Int64
    public internal(set) var state: DriverState = .submitted
    public internal(set) var workerId: String?
    public internal(set) var exception: JavaExceptionInfo?
    public internal(set) var resources: [(String, ResourceInformation)] = []

    public init(id: String, desc: DriverDescription, startTime: Int64) {
        self.id = id
        self.desc = desc
        self.startTime = startTime
    }

    public static func == (lhs: DriverInfo, rhs: DriverInfo) -> Bool {
        lhs.id == rhs.id && lhs.state == rhs.state && lhs.workerId == rhs.workerId && lhs.exception == rhs.exception
    }
}
