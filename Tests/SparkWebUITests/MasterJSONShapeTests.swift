import Foundation
import SparkMaster
import SparkModel
@testable import SparkWebUI
import Testing

/// `/json` has Spark 4.3's field names and value kinds, checked against documents captured from
/// the real master (protocol/samples/master-json-4.3.0-*.json).
struct MasterJSONShapeTests {
    func ours(_ fixture: MasterFixture) throws -> [String: Any] {
        try #require(try JSONShape.parse(MasterStatusJSON.render(fixture.master, now: fixture.now).prettyPrinted) as? [String: Any])
    }

    @Test(arguments: ["master-json-4.3.0-app-running.json", "master-json-4.3.0-after-apps.json", "master-json-4.3.0-completed.json", "master-json-4.3.0-idle.json"])
    func busyMasterMatchesSample(sample: String) throws {
        let json = try ours(MasterFixture.busy().fixture)
        let expected = try #require(try JSONShape.sample(sample) as? [String: Any])
        #expect(JSONShape.differences(json, expected) == [])
    }

    /// Every kind of entry the samples hold appears in ours, so nothing above compared vacuously.
    @Test func everyEntryKindIsCompared() throws {
        let json = try ours(MasterFixture.busy().fixture)
        let running = try #require(JSONShape.sample("master-json-4.3.0-app-running.json") as? [String: Any])
        let completed = try #require(JSONShape.sample("master-json-4.3.0-after-apps.json") as? [String: Any])
        #expect(JSONShape.differences(try #require(json["activeapps"]), try #require(running["activeapps"])) == [])
        #expect((json["activeapps"] as? [Any])?.count == 1)
        #expect(JSONShape.differences(try #require(json["completedapps"]), try #require(completed["completedapps"])) == [])
        #expect((json["completedapps"] as? [Any])?.count == 1)
        #expect((json["workers"] as? [Any])?.count == 2)
        let driver = try JSONShape.sample("master-json-4.3.0-driver-entry.json")
        let drivers = (json["activedrivers"] as? [Any] ?? []) + (json["completeddrivers"] as? [Any] ?? [])
        #expect(drivers.count == 2)
        for entry in drivers { #expect(JSONShape.differences(entry, driver) == []) }
        // A worker with custom resources lists them as objects of name and addresses.
        let gpu = try #require(((json["workers"] as? [[String: Any]])?.first?["resources"] as? [String: Any])?["gpu"] as? [String: Any])
        #expect(gpu["name"] as? String == "gpu")
        #expect(gpu["addresses"] as? [String] == ["0", "1"])
    }

    @Test func standbyMatchesSample() throws {
        let json = try ours(MasterFixture(elect: false))
        let expected = try #require(try JSONShape.sample("ha-4.3.0-master2-json-standby.json") as? [String: Any])
        #expect(JSONShape.differences(json, expected) == [])
        #expect(json["status"] as? String == "STANDBY")
        #expect((json["resources"] as? [Any])?.isEmpty == true)
    }

    /// `/app/json/` gives exactly the entry `/json` lists for the application.
    @Test func applicationJSONEqualsTheMasterEntry() throws {
        let (fixture, running, finished) = MasterFixture.busy(offsetSeconds: 3600)
        let whole = MasterStatusJSON.render(fixture.master, now: fixture.now, zoneName: "CET")
        guard case .object(let fields) = whole else { Issue.record("not an object"); return }
        let lists = Dictionary(fields.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        guard case .array(let active) = lists["activeapps"], case .array(let completed) = lists["completedapps"] else {
            Issue.record("no application lists")
            return
        }
        for (id, entry) in [(running, active.first), (finished, completed.first)] {
            let app = try #require(ApplicationPage.find(id, in: fixture.master))
            let ours = ApplicationJSON.render(app, now: fixture.now, offsetSeconds: 3600, zoneName: "CET")
            #expect(ours == entry)
        }
    }
}
