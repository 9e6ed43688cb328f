import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SparkModel
import SparkRPC
import SparkTestKit

/// A driver made of a Swift `RpcEnv`: registers applications and submits drivers to a master,
/// and records what the master sends back.
final class FakeDriver: RpcEndpoint {
    let env: RpcEnv
    private let received = NIOLockedValueBox<[SparkMessage]>([])

    private init(env: RpcEnv) { self.env = env }

    static func start() async throws -> FakeDriver {
        let env = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
        let driver = FakeDriver(env: env)
        env.register("AppClient", driver)
        return driver
    }

    func receive(_ call: RpcCall) { received.withLockedValue { $0.append(call.message) } }

    var messages: [SparkMessage] { received.withLockedValue { $0 } }

    func shutdown() async { await env.shutdown() }

    static func masterRef(port: Int) -> RpcEndpointRef { RpcEndpointRef(name: "Master", host: "127.0.0.1", port: Int32(port)) }

    /// Registers `description` and waits for the master's `RegisteredApplication`; returns the id.
    func register(_ description: ApplicationDescription, masterPort: Int) async throws -> String {
        let before = messages.count
        env.post(.registerApplication(RegisterApplication(appDescription: description, driver: env.ref("AppClient"))), to: Self.masterRef(port: masterPort))
        var appId: String?
        try await waitUntil("RegisteredApplication from the master on \(masterPort)") {
            for case .registeredApplication(let registered) in messages.dropFirst(before) { appId = registered.appId }
            return appId != nil
        }
        return appId!
    }

    /// Submits a cluster-mode driver (as `spark-submit --deploy-mode cluster` through the legacy client).
    func submitDriver(_ description: DriverDescription, masterPort: Int) async throws -> SubmitDriverResponse {
        let reply = try await env.ask(
            .requestSubmitDriver(RequestSubmitDriver(driverDescription: description)), to: Self.masterRef(port: masterPort),
            timeout: .seconds(30))
        guard case .submitDriverResponse(let response) = reply else {
            throw ChildProcessError(message: "unexpected answer \(reply.name)")
        }
        return response
    }
}
