/// Sizes written as Spark writes them in its logs (`Utils.megabytesToString` → `bytesToString`): the
/// largest unit of which the size is at least twice, one decimal, so 1024 MiB is `1024.0 MiB` and
/// 15872 MiB `15.5 GiB`.
public enum ByteSizes {
    public static func megabytesToString(_ megabytes: Int64) -> String {
        let bytes = Double(megabytes) * 1024 * 1024
        let units: [(Double, String)] = [
            (1_152_921_504_606_846_976, "EiB"), (1_125_899_906_842_624, "PiB"), (1_099_511_627_776, "TiB"),
            (1_073_741_824, "GiB"), (1_048_576, "MiB"), (1024, "KiB"),
        ]
        for (size, unit) in units where bytes >= 2 * size {
            return "\(oneDecimal(bytes / size)) \(unit)"
        }
        return "\(oneDecimal(bytes)) B"
    }

    /// Java's `%.1f` (half up), without Foundation.
    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int64((value * 10).rounded(.toNearestOrAwayFromZero))
        return tenths < 0 ? "-\(-tenths / 10).\(-tenths % 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
