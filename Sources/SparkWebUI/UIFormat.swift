import SparkMaster

/// How the pages write sizes, durations and times.
public enum UIFormat {
    /// A size given in MiB: `0 B`, `512 MiB`, `1.5 GiB`, `2.0 TiB`.
    public static func mebibytes<T: BinaryInteger>(_ value: T) -> String {
        let mib = Int64(value)
        if mib == 0 { return "0 B" }
        if mib < 0 { return "-" + mebibytes(-mib) }
        if mib < 1024 { return "\(mib) MiB" }
        if mib < 1024 * 1024 { return tenths(mib, unit: 1024) + " GiB" }
        return tenths(mib, unit: 1024 * 1024) + " TiB"
    }

    /// A duration: `850 ms`, `7.9 s`, `2.6 min`, `1.3 h`, `4.0 d`.
    public static func duration(milliseconds: Int64) -> String {
        let ms = max(0, milliseconds)
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return tenths(ms, unit: 1000) + " s" }
        if ms < 3_600_000 { return tenths(ms, unit: 60_000) + " min" }
        if ms < 86_400_000 { return tenths(ms, unit: 3_600_000) + " h" }
        return tenths(ms, unit: 86_400_000) + " d"
    }

    /// `yyyy/MM/dd HH:mm:ss` of epoch milliseconds in a zone `offsetSeconds` from UTC.
    public static func dateTime(epochMillis: Int64, offsetSeconds: Int) -> String {
        // IdentifierFormat gives `yyyyMMddHHmmss`; split it.
        let digits = Array(IdentifierFormat.timestamp(epochMillis: epochMillis, offsetSeconds: offsetSeconds))
        guard digits.count >= 14 else { return String(digits) }
        let year = String(digits[0..<(digits.count - 10)])
        let rest = digits[(digits.count - 10)...].map(String.init)
        return "\(year)/\(rest[0])\(rest[1])/\(rest[2])\(rest[3]) \(rest[4])\(rest[5]):\(rest[6])\(rest[7]):\(rest[8])\(rest[9])"
    }

    /// `value / unit` rounded to one decimal, e.g. `1.5`.
    static func tenths(_ value: Int64, unit: Int64) -> String {
        let scaled = (value * 10 + unit / 2) / unit
        return "\(scaled / 10).\(scaled % 10)"
    }
}
