/// What a daemon's web UI adds to its responses, as Spark's `HttpSecurityFilter` does for every
/// page of the master's and the workers' UIs.
public struct WebUIHeaderSettings: Sendable, Equatable {
    /// `spark.ui.contentSecurityPolicy.enabled` (true): pages carry a content security policy.
    public var contentSecurityPolicy: Bool
    /// The policy's `frame-ancestors` directive from `spark.ui.allowFramingFrom`; nil with
    /// `spark.ui.contentSecurityPolicy.frameAncestors.enabled=false`, which leaves it out.
    public var frameAncestors: String?
    /// `spark.ui.xXssProtection` ("0"): the `X-XSS-Protection` header.
    public var xssProtection: String
    /// `spark.ui.xContentTypeOptions.enabled` (true): `X-Content-Type-Options: nosniff`.
    public var contentTypeOptions: Bool
    /// `spark.ui.requestHeaderSize` (8k): the most bytes of headers a request may send.
    public var maximumRequestHeaderBytes: Int

    /// Jetty's and Spark's default request header limit.
    public static let defaultMaximumRequestHeaderBytes = 8192

    public init(
        contentSecurityPolicy: Bool = true, frameAncestors: String? = "frame-ancestors 'self'", xssProtection: String = "0",
        contentTypeOptions: Bool = true, maximumRequestHeaderBytes: Int = defaultMaximumRequestHeaderBytes
    ) {
        self.contentSecurityPolicy = contentSecurityPolicy
        self.frameAncestors = frameAncestors
        self.xssProtection = xssProtection
        self.contentTypeOptions = contentTypeOptions
        self.maximumRequestHeaderBytes = maximumRequestHeaderBytes
    }

    /// Spark's directive for a `spark.ui.allowFramingFrom` value: `'self'` alone when unset, empty
    /// or `SAMEORIGIN`; `'none'` for `DENY`; else `'self'` and the value, line breaks removed and
    /// cut at its first `;` (so a value cannot add directives of its own).
    public static func frameAncestors(allowFramingFrom value: String?) -> String {
        guard let value, value.uppercased() != "SAMEORIGIN" else { return "frame-ancestors 'self'" }
        if value.uppercased() == "DENY" { return "frame-ancestors 'none'" }
        let oneLine = String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        // Java's `trim`: code points up to U+0020 off both ends.
        let first = oneLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let source = String(String.UnicodeScalarView(
            first.unicodeScalars.drop { $0.value <= 0x20 }.reversed().drop { $0.value <= 0x20 }.reversed()))
        return source.isEmpty ? "frame-ancestors 'self'" : "frame-ancestors 'self' \(source)"
    }
}

extension SparkConf {
    /// The web UI's response headers (`spark.ui.*` as Spark's `HttpSecurityFilter` reads them).
    ///
    /// HTTPS for the master's and workers' UIs (`spark.ssl.standalone.enabled`, which falls back to
    /// `spark.ssl.enabled`, as Spark's `SSLOptions` namespaces do) is an error: Spark would serve the
    /// pages over TLS and turn the plain port into a redirect, and serving them in the clear instead
    /// would leave the operator believing they are encrypted.
    public func webUIHeaders() throws(SparkConfError) -> WebUIHeaderSettings {
        let sslKey = self["spark.ssl.standalone.enabled"] != nil ? "spark.ssl.standalone.enabled" : "spark.ssl.enabled"
        if try bool(sslKey, default: false) {
            throw SparkConfError(
                key: sslKey, value: self[sslKey] ?? "true",
                expected: "false: HTTPS for the master's and workers' web UIs is not provided (set spark.ssl.standalone.enabled=false "
                    + "to keep spark.ssl.* for applications; a Private Space's router or space-proxy terminates TLS in front of the UIs)")
        }
        let headerSize = self["spark.ui.requestHeaderSize"] ?? "8k"
        // Whole numbers only, as Spark's `byteStringAs` takes them.
        guard !headerSize.contains("."), let headerBytes = SparkConf.parseSize(headerSize, defaultUnit: .bytes), headerBytes >= 1,
              headerBytes <= Double(Int32.max)
        else {
            throw SparkConfError(key: "spark.ui.requestHeaderSize", value: headerSize, expected: "a positive size up to 2g")
        }
        let policy = try bool("spark.ui.contentSecurityPolicy.enabled", default: true)
        let ancestors = try bool("spark.ui.contentSecurityPolicy.frameAncestors.enabled", default: true)
        return WebUIHeaderSettings(
            contentSecurityPolicy: policy,
            frameAncestors: ancestors ? WebUIHeaderSettings.frameAncestors(allowFramingFrom: self["spark.ui.allowFramingFrom"]) : nil,
            xssProtection: self["spark.ui.xXssProtection"] ?? "0",
            contentTypeOptions: try bool("spark.ui.xContentTypeOptions.enabled", default: true),
            maximumRequestHeaderBytes: Int(headerBytes))
    }
}
