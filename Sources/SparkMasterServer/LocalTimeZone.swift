#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's time zone as the C library sees it now (`TZ`, else `/etc/localtime`), which is
/// what the JVM master uses for application ids and the dates on its pages.
struct LocalTimeZone: Equatable {
    /// Seconds east of UTC.
    var offsetSeconds: Int
    /// `UTC`, `CET`, `PDT`, ….
    var abbreviation: String

    static func current() -> LocalTimeZone {
        tzset()
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return LocalTimeZone(offsetSeconds: 0, abbreviation: "UTC") }
        let name = parts.tm_zone.map { String(cString: $0) } ?? ""
        return LocalTimeZone(offsetSeconds: Int(parts.tm_gmtoff), abbreviation: name.isEmpty ? "UTC" : name)
    }
}
