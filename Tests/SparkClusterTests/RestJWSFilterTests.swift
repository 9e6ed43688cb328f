import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// The REST submission server behind Spark's `JWSFilter`: Spark 4.3's master and ours, given the
/// same key, let through and refuse the same requests, with tokens made by jjwt (the library
/// Spark's filter verifies them with) through the JVM oracle.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct RestJWSFilterTests {
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    @Test func bothMastersAdmitTheSameTokens() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let oracle = try JVMOracle.build(sparkHome: sparkHome)
        let key = Self.base64URL((0..<64).map { UInt8(($0 * 37 + 11) % 256) })
        let shortKey = Self.base64URL((0..<32).map { UInt8(($0 * 53 + 7) % 256) })
        let otherKey = Self.base64URL((0..<64).map { UInt8(($0 * 29 + 3) % 256) })
        func jws(_ key: String, _ alg: String, _ claims: String...) throws -> String {
            let result = try oracle.run(["jws", key, alg] + claims)
            #expect(result.status == 0, "\(result.output)")
            return try #require(result.output.split(separator: "\n").last.map(String.init))
        }
        let now = Int(Date().timeIntervalSince1970)
        let good = try jws(key, "HS256", "sub=ci")
        let parts = good.split(separator: ".").map(String.init)
        let headers: [(String, String?)] = [
            ("no header", nil),
            ("not a bearer", "Basic c3Bhcms6c3BhY2U="),
            ("bearer nothing", "Bearer "),
            ("HS256", "Bearer \(good)"),
            ("HS384", "Bearer \(try jws(key, "HS384", "sub=ci"))"),
            ("HS512", "Bearer \(try jws(key, "HS512", "sub=ci", "exp=\(now + 3600)", "nbf=\(now - 60)"))"),
            ("expired", "Bearer \(try jws(key, "HS256", "exp=\(now - 60)"))"),
            ("not yet", "Bearer \(try jws(key, "HS256", "nbf=\(now + 3600)"))"),
            ("another key", "Bearer \(try jws(otherKey, "HS256", "sub=ci"))"),
            ("short key", "Bearer \(try jws(shortKey, "HS256", "sub=ci"))"),
            ("payload changed", "Bearer \(parts[0]).\(Self.base64URL(Array(#"{"sub":"admin"}"#.utf8))).\(parts[2])"),
            ("unsigned", "Bearer \(Self.base64URL(Array(#"{"alg":"none"}"#.utf8))).\(parts[1])."),
            ("two parts", "Bearer \(parts[0]).\(parts[1])"),
            ("garbage", "Bearer !!!.???.***"),
        ]

        let filter = [
            "-Dspark.master.rest.port=0", "-Dspark.master.rest.filters=org.apache.spark.ui.JWSFilter",
            "-Dspark.org.apache.spark.ui.JWSFilter.param.secretKey=\(key)",
        ]
        let jvm = try ClusterHarness(name: "rest-jws-jvm")
        defer { jvm.stopAll() }
        let swift = try ClusterHarness(name: "rest-jws-swift")
        defer { swift.stopAll() }
        try await jvm.startJVMMaster(options: filter)
        try await swift.startMaster(options: filter)
        let jvmPort = try await jvm.masterRESTPort()
        let swiftPort = try await swift.masterRESTPort()

        var admitted: [String] = []
        for (label, authorization) in headers {
            for path in ["/v1/submissions/status/driver-20261128000000-0001", "/v1/submissions/readyz"] {
                let theirs = try await Self.get(path, port: jvmPort, authorization: authorization)
                let ours = try await Self.get(path, port: swiftPort, authorization: authorization)
                #expect(ours.status == theirs.status, "\(label) \(path): JVM \(theirs.status) \(theirs.body.prefix(300)), ours \(ours.status) \(ours.body)")
                #expect(ours.cacheControl == theirs.cacheControl, "\(label) \(path)")
                if theirs.status == 200 {
                    #expect(ours.body == theirs.body, "\(label) \(path)")
                    if path.contains("status") { admitted.append(label) }
                } else {
                    // Spark's reason, which Jetty puts in its error page.
                    let reason = ours.body.replacingOccurrences(of: "HTTP ERROR 403 ", with: "").trimmingCharacters(in: .newlines)
                    #expect(theirs.body.contains(reason), "\(label): \(reason) not in \(theirs.body.prefix(400))")
                }
            }
        }
        #expect(admitted == ["HS256", "HS384", "HS512"])
    }

    struct Answer {
        var status: Int
        var cacheControl: String?
        var body: String
    }

    static func get(_ path: String, port: Int, authorization: String?) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return Answer(status: http.statusCode, cacheControl: http.value(forHTTPHeaderField: "Cache-Control"), body: String(decoding: data, as: UTF8.self))
    }
}
