import Logging
import NIOCore
import SparkModel
import SparkRPC

/// One RPC environment of the load generator and its connection to the master; the simulated
/// workers and drivers it hosts send everything over that one connection.
final class LoadShard: Sendable {
    let index: Int
    let env: RpcEnv
    let master: RpcEndpointRef
    let verifier: RpcEndpointRef
    let connection: RpcConnection

    private init(index: Int, env: RpcEnv, master: RpcEndpointRef, verifier: RpcEndpointRef, connection: RpcConnection) {
        self.index = index
        self.env = env
        self.master = master
        self.verifier = verifier
        self.connection = connection
    }

    /// Binds an environment, dials the master and checks that it hosts a `Master` endpoint
    /// (Spark: `setupEndpointRef`, a `CheckExistence` ask to the `endpoint-verifier`).
    static func start(index: Int, settings: LoadSettings, logger: Logger) async throws -> LoadShard {
        let bindHost = settings.usesLoopbackAliases ? "0.0.0.0" : settings.host
        let env = try await RpcEnv.start(
            configuration: .init(bindHost: bindHost, port: 0, advertisedHost: settings.host, version: settings.version,
                                 connectTimeout: .seconds(10), defaultAskTimeout: .seconds(30)),
            logger: logger)
        do {
            let master = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: settings.master, name: "Master"))
            let verifier = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: settings.master, name: "endpoint-verifier"))
            let connection = try await env.connection(to: settings.master)
            guard try await env.verify(master, timeout: .seconds(30)) else {
                throw RpcError(.remoteFailure, "\(settings.master) has no Master endpoint")
            }
            return LoadShard(index: index, env: env, master: master, verifier: verifier, connection: connection)
        } catch {
            await env.shutdown()
            throw error
        }
    }

    /// The port simulated endpoints of this shard announce.
    var port: Int32 { env.address.port }

    /// Sends one-way to the master, if the connection is still open.
    @discardableResult
    func send(_ message: SparkMessage, to ref: RpcEndpointRef? = nil) -> Bool {
        guard connection.isActive else { return false }
        do {
            try connection.send(message, to: ref ?? master)
            return true
        } catch {
            return false
        }
    }

    /// Asks the master (or `ref`) over the shard's connection.
    func ask(_ message: SparkMessage, to ref: RpcEndpointRef? = nil, timeout: TimeAmount) -> EventLoopFuture<SparkMessage> {
        connection.askFuture(message, to: ref ?? master, timeout: timeout)
    }

    func shutdown() async { await env.shutdown() }
}
