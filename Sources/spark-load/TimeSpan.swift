import ArgumentParser
import Foundation
import NIOCore

/// A length of time on the command line: `500ms`, `15s`, `2m`, or plain seconds (`1.5`).
struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByArgument {
    var nanoseconds: Int64

    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    static func milliseconds(_ value: Int64) -> TimeSpan { TimeSpan(nanoseconds: value * 1_000_000) }
    static func seconds(_ value: Double) -> TimeSpan { TimeSpan(nanoseconds: Int64(value * 1e9)) }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(suffix: String, nanoseconds: Double)] = [("ms", 1e6), ("s", 1e9), ("m", 60e9)]
        var number = Substring(text)
        var scale = 1e9
        for unit in units where text.hasSuffix(unit.suffix) {
            number = text.dropLast(unit.suffix.count)
            scale = unit.nanoseconds
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        nanoseconds = Int64(value * scale)
    }

    var milliseconds: Double { Double(nanoseconds) / 1e6 }
    var seconds: Double { Double(nanoseconds) / 1e9 }
    var timeAmount: TimeAmount { .nanoseconds(nanoseconds) }
    var duration: Duration { .nanoseconds(nanoseconds) }

    var description: String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        return "\(nanoseconds / 1_000_000)ms"
    }

    static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
