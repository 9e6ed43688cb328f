import Foundation
@testable import SparkMasterServer
import Testing

/// The master's time zone (application ids, page dates) comes from the C library, as the JVM's does,
/// and agrees with Foundation's full time-zone database (which the daemon does not link).
@Suite(.serialized) struct LocalTimeZoneTests {
    /// Runs `body` with `TZ` set, restoring it (and the C library's cached zone) afterwards.
    private func withTZ(_ value: String, _ body: () throws -> Void) rethrows {
        let saved = getenv("TZ").map { String(cString: $0) }
        setenv("TZ", value, 1)
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
        }
        try body()
    }

    /// Offsets agree with Foundation's zone database; abbreviations are the short names Java prints
    /// in dates (`Thu Nov 26 09:12:03 CET 2026`).
    @Test(arguments: [
        ("UTC", ["UTC"]), ("Asia/Kolkata", ["IST"]), ("America/St_Johns", ["NST", "NDT"]),
        ("Europe/Berlin", ["CET", "CEST"]), ("America/Los_Angeles", ["PST", "PDT"]),
    ])
    func offsetAndAbbreviation(identifier: String, abbreviations: [String]) throws {
        try withTZ(identifier) {
            let zone = try #require(TimeZone(identifier: identifier))
            let local = LocalTimeZone.current()
            #expect(local.offsetSeconds == zone.secondsFromGMT(for: Date()))
            #expect(abbreviations.contains(local.abbreviation))
        }
    }

    @Test func fixedOffsetRules() {
        withTZ("<+0545>-5:45") {
            #expect(LocalTimeZone.current() == LocalTimeZone(offsetSeconds: 20_700, abbreviation: "+0545"))
        }
        withTZ("UTC0") {
            #expect(LocalTimeZone.current() == LocalTimeZone(offsetSeconds: 0, abbreviation: "UTC"))
        }
    }
}
