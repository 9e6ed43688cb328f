@testable import SparkMaster
import SparkModel
import Testing

/// Workers, applications and drivers are taken on only once their recovery record is stored: what a
/// failover would lose is never acknowledged.
@Suite struct MasterAdmissionTests {
    static let driverDescription = DriverDescription(
        jarUrl: "file:/tmp/app.jar", mem: 512, cores: 1, supervise: false,
        command: Command(mainClass: "org.apache.spark.deploy.worker.DriverWrapper", arguments: ["{{WORKER_URL}}", "{{USER_JAR}}", "App"]))
    static let submitter = RpcAddress(host: "127.0.0.1", port: 5000)

    static func errors(_ actions: [MasterAction]) -> [String] {
        actions.compactMap { if case .log(.error, let line) = $0 { return line } else { return nil } }
    }

    @Test func aWorkerIsAcknowledgedOnlyAfterItsRecordIsStored() throws {
        var harness = MasterHarness()
        let message = MasterHarness.registerWorker(port: 7078)
        let first = harness.master.handle(.message(.registerWorker(message), sender: RpcAddress(host: "127.0.0.1", port: 7078), call: nil), now: harness.now)
        #expect(first.messages.isEmpty)
        #expect(harness.master.workerList.isEmpty)
        let admission = try #require(first.compactMap { if case .admit(let a) = $0 { return a } else { return nil } }.first)
        #expect(admission.record.kind == "addWorker \(message.id)")

        let after = harness.master.handle(.stored(admission), now: harness.now)
        #expect(after.sent(to: message.worker) == [.registeredWorker(RegisteredWorker(
            master: harness.master.configuration.masterRef, masterWebUiUrl: "http://127.0.0.1:8080",
            masterAddress: MasterHarness.masterAddress, duplicate: false))])
        #expect(harness.master.workerList.map(\.id) == [message.id])
    }

    @Test func aWorkerWhoseRecordIsNotStoredIsNotRegisteredAndMayRetry() {
        var harness = MasterHarness()
        harness.storeFailure = "No space left on device"
        let refused = harness.addWorker(port: 7078)
        #expect(refused.messages.isEmpty, "a worker the master could not store was answered: \(refused.messages)")
        #expect(harness.master.workerList.isEmpty)
        #expect(Self.errors(refused) == [
            "Worker worker-20261126010156-127.0.0.1-7078 not registered: its recovery record could not be stored (No space left on device). It will register again.",
        ])

        // The worker's next attempt, once the store works again, registers it for the first time.
        harness.storeFailure = nil
        let accepted = harness.addWorker(port: 7078)
        guard case .registeredWorker(let reply)? = accepted.sent(to: MasterHarness.workerRef(port: 7078)).first else {
            Issue.record("expected RegisteredWorker, got \(accepted)")
            return
        }
        #expect(!reply.duplicate)
        #expect(harness.master.workerList.map(\.state) == [.alive])
        #expect(harness.stored.map(\.kind) == ["addWorker worker-20261126010156-127.0.0.1-7078"])
    }

    @Test func anApplicationWhoseRecordIsNotStoredIsNotRegisteredNorScheduled() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078)
        harness.storeFailure = "ZooKeeper: connection loss"
        let (id, refused) = harness.addApp(port: 40000)
        #expect(id.isEmpty)
        #expect(refused.messages.isEmpty, "expected no RegisteredApplication nor LaunchExecutor, got \(refused.messages)")
        #expect(harness.master.apps.isEmpty)
        #expect(harness.master.workerList.first?.coresUsed == 0)
        #expect(Self.errors(refused) == [
            "App Spark shell not registered as app-20261126010221-0000: its recovery record could not be stored (ZooKeeper: connection loss). Its driver will register again.",
        ])

        // The driver registers again: a new id (Spark also spends the number), executors launched.
        harness.storeFailure = nil
        let (retried, accepted) = harness.addApp(port: 40000)
        #expect(retried == "app-20261126010221-0001")
        #expect(accepted.launches.count == 1)
        #expect(harness.master.activeApps.map(\.id) == [retried])
        #expect(harness.stored.map(\.kind).last == "addApplication \(retried)")
    }

    @Test func aDriverRegisteringAgainFromItsAddressIsToldTheIdItHas() {
        var harness = MasterHarness()
        let (id, _) = harness.addApp(port: 40000)
        let storedBefore = harness.stored
        let (again, actions) = harness.addApp(port: 40000)
        #expect(again == id)
        #expect(harness.master.apps.count == 1)
        #expect(harness.stored == storedBefore, "a second record was stored for the same driver")
        #expect(!actions.contains { if case .admit = $0 { true } else { false } })
    }

    @Test func aDriverWhoseRecordIsNotStoredIsRefusedToItsSubmitter() {
        var harness = MasterHarness()
        harness.addWorker(port: 7078, cores: 4, memory: 4096)
        harness.storeFailure = "record of 1048577 bytes exceeds 1048575"
        let (reply, actions) = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: Self.driverDescription)), from: Self.submitter)
        guard case .submitDriverResponse(let response)? = reply else {
            Issue.record("expected a SubmitDriverResponse, got \(String(describing: reply))")
            return
        }
        #expect(!response.success)
        #expect(response.driverId == nil)
        #expect(response.message == "Driver driver-20261126010221-0000 not submitted: its recovery record could not be stored (record of 1048577 bytes exceeds 1048575)")
        #expect(harness.master.activeDrivers.isEmpty)
        #expect(!actions.messages.contains { if case .launchDriver = $0 { true } else { false } })
        #expect(Self.errors(actions) == [response.message])

        harness.storeFailure = nil
        let (accepted, launched) = harness.ask(.requestSubmitDriver(RequestSubmitDriver(driverDescription: Self.driverDescription)), from: Self.submitter)
        guard case .submitDriverResponse(let response)? = accepted else {
            Issue.record("expected a SubmitDriverResponse, got \(String(describing: accepted))")
            return
        }
        #expect(response.success)
        #expect(response.driverId == "driver-20261126010221-0001")
        #expect(harness.master.activeDrivers.map(\.state) == [.running])
        #expect(launched.messages.contains { if case .launchDriver(let m) = $0 { m.driverId == response.driverId } else { false } })
    }

    @Test func aSubmissionIsAnsweredByItsAdmissionsOutcome() throws {
        var harness = MasterHarness()
        let call = CallID(99)
        let actions = harness.master.handle(
            .message(.requestSubmitDriver(RequestSubmitDriver(driverDescription: Self.driverDescription)), sender: Self.submitter, call: call),
            now: harness.now)
        #expect(actions.contains { $0.answers(call) }, "the shell would fail an ask none of these actions answers")
        #expect(!actions.contains { if case .reply = $0 { true } else { false } })
        #expect(harness.master.activeDrivers.isEmpty)
        let admission = try #require(actions.compactMap { if case .admit(let a) = $0 { return a } else { return nil } }.first)
        let outcome = harness.master.handle(.notStored(admission, reason: "gone"), now: harness.now)
        #expect(outcome.filter { $0.answers(call) }.count == 1)
        #expect(!CallID(98).description.isEmpty && !actions.contains { $0.answers(CallID(98)) })
    }
}
