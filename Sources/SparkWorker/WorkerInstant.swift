/// Wall-clock time as milliseconds since the Unix epoch (the JVM's `currentTimeMillis`).
public struct WorkerInstant: Sendable, Hashable, Comparable {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (lhs: WorkerInstant, rhs: WorkerInstant) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// `yyyyMMddHHmmss` in UTC (Spark formats in the JVM's zone; a worker normally runs in UTC).
    public var compactUTC: String {
        let calendar = UTCCalendar(millisecondsSinceEpoch: millisecondsSinceEpoch)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(calendar.year, 4) + pad(calendar.month, 2) + pad(calendar.day, 2)
            + pad(calendar.hour, 2) + pad(calendar.minute, 2) + pad(calendar.second, 2)
    }
}

/// A UTC calendar date and time, computed without Foundation.
struct UTCCalendar: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(millisecondsSinceEpoch: Int64) {
        let seconds = Int(millisecondsSinceEpoch.floorDivided(by: 1000))
        var days = seconds.floorDivided(by: 86400)
        let secondOfDay = seconds - days * 86400
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        var year = 1970
        while true {
            let length = UTCCalendar.isLeap(year) ? 366 : 365
            if days < 0 {
                year -= 1
                days += UTCCalendar.isLeap(year) ? 366 : 365
            } else if days >= length {
                days -= length
                year += 1
            } else {
                break
            }
        }
        let monthLengths = [31, UTCCalendar.isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var month = 0
        while days >= monthLengths[month] {
            days -= monthLengths[month]
            month += 1
        }
        self.year = year
        self.month = month + 1
        self.day = days + 1
    }

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }
}

extension BinaryInteger {
    func floorDivided(by divisor: Self) -> Self {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
