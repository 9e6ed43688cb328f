/// A packet timestamp from a capture: seconds since the Unix epoch and a sub-second part.
public struct CaptureTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// `0..<1_000_000_000`.
    public var nanoseconds: Int64
    /// Whether the capture recorded nanoseconds (otherwise microseconds).
    public var isNanosecondPrecision: Bool

    /// Normalizes `nanoseconds` into `0..<1_000_000_000`.
    public init(seconds: Int64, nanoseconds: Int64, isNanosecondPrecision: Bool = false) {
        self.seconds = seconds + nanoseconds / 1_000_000_000
        self.nanoseconds = nanoseconds % 1_000_000_000
        if self.nanoseconds < 0 {
            self.nanoseconds += 1_000_000_000
            self.seconds -= 1
        }
        self.isNanosecondPrecision = isNanosecondPrecision
    }

    public static func < (lhs: CaptureTime, rhs: CaptureTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Nanoseconds from `origin` to this time.
    public func nanoseconds(since origin: CaptureTime) -> Int64 {
        (seconds - origin.seconds) &* 1_000_000_000 &+ (nanoseconds - origin.nanoseconds)
    }

    /// Seconds since the epoch as a decimal number, exact to the capture's precision: `1795659520.123456`.
    public var epochText: String {
        "\(seconds).\(fraction)"
    }

    /// ISO 8601 in UTC: `2026-11-26T02:18:40.123456Z`.
    public var iso8601: String {
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        let (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay % 3600 / 60
        let second = secondOfDay % 60
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(fraction)Z"
    }

    public var description: String { iso8601 }

    /// Formats a duration in nanoseconds as seconds with six decimals: `9.191042`.
    public static func secondsText(nanoseconds: Int64) -> String {
        let negative = nanoseconds < 0
        let magnitude = nanoseconds.magnitude
        let whole = magnitude / 1_000_000_000
        let micros = magnitude % 1_000_000_000 / 1000
        return (negative ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - String(micros).count) + String(micros)
    }

    private var fraction: String {
        if isNanosecondPrecision {
            return pad(nanoseconds, 9)
        }
        return pad(nanoseconds / 1000, 6)
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// Proleptic Gregorian date of a day counted from 1970-01-01, walking whole years then months.
    private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        var days = daysSinceEpoch
        var year: Int64 = 1970
        // Jump whole 400-year cycles (146 097 days each) so far-off timestamps stay cheap.
        let cycles = days / 146_097
        year += cycles * 400
        days -= cycles * 146_097
        while days < 0 {
            year -= 1
            days += isLeap(year) ? 366 : 365
        }
        while days >= (isLeap(year) ? 366 : 365) {
            days -= isLeap(year) ? 366 : 365
            year += 1
        }
        let monthLengths: [Int64] = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var month: Int64 = 1
        for length in monthLengths {
            if days < length { break }
            days -= length
            month += 1
        }
        return (year, month, days + 1)
    }
}
