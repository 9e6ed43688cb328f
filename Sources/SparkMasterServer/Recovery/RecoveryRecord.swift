#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SparkMaster
import SparkModel
import SparkProtocol

/// What the master stores per worker, application and driver for recovery; the format is
/// described in `protocol/recovery-format.md`. Descriptions are kept as the Java streams Spark's
/// classes read, so a recovered master relays them unchanged.
enum RecoveryRecord {
    static let formatVersion = 1

    /// Record names, as Spark names its znodes and files.
    static func name(worker id: String) -> String { "worker_" + id }
    static func name(application id: String) -> String { "app_" + id }
    static func name(driver id: String) -> String { "driver_" + id }

    struct Endpoint: Codable, Equatable {
        var url: String
        var askTimeoutSeconds: Int64

        init(_ ref: RpcEndpointRef) {
            url = ref.address.description
            askTimeoutSeconds = ref.askTimeout.seconds
        }

        func ref() throws -> RpcEndpointRef {
            guard let address = RpcEndpointAddress(url: url) else { throw RecoveryError("endpoint \(url) is not a spark:// URL") }
            return RpcEndpointRef(address: address, askTimeout: RpcTimeout(seconds: askTimeoutSeconds))
        }
    }

    struct Worker: Codable, Equatable {
        var format = RecoveryRecord.formatVersion
        var id: String
        var host: String
        var port: Int32
        var endpoint: Endpoint
        var cores: Int32
        var memory: Int32
        var webUiAddress: String
        var resources: [String: [String]]
    }

    struct Application: Codable, Equatable {
        var format = RecoveryRecord.formatVersion
        var id: String
        var startTime: Int64
        var requestedCores: Int32
        var retryCount: Int
        var driver: Endpoint
        /// Java serialization of the `ApplicationDescription`, base64.
        var description: String
    }

    struct Driver: Codable, Equatable {
        var format = RecoveryRecord.formatVersion
        var id: String
        var startTime: Int64
        /// Java serialization of the `DriverDescription`, base64.
        var description: String
    }

    static func encode(_ worker: WorkerInfo) throws -> Data {
        try JSONEncoder.sorted.encode(Worker(
            id: worker.id, host: worker.host, port: worker.port, endpoint: Endpoint(worker.endpoint), cores: worker.cores,
            memory: worker.memory, webUiAddress: worker.webUiAddress,
            resources: worker.resources.mapValues(\.addresses)))
    }

    static func encode(_ app: ApplicationInfo, version: SparkVersion) throws -> Data {
        try JSONEncoder.sorted.encode(Application(
            id: app.id, startTime: app.startTime, requestedCores: app.requestedCores, retryCount: app.retryCount,
            driver: Endpoint(app.driver),
            description: Data(try SparkObjectCodec.encode(app.desc, version: version)).base64EncodedString()))
    }

    static func encode(_ driver: DriverInfo, version: SparkVersion) throws -> Data {
        try JSONEncoder.sorted.encode(Driver(
            id: driver.id, startTime: driver.startTime,
            description: Data(try SparkObjectCodec.encode(driver.desc, version: version)).base64EncodedString()))
    }

    static func decodeWorker(_ data: Data) throws -> WorkerInfo {
        let record = try JSONDecoder().decode(Worker.self, from: data)
        try check(record.format)
        var resources: [String: WorkerResource] = [:]
        for (name, addresses) in record.resources { resources[name] = WorkerResource(name: name, addresses: addresses) }
        return WorkerInfo(
            id: record.id, host: record.host, port: record.port, endpoint: try record.endpoint.ref(), cores: record.cores,
            memory: record.memory, webUiAddress: record.webUiAddress, resources: resources, now: 0)
    }

    static func decodeApplication(_ data: Data) throws -> ApplicationInfo {
        let record = try JSONDecoder().decode(Application.self, from: data)
        try check(record.format)
        guard let bytes = Data(base64Encoded: record.description) else { throw RecoveryError("application \(record.id) has no description") }
        let description = try SparkObjectCodec.decodeApplicationDescription(Array(bytes))
        var app = ApplicationInfo(
            id: record.id, desc: description, driver: try record.driver.ref(), startTime: record.startTime,
            requestedCores: record.requestedCores)
        for _ in 0..<max(0, min(record.retryCount, 1_000_000)) { _ = app.incrementRetryCountForRecovery() }
        return app
    }

    static func decodeDriver(_ data: Data) throws -> DriverInfo {
        let record = try JSONDecoder().decode(Driver.self, from: data)
        try check(record.format)
        guard let bytes = Data(base64Encoded: record.description) else { throw RecoveryError("driver \(record.id) has no description") }
        return DriverInfo(id: record.id, desc: try SparkObjectCodec.decodeDriverDescription(Array(bytes)), startTime: record.startTime)
    }

    private static func check(_ format: Int) throws {
        guard format == formatVersion else { throw RecoveryError("recovery record format \(format) is not \(formatVersion)") }
    }
}

struct RecoveryError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
