import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SparkTestKit
import SparkWebUI

/// Runs services in a `ServiceGroup` for the duration of `body`, then shuts them down gracefully
/// whatever `body` does.
enum ServiceRunner {
    static func run<T: Sendable>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
        var logger = Logger(label: "webui-tests")
        logger.logLevel = .warning
        let group = ServiceGroup(services: services, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// Hummingbird applications on loopback ports.
enum TestServer {
    /// `router` on a free port for the duration of `body`.
    static func run<T: Sendable, Context: InitializableFromSource<ApplicationRequestContextSource>>(
        _ router: Router<Context>, _ body: (_ port: Int) async throws -> T
    ) async throws -> T {
        let port = try freePort()
        let (app, started) = application(router, port: port)
        return try await ServiceRunner.run([app]) {
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
            return try await body(port)
        }
    }

    /// `backend` on `backendPort` and `router` on a free port, for the duration of `body`.
    static func runPair<T: Sendable, Context: InitializableFromSource<ApplicationRequestContextSource>>(
        _ backend: Router<BasicRequestContext>, on backendPort: Int, _ router: Router<Context>,
        _ body: (_ port: Int) async throws -> T
    ) async throws -> T {
        let port = try freePort()
        let (backendApp, backendStarted) = application(backend, port: backendPort)
        let (app, started) = application(router, port: port)
        return try await ServiceRunner.run([backendApp, app]) {
            var backendIterator = backendStarted.makeAsyncIterator()
            _ = await backendIterator.next()
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
            return try await body(port)
        }
    }

    /// `responder` on a free port for the duration of `body`.
    static func run<T: Sendable, Responder: HTTPResponder>(
        responder: Responder, _ body: (_ port: Int) async throws -> T
    ) async throws -> T where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let port = try freePort()
        let (app, started) = application(responder, port: port)
        return try await ServiceRunner.run([app]) {
            var iterator = started.makeAsyncIterator()
            _ = await iterator.next()
            return try await body(port)
        }
    }

    static func application<Context: InitializableFromSource<ApplicationRequestContextSource>>(
        _ router: Router<Context>, port: Int
    ) -> (some Service, AsyncStream<Void>) {
        application(router.buildResponder(), port: port)
    }

    static func application<Responder: HTTPResponder>(
        _ responder: Responder, port: Int
    ) -> (some Service, AsyncStream<Void>) where Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning
        let (started, startedSink) = AsyncStream<Void>.makeStream()
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { _ in startedSink.yield() }, logger: logger)
        return (app, started)
    }
}

/// Requests to loopback servers through the library's own bounded client.
enum HTTP {
    static let client = BoundedHTTPClient(connectTimeout: .seconds(5), timeout: .seconds(30))

    static func request(
        _ method: String = "GET", port: Int, _ target: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> BoundedHTTPClient.Response {
        try await client.execute(BoundedHTTPClient.Request(
            method: method, host: "127.0.0.1", port: port, target: target, headers: headers,
            body: body.map { ByteBuffer(string: $0) }))
    }

    static func json(port: Int, _ target: String) async throws -> Any {
        let response = try await request(port: port, target)
        guard response.status == 200 else { throw ChildProcessError(message: "GET \(target): \(response.status) \(response.text)") }
        return try JSONSerialization.jsonObject(with: Data(response.text.utf8))
    }
}

/// Waits until `condition` holds, polling.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw ChildProcessError(message: "timed out waiting for \(what)")
}
