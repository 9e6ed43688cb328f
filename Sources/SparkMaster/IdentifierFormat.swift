/// Application and driver ids: Spark formats `spark.deploy.appIdPattern` (`app-%s-%04d`) with the
/// submit time as `yyyyMMddHHmmss` and a counter.
public enum IdentifierFormat {
    /// `yyyyMMddHHmmss` of `epochMillis` shifted by `offsetSeconds`.
    public static func timestamp(epochMillis: Int64, offsetSeconds: Int = 0) -> String {
        let (year, month, day, hour, minute, second) = civil(epochMillis: epochMillis, offsetSeconds: offsetSeconds)
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + pad(hour, 2) + pad(minute, 2) + pad(second, 2)
    }

    /// `java.util.Date.toString` (`EEE MMM dd HH:mm:ss zzz yyyy`), for the JSON `submitdate`.
    public static func javaDateString(epochMillis: Int64, offsetSeconds: Int = 0, zoneName: String = "UTC") -> String {
        let (year, month, day, hour, minute, second) = civil(epochMillis: epochMillis, offsetSeconds: offsetSeconds)
        let days = Int((epochMillis / 1000 + Int64(offsetSeconds)).floorDivided(by: 86_400))
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[((days % 7) + 7) % 7]
        return "\(weekday) \(months[month - 1]) \(pad(day, 2)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)) \(zoneName) \(year)"
    }

    /// Formats a pattern holding one `%s` and one integer conversion (`%d`, `%04d`); `nil` if the
    /// pattern has other conversions.
    public static func format(_ pattern: String, timestamp: String, number: Int) -> String? {
        var result = ""
        var index = pattern.startIndex
        var usedString = false
        var usedNumber = false
        while index < pattern.endIndex {
            let character = pattern[index]
            guard character == "%" else {
                result.append(character)
                index = pattern.index(after: index)
                continue
            }
            var cursor = pattern.index(after: index)
            guard cursor < pattern.endIndex else { return nil }
            if pattern[cursor] == "%" {
                result.append("%")
                index = pattern.index(after: cursor)
                continue
            }
            var zeroPad = false
            var width = 0
            if pattern[cursor] == "0" {
                zeroPad = true
                cursor = pattern.index(after: cursor)
            }
            while cursor < pattern.endIndex, let digit = pattern[cursor].wholeNumberValue {
                width = width * 10 + digit
                cursor = pattern.index(after: cursor)
            }
            guard cursor < pattern.endIndex else { return nil }
            switch pattern[cursor] {
            case "s" where !usedString:
                usedString = true
                result += timestamp
            case "d" where !usedNumber:
                usedNumber = true
                let digits = String(number)
                let padding = max(0, width - digits.count)
                result += String(repeating: zeroPad ? "0" : " ", count: padding) + digits
            default:
                return nil
            }
            index = pattern.index(after: cursor)
        }
        return result
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Gregorian date and time from epoch milliseconds (days-from-civil inverse).
    private static func civil(epochMillis: Int64, offsetSeconds: Int) -> (Int, Int, Int, Int, Int, Int) {
        let seconds = epochMillis.floorDivided(by: 1000) + Int64(offsetSeconds)
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthPrime + 2) / 5 + 1)
        let month = Int(monthPrime < 10 ? monthPrime + 3 : monthPrime - 9)
        let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, (secondOfDay % 3600) / 60, secondOfDay % 60)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
