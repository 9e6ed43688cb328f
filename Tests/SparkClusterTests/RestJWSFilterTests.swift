import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SparkTestKit
import Testing

/// The REST submission server behind Spark's `JWSFilter`: Spark 4.3's master and ours, given the
/// same settings, let through and refuse the same requests. The tokens come from the JVM oracle:
/// made by jjwt (the library Spark's filter verifies them with), or of any header and payload
/// text signed by the JDK's HMAC, for the cases jjwt will not make; Spark's master is the judge.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct RestJWSFilterTests {
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// One request's `Authorization` headers (none, one, or several) and a name for it.
    struct Case {
        var label: String
        var authorization: [String]
    }

    @Test(.timeLimit(.minutes(5)))
    func bothMastersAdmitTheSameTokens() async throws {
        let sparkHome = try #require(TestEnvironment.sparkHome(), "pyspark 4.3.0 is not installed: run .ci/setup")
        let oracle = try JVMOracle.build(sparkHome: sparkHome)
        func made(_ arguments: [String]) throws -> String {
            let result = try oracle.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            return try #require(result.output.split(separator: "\n").last.map(String.init))
        }
        func jws(_ key: String, _ alg: String, _ claims: String...) throws -> String { try made(["jws", key, alg] + claims) }
        func raw(_ key: String, _ mac: String, _ header: String, _ payload: String) throws -> String {
            try made(["jws-raw", key, mac, header, payload])
        }
        let key = Self.base64URL((0..<64).map { UInt8(($0 * 37 + 11) % 256) })
        let shortKey = Self.base64URL((0..<32).map { UInt8(($0 * 53 + 7) % 256) })
        let otherKey = Self.base64URL((0..<64).map { UInt8(($0 * 29 + 3) % 256) })
        let now = Int(Date().timeIntervalSince1970)
        let good = try jws(key, "HS256", "sub=ci")
        let parts = good.split(separator: ".").map(String.init)
        let hs256 = #"{"alg":"HS256"}"#
        func bearer(_ label: String, _ token: String) -> Case { Case(label: label, authorization: ["Bearer " + token]) }

        // A master with a 512-bit key.
        let wide: [Case] = [
            Case(label: "no header", authorization: []),
            Case(label: "not a bearer", authorization: ["Basic c3Bhcms6c3BhY2U="]),
            Case(label: "lower-case bearer", authorization: ["bearer " + good]),
            Case(label: "bearer nothing", authorization: ["Bearer "]),
            Case(label: "good, then garbage", authorization: ["Bearer " + good, "Bearer x.y.z"]),
            Case(label: "garbage, then good", authorization: ["Bearer x.y.z", "Bearer " + good]),
            bearer("HS256", good),
            bearer("HS384", try jws(key, "HS384", "sub=ci")),
            bearer("HS512 within its dates", try jws(key, "HS512", "sub=ci", "exp=\(now + 3600)", "nbf=\(now - 60)")),
            bearer("expired", try jws(key, "HS256", "exp=\(now - 60)")),
            bearer("not yet", try jws(key, "HS256", "nbf=\(now + 3600)")),
            bearer("another key", try jws(otherKey, "HS256", "sub=ci")),
            bearer("payload changed", "\(parts[0]).\(Self.base64URL(Array(#"{"sub":"admin"}"#.utf8))).\(parts[2])"),
            bearer("unsigned", "\(Self.base64URL(Array(#"{"alg":"none"}"#.utf8))).\(parts[1])."),
            bearer("two parts", "\(parts[0]).\(parts[1])"),
            bearer("padded signature", good + "="),
            bearer("blank inside", "\(parts[0]). \(parts[1]).\(parts[2])"),
            bearer("garbage", "!!!.???.***"),
            bearer("raw, as jjwt makes it", try raw(key, "HS256", hs256, #"{"sub":"ci"}"#)),
            bearer("lower-case algorithm", try raw(key, "HS256", #"{"alg":"hs256"}"#, #"{"sub":"ci"}"#)),
            bearer("content type", try raw(key, "HS256", #"{"alg":"HS256","cty":"JWT"}"#, #"{"sub":"ci"}"#)),
            bearer("critical header", try raw(key, "HS256", #"{"alg":"HS256","crit":["exp"]}"#, #"{"sub":"ci","exp":\#(now + 60)}"#)),
            bearer("b64 false, not critical", try raw(key, "HS256", #"{"alg":"HS256","b64":false}"#, #"{"sub":"ci"}"#)),
            bearer("b64 true", try raw(key, "HS256", #"{"alg":"HS256","b64":true}"#, #"{"sub":"ci"}"#)),
            bearer("typ a number", try raw(key, "HS256", #"{"alg":"HS256","typ":5}"#, #"{"sub":"ci"}"#)),
            bearer("sub a number", try raw(key, "HS256", hs256, #"{"sub":5}"#)),
            bearer("aud a string", try raw(key, "HS256", hs256, #"{"aud":"spark"}"#)),
            bearer("aud with a number", try raw(key, "HS256", hs256, #"{"aud":["spark",1]}"#)),
            bearer("iat a word", try raw(key, "HS256", hs256, #"{"iat":"yesterday"}"#)),
            bearer("exp as digits", try raw(key, "HS256", hs256, #"{"exp":"\#(now + 3600)"}"#)),
            bearer("exp with a fraction", try raw(key, "HS256", hs256, #"{"exp":\#(now + 3600).7}"#)),
            bearer("exp past the end of time", try raw(key, "HS256", hs256, #"{"exp":1e300}"#)),
            bearer("payload a list", try raw(key, "HS256", hs256, #"["not","claims"]"#)),
            bearer("payload a string", try raw(key, "HS256", hs256, #""text""#)),
        ]
        // A master with a 256-bit key that requires an expiration.
        let narrow: [Case] = [
            bearer("HS256 with exp", try jws(shortKey, "HS256", "exp=\(now + 3600)")),
            bearer("HS256 without exp", try jws(shortKey, "HS256", "sub=ci")),
            bearer("HS384 with a 256-bit key", try raw(shortKey, "HS384", #"{"alg":"HS384"}"#, #"{"exp":\#(now + 3600)}"#)),
            bearer("HS512 with a 256-bit key", try raw(shortKey, "HS512", #"{"alg":"HS512"}"#, #"{"exp":\#(now + 3600)}"#)),
        ]

        var admitted: [String] = []
        for (settings, cases) in [
            (["-Dspark.org.apache.spark.ui.JWSFilter.param.secretKey=\(key)"], wide),
            (["-Dspark.org.apache.spark.ui.JWSFilter.param.secretKey=\(shortKey)",
              "-Dspark.org.apache.spark.ui.JWSFilter.param.requireExpiration=TRUE"], narrow),
        ] {
            let options = ["-Dspark.master.rest.port=0", "-Dspark.master.rest.filters=org.apache.spark.ui.JWSFilter"] + settings
            let jvm = try ClusterHarness(name: "rest-jws-jvm")
            defer { jvm.stopAll() }
            let swift = try ClusterHarness(name: "rest-jws-swift")
            defer { swift.stopAll() }
            try await jvm.startJVMMaster(options: options)
            try await swift.startMaster(options: options)
            let jvmPort = try await jvm.masterRESTPort()
            let swiftPort = try await swift.masterRESTPort()
            for probe in cases {
                for path in ["/v1/submissions/status/driver-20261128000000-0001", "/v1/submissions/readyz"] {
                    let theirs = try await Self.get(path, port: jvmPort, authorization: probe.authorization)
                    let ours = try await Self.get(path, port: swiftPort, authorization: probe.authorization)
                    #expect(ours.status == theirs.status, "\(probe.label) \(path): JVM \(theirs.status) \(theirs.body.prefix(300)), ours \(ours.status) \(ours.body)")
                    #expect(ours.cacheControl == theirs.cacheControl, "\(probe.label) \(path)")
                    if theirs.status == 200 {
                        #expect(ours.body == theirs.body, "\(probe.label) \(path)")
                        if path.contains("status") { admitted.append(probe.label) }
                    } else {
                        // Spark's reason, which Jetty puts in its error page.
                        let reason = ours.body.replacingOccurrences(of: "HTTP ERROR 403 ", with: "").trimmingCharacters(in: .newlines)
                        #expect(theirs.body.contains(reason), "\(probe.label): \(reason) not in \(theirs.body.prefix(400))")
                    }
                }
            }
            jvm.stopAll()
            swift.stopAll()
        }
        // Not all refused: what Spark admits, ours admits.
        #expect(admitted.contains("HS256") && admitted.contains("HS256 with exp") && !admitted.contains("HS256 without exp"), "\(admitted)")
    }

    struct Answer {
        var status: Int
        /// Each header's first value, by lower-cased name.
        var headers: [String: String]
        var body: String
        var cacheControl: String? { headers["cache-control"] }
    }

    /// A GET with exactly these `Authorization` headers, over a plain socket (URLSession folds
    /// repeated headers into one).
    static func get(_ path: String, port: Int, authorization: [String], method: String = "GET", extraHeaders: [String] = []) async throws -> Answer {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: */*\r\nConnection: close\r\n"
        for value in authorization { request += "Authorization: \(value)\r\n" }
        for line in extraHeaders { request += line + "\r\n" }
        request += "\r\n"
        let response = try await RawHTTP.exchange(host: "127.0.0.1", port: port, request: Array(request.utf8), timeout: .seconds(20))
        let text = String(decoding: response, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { throw RawHTTP.Failure("no response head: \(text.prefix(200))") }
        let lines = text[..<headEnd.lowerBound].split(separator: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            if headers[name] == nil { headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        var body = String(text[headEnd.upperBound...])
        if lines.contains(where: { $0.lowercased() == "transfer-encoding: chunked" }) { body = RawHTTP.dechunk(body) }
        return Answer(status: status, headers: headers, body: body)
    }
}

/// One HTTP/1.1 exchange over a plain loopback socket, read until the server closes.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func exchange(host: String, port: Int, request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        try await Task.detached { try blockingExchange(host: host, port: port, request: request, timeout: timeout) }.value
    }

    private static func blockingExchange(host: String, port: Int, request: [UInt8], timeout: Duration) throws -> [UInt8] {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket: errno \(errno)") }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure("connect to \(port): errno \(errno)") }
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure("send: errno \(errno)") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while response.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else { throw Failure("recv: errno \(errno) after \(response.count) bytes") }
            response += buffer[0..<count]
        }
        return response
    }

    /// The body of a chunked response.
    static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let lineEnd = rest.range(of: "\r\n") {
            let size = Int(rest[..<lineEnd.lowerBound].split(separator: ";").first ?? "", radix: 16) ?? 0
            guard size > 0 else { break }
            let start = lineEnd.upperBound
            let bytes = rest[start...].utf8.prefix(size)
            body += String(decoding: bytes, as: UTF8.self)
            rest = rest[rest.utf8.index(start, offsetBy: size)...].dropFirst(2)
        }
        return body
    }
}
