extension SparkConf {
    /// `spark.redaction.regex`'s default.
    public static let defaultRedactionPattern = "(?i)secret|password|token|access[.]?key|credential"
    /// What a redacted value is shown as.
    public static let redactionReplacement = "*********(redacted)"

    /// `pairs` with the value of each pair whose key or value matches `spark.redaction.regex`
    /// replaced (Spark: `Utils.redact(conf, kvs)`; a value can carry a secret under an innocent
    /// key, as a command line does). A pattern this runtime cannot compile redacts every value:
    /// showing a secret is the failure to avoid.
    public func redacted(_ pairs: [(String, String)]) -> [(String, String)] {
        Self.redacted(pairs, pattern: redactionPattern)
    }

    /// `spark.redaction.regex`, or its default.
    public var redactionPattern: String { self["spark.redaction.regex"] ?? Self.defaultRedactionPattern }

    /// `pairs` redacted by `pattern`, as `redacted(_:)` does.
    public static func redacted(_ pairs: [(String, String)], pattern: String) -> [(String, String)] {
        guard let regex = try? Regex(pattern) else { return pairs.map { ($0.0, redactionReplacement) } }
        return pairs.map { key, value in
            key.contains(regex) || value.contains(regex) ? (key, redactionReplacement) : (key, value)
        }
    }
}
