import SparkConfig
import Testing

/// `spark.ui.*` of Spark's `HttpSecurityFilter`, and HTTPS for the daemons' UIs refused.
@Suite struct WebUIHeaderSettingsTests {
    @Test func defaultsAreSparks() throws {
        let settings = try SparkConf().webUIHeaders()
        #expect(settings == WebUIHeaderSettings(contentSecurityPolicy: true, frameAncestors: "frame-ancestors 'self'", xssProtection: "0", contentTypeOptions: true))
    }

    /// The directive Spark 4.3's filter builds for each `spark.ui.allowFramingFrom` value.
    @Test(arguments: [
        (nil, "frame-ancestors 'self'"),
        ("SAMEORIGIN", "frame-ancestors 'self'"),
        ("sameorigin", "frame-ancestors 'self'"),
        ("DENY", "frame-ancestors 'none'"),
        ("deny", "frame-ancestors 'none'"),
        ("https://ops.example.com", "frame-ancestors 'self' https://ops.example.com"),
        ("  https://a.example https://b.example  ", "frame-ancestors 'self' https://a.example https://b.example"),
        ("https://ops.example.com; script-src *", "frame-ancestors 'self' https://ops.example.com"),
        ("https://ops.exa\r\nmple.com", "frame-ancestors 'self' https://ops.example.com"),
        ("; script-src *", "frame-ancestors 'self'"),
        ("", "frame-ancestors 'self'"),
        ("SAMEORIGIN ", "frame-ancestors 'self' SAMEORIGIN"),
    ] as [(String?, String)])
    func frameAncestors(_ value: String?, _ directive: String) {
        #expect(WebUIHeaderSettings.frameAncestors(allowFramingFrom: value) == directive)
    }

    @Test func settingsAreRead() throws {
        let conf = SparkConf([
            "spark.ui.allowFramingFrom": "https://ops.example.com", "spark.ui.xXssProtection": "1; mode=block",
            "spark.ui.xContentTypeOptions.enabled": "false",
        ])
        #expect(try conf.webUIHeaders() == WebUIHeaderSettings(
            contentSecurityPolicy: true, frameAncestors: "frame-ancestors 'self' https://ops.example.com", xssProtection: "1; mode=block",
            contentTypeOptions: false))
        let off = SparkConf(["spark.ui.contentSecurityPolicy.enabled": "false", "spark.ui.contentSecurityPolicy.frameAncestors.enabled": "false"])
        let settings = try off.webUIHeaders()
        #expect(!settings.contentSecurityPolicy && settings.frameAncestors == nil)
        #expect(throws: SparkConfError.self) { try SparkConf(["spark.ui.xContentTypeOptions.enabled": "maybe"]).webUIHeaders() }
        #expect(try SparkConf().webUIHeaders().maximumRequestHeaderBytes == 8192)
        #expect(try SparkConf(["spark.ui.requestHeaderSize": "32k"]).webUIHeaders().maximumRequestHeaderBytes == 32768)
        #expect(try SparkConf(["spark.ui.requestHeaderSize": "16000"]).webUIHeaders().maximumRequestHeaderBytes == 16000)
        for bad in ["0", "-1k", "lots", "3g", "8.5k"] {
            #expect(throws: SparkConfError.self, "\(bad)") { try SparkConf(["spark.ui.requestHeaderSize": bad]).webUIHeaders() }
        }
    }

    /// Spark serves the daemons' UIs over TLS with `spark.ssl.standalone.enabled`, which falls back
    /// to `spark.ssl.enabled`; these daemons do not start rather than serve them in the clear.
    @Test func httpsForTheDaemonsUIsIsRefused() throws {
        for settings in [["spark.ssl.enabled": "true"], ["spark.ssl.standalone.enabled": "true"],
                         ["spark.ssl.enabled": "false", "spark.ssl.standalone.enabled": "TRUE"]] {
            do {
                _ = try SparkConf(settings).webUIHeaders()
                Issue.record("\(settings) accepted")
            } catch {
                #expect(error.key == (settings["spark.ssl.standalone.enabled"] != nil ? "spark.ssl.standalone.enabled" : "spark.ssl.enabled"))
                #expect(error.description.contains("HTTPS for the master's and workers' web UIs is not provided"))
            }
        }
        // Applications may keep spark.ssl.* when the daemons' namespace is turned off.
        _ = try SparkConf(["spark.ssl.enabled": "true", "spark.ssl.standalone.enabled": "false"]).webUIHeaders()
        _ = try SparkConf(["spark.ssl.ui.enabled": "true", "spark.ssl.rpc.enabled": "false"]).webUIHeaders()
    }
}
