import Foundation
import NIOCore
import SparkWebUI

/// What the master's `/json/` says about the simulated workers, read once while they heart-beat.
struct MasterStatusCheck: Sendable, Encodable {
    /// The master's `status` (`ALIVE`, `STANDBY`, ...).
    var status: String
    var fetchMs: Double
    var workersListed: Int
    /// Simulated workers listed as ALIVE.
    var alive: Int
    /// Simulated workers missing from the list or in another state.
    var notAlive: Int
    /// Simulated workers whose `lastheartbeat` is older than one interval plus the tolerance.
    var late: Int
    var maxHeartbeatAgeMs: Double
    var medianHeartbeatAgeMs: Double

    /// Reads `/json/` and judges the workers in `ids`. A worker's heartbeat age is taken against the
    /// time the answer arrived, so a slow answer only makes ages look larger.
    static func fetch(webUI: String, ids: Set<String>, heartbeatInterval: TimeSpan, tolerance: TimeSpan, timeout: TimeSpan) async throws -> MasterStatusCheck {
        let base = webUI.hasSuffix("/") ? String(webUI.dropLast()) : webUI
        guard let components = URLComponents(string: base), components.scheme == "http", let host = components.host else {
            throw LoadError("not an http:// URL: \(webUI)")
        }
        let url = base + "/json/"
        let client = BoundedHTTPClient(
            connectTimeout: .milliseconds(Int64(timeout.milliseconds)), timeout: .milliseconds(Int64(timeout.milliseconds)),
            maxResponseBytes: 256 << 20)
        let started = Date()
        let response = try await client.execute(.init(host: host, port: components.port ?? 80, target: components.path + "/json/"))
        let arrived = Date()
        guard response.status == 200 else { throw LoadError("\(url) answered \(response.status)") }
        let data = Data(response.body.readableBytesView)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoadError("\(url) did not answer a JSON object")
        }
        let workers = root["workers"] as? [[String: Any]] ?? []
        let nowMs = arrived.timeIntervalSince1970 * 1000
        let limitMs = heartbeatInterval.milliseconds + tolerance.milliseconds
        var alive = 0
        var late = 0
        var ages: [Double] = []
        var seen = Set<String>()
        for worker in workers {
            guard let id = worker["id"] as? String, ids.contains(id), seen.insert(id).inserted else { continue }
            guard (worker["state"] as? String) == "ALIVE" else { continue }
            alive += 1
            let last = (worker["lastheartbeat"] as? NSNumber)?.doubleValue ?? 0
            let age = nowMs - last
            ages.append(age)
            if age > limitMs { late += 1 }
        }
        ages.sort()
        return MasterStatusCheck(
            status: root["status"] as? String ?? "?",
            fetchMs: arrived.timeIntervalSince(started) * 1000,
            workersListed: workers.count, alive: alive, notAlive: ids.count - alive, late: late,
            maxHeartbeatAgeMs: ages.last ?? 0, medianHeartbeatAgeMs: ages.isEmpty ? 0 : ages[(ages.count - 1) / 2])
    }
}

/// A load run that cannot go on.
struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
