import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SparkConfig
import SparkDaemon
import SparkMasterServer
import SparkModel
import SparkRPC
import SparkTestKit
import SparkWebUI
import Testing

/// The master's local asks (what its REST server sends) made before its event loop runs: taken
/// by the loop once it runs, or answered with a failure when the master cannot start.
@Suite(.serialized)
struct MasterServiceAskTests {
    static let submission = SparkMessage.requestSubmitDriver(RequestSubmitDriver(driverDescription: DriverDescription(
        jarUrl: "file:/tmp/app.jar", mem: 256, cores: 1, supervise: false,
        command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "App"]))))

    static func settings(_ conf: [String: String]) throws -> MasterService.Settings {
        MasterService.Settings(
            host: "127.0.0.1", port: try freePort(), webUiPort: try freePort(),
            conf: SparkConf(conf.merging(["spark.master.rest.port": "0"]) { current, _ in current }))
    }

    /// Asks `service` from a task, once that task runs; `answered` says whether the reply came.
    static func askEarly(_ service: MasterService) async throws -> (Task<SparkMessage, Never>, NIOLockedValueBox<Bool>) {
        let asking = NIOLockedValueBox(false)
        let answered = NIOLockedValueBox(false)
        let task = Task {
            asking.withLockedValue { $0 = true }
            let reply = await service.ask(Self.submission)
            answered.withLockedValue { $0 = true }
            return reply
        }
        for _ in 0..<500 where !asking.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        return (task, answered)
    }

    /// Far more asks at once than the loop's queue holds: the connections stop reading while it is
    /// full and read again as the loop takes calls, and every ask is answered.
    @Test(.timeLimit(.minutes(2)))
    func asksBeyondTheQueueAreAllAnsweredAsTheLoopCatchesUp() async throws {
        var settings = try Self.settings([:])
        settings.maxQueuedCalls = 16
        let service = MasterService(settings: settings)
        try await ServiceRunner.run([service]) {
            let master = try await service.endpoints()
            let client = try await RpcEnv.start(configuration: .init(bindHost: "127.0.0.1", port: 0))
            defer { Task { await client.shutdown() } }
            let ref = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: master.rpc, name: "Master"))
            let asks = 1500
            let answered = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<asks {
                    group.addTask {
                        let reply = try await client.ask(
                            .requestDriverStatus(RequestDriverStatus(driverId: "driver-\(index)")), to: ref, timeout: .seconds(60))
                        guard case .driverStatusResponse(let status) = reply else { return false }
                        return !status.found
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(answered == asks)
            #expect(service.rpcReadPauses >= 1, "the queue never filled: the test proves nothing")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anAskMadeWhileTheMasterStartsIsAnsweredByItsLoop() async throws {
        let service = MasterService(settings: try Self.settings([:]))
        let (early, answered) = try await Self.askEarly(service)
        #expect(!answered.withLockedValue { $0 }, "an ask made before the master runs was answered at once")
        let reply = try await ServiceRunner.run([service]) { await early.value }
        guard case .submitDriverResponse(let response) = reply else {
            Issue.record("expected the master's SubmitDriverResponse, got \(reply)")
            return
        }
        #expect(response.success)
        #expect(response.driverId?.hasPrefix("driver-") == true)
        #expect(response.message.contains("successfully submitted"))
    }

    @Test(.timeLimit(.minutes(1)))
    func anAskWaitingOnAMasterThatCannotStartGetsAFailure() async throws {
        // The web UI's port is taken and no other may be tried: the start fails once the REST server runs.
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { taken.close(promise: nil) }
        var settings = try Self.settings(["spark.port.maxRetries": "0"])
        settings.webUiPort = try #require(taken.localAddress?.port)
        let service = MasterService(settings: settings)
        let (early, _) = try await Self.askEarly(service)
        let error = await #expect(throws: Daemon.ServiceStartFailure.self) { try await service.run() }
        #expect(error?.description.hasPrefix("Service 'MasterUI' could not bind on port \(settings.webUiPort): ") == true)
        await #expect(throws: Daemon.ServiceStartFailure.self) { try await service.endpoints() }
        guard case .rpcFailure(let failure) = await early.value else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "The master is not running")
        // Asked after the end: answered at once, and `clear` says it was not taken.
        guard case .rpcFailure = await service.ask(.requestKillAllDrivers) else {
            Issue.record("expected a failure")
            return
        }
        #expect(!service.clearCompletedDriversAndApps())
    }

    @Test(.timeLimit(.minutes(1)))
    func aMasterFailingAfterItsServersStartStopsThemAndAnswers() async throws {
        // The recovery directory is a file: known only after the REST server and the web UI are up.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recovery-\(UUID().uuidString.prefix(8))")
        try Data("not a directory".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let restPort = try freePort()
        let settings = try Self.settings([
            "spark.deploy.recoveryMode": "FILESYSTEM", "spark.deploy.recoveryDirectory": file.path, "spark.master.rest.port": "\(restPort)",
        ])
        let service = MasterService(settings: settings)
        let (early, _) = try await Self.askEarly(service)
        await #expect(throws: (any Error).self) { try await service.run() }
        guard case .rpcFailure(let failure) = await early.value else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "The master is not running")
        await #expect(throws: (any Error).self) { try await service.endpoints() }
        // Both servers were stopped, not left behind: their ports refuse connections.
        for port in [restPort, settings.webUiPort] {
            await #expect(throws: (any Error).self, "port \(port)") { try await RawConnection.open(port: port).close() }
        }
    }
}
