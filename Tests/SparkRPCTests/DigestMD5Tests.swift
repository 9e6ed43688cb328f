import NIOCore
@testable import SparkRPC
import Testing

/// The pieces of Spark's SASL authentication, checked against their RFCs' own examples. The
/// handshake itself is checked against Spark's JVM daemons and drivers (AuthenticationClusterTests).
@Suite struct DigestMD5Tests {
    @Test func md5MatchesRFC1321() {
        let cases: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (input, expected) in cases {
            #expect(DigestMD5.hex(MD5.digest(Array(input.utf8))) == expected, "\(input)")
        }
        // Block boundaries: 55, 56, 63, 64 and 65 bytes pad differently.
        for length in [55, 56, 63, 64, 65] {
            var split = MD5()
            split.update(Array(repeating: UInt8(ascii: "x"), count: length / 2))
            split.update(Array(repeating: UInt8(ascii: "x"), count: length - length / 2))
            #expect(split.finalize() == MD5.digest(Array(repeating: UInt8(ascii: "x"), count: length)))
        }
    }

    /// RFC 2831 §4: user chris, password secret, realm elwood.innosoft.com.
    @Test func responseAndServerProofMatchRFC2831() {
        let credentials = DigestMD5.Credentials(user: "chris", password: "secret")
        let response = DigestMD5.digest(
            credentials, realm: "elwood.innosoft.com", nonce: "OA6MG9tEQGm2hh", cnonce: "OA6MHXh6VqTrRk", nonceCount: "00000001",
            qop: "auth", digestURI: "imap/elwood.innosoft.com", forServer: false)
        #expect(response == "d388dad90d4bbd760a152321f2143af7")
        let rspauth = DigestMD5.digest(
            credentials, realm: "elwood.innosoft.com", nonce: "OA6MG9tEQGm2hh", cnonce: "OA6MHXh6VqTrRk", nonceCount: "00000001",
            qop: "auth", digestURI: "imap/elwood.innosoft.com", forServer: true)
        #expect(rspauth == "ea40f60335c427b5527b84dbabcdfffd")
    }

    @Test func sparksCredentialsAreBase64() {
        let credentials = DigestMD5.Credentials(secret: "secret")
        #expect(credentials.user == "c3BhcmtTYXNsVXNlcg==")
        #expect(credentials.password == "c2VjcmV0")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
        #expect(Base64.encode(Array("a".utf8)) == "YQ==")
        #expect(Base64.encode([]) == "")
    }

    /// Spark derives the password with Netty's base64, which breaks lines after 76 characters. The
    /// expected values are what `io.netty.handler.codec.base64.Base64.encode` of pyspark 4.3.0's jars
    /// printed for these secrets (each letter i of a secret is 'a' + 7i mod 26).
    @Test func longSecretsGetNettysLineBreaks() {
        func secret(_ length: Int) -> String {
            String((0..<length).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8((7 * $0) % 26))) })
        }
        let line1 = "YWhvdmNqcXhlbHN6Z251Ymlwd2RrcnlmbXRhaG92Y2pxeGVsc3pnbnViaXB3ZGtyeWZtdGFob3Zj"
        let line2 = "anF4ZWxzemdudWJpcHdka3J5Zm10YWhvdmNqcXhlbHN6Z251Ymlwd2RrcnlmbXRhaG92Y2pxeGVs"
        let expected: [(Int, String)] = [
            (56, "YWhvdmNqcXhlbHN6Z251Ymlwd2RrcnlmbXRhaG92Y2pxeGVsc3pnbnViaXB3ZGtyeWZtdGFob3Y="),
            (57, line1),
            (58, line1 + "\nag=="),
            (64, line1 + "\nanF4ZWxzeg=="),
            (114, line1 + "\n" + line2),
            (115, line1 + "\n" + line2 + "\ncw=="),
        ]
        for (length, password) in expected {
            #expect(DigestMD5.Credentials(secret: secret(length)).password == password, "\(length)")
        }
    }

    @Test func theServerTakesOnlyItsOwnServiceAndRealm() throws {
        let credentials = DigestMD5.Credentials(secret: "s3cret")
        func response(uri: String, realm: String?) -> [UInt8] {
            let digest = DigestMD5.digest(
                credentials, realm: "default", nonce: "n1", cnonce: "c1", nonceCount: "00000001", qop: "auth", digestURI: uri, forServer: false)
            let realmField = realm.map { "realm=\"\($0)\"," } ?? ""
            return Array("username=\"\(credentials.user)\",\(realmField)nonce=\"n1\",nc=00000001,cnonce=\"c1\",digest-uri=\"\(uri)\",response=\(digest),qop=auth".utf8)
        }
        for (uri, realm, reason) in [("imap/elsewhere", "default", "digest-uri"), ("null/default", nil, "wrong realm")] as [(String, String?, String)] {
            var server = DigestMD5Server(credentials: credentials, nonce: "n1")
            _ = try server.evaluate([])
            let error = #expect(throws: DigestMD5.Failure.self) { try server.evaluate(response(uri: uri, realm: realm)) }
            #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        }
        var server = DigestMD5Server(credentials: credentials, nonce: "n1")
        _ = try server.evaluate([])
        #expect(try String(decoding: server.evaluate(response(uri: "null/default", realm: "default")), as: UTF8.self).hasPrefix("rspauth="))
        // What a peer chose is logged printable and short.
        #expect(DigestMD5.printable("a\nb\u{1b}[31m" + String(repeating: "x", count: 300)).count == 200)
        #expect(!DigestMD5.printable("a\nb").contains("\n"))
    }

    @Test func directivesParseQuotedAndTokenValues() {
        let parsed = DigestMD5.directives(Array(#"realm="default",nonce="a\"b,c",qop="auth,auth-int", charset=utf-8,algorithm=md5-sess"#.utf8))
        #expect(parsed == ["realm": "default", "nonce": "a\"b,c", "qop": "auth,auth-int", "charset": "utf-8", "algorithm": "md5-sess"])
        for bad in [#"realm="unterminated"#, "novalue", #"a=1,a=2"#, #"k="v"x"#, String(repeating: "k=v,", count: 40)] {
            #expect(DigestMD5.directives(Array(bad.utf8)) == nil, "\(bad)")
        }
        #expect(DigestMD5.directives(Array(repeating: UInt8(ascii: "a"), count: 5000)) == nil)
        #expect(DigestMD5.directives([0xff, 0xfe]) == nil)
    }

    @Test func clientAndServerAgreeOnlyOnTheSameSecret() throws {
        var server = DigestMD5Server(credentials: DigestMD5.Credentials(secret: "s3cret"), nonce: "nonce-1")
        var client = DigestMD5Client(credentials: DigestMD5.Credentials(secret: "s3cret"), cnonce: "cnonce-1")
        let challenge = try server.evaluate(client.firstToken)
        let response = try #require(try client.evaluate(challenge))
        let proof = try server.evaluate(response)
        #expect(server.isComplete)
        #expect(try client.evaluate(proof) == nil)
        #expect(client.isComplete)

        var strict = DigestMD5Server(credentials: DigestMD5.Credentials(secret: "s3cret"), nonce: "nonce-2")
        var impostor = DigestMD5Client(credentials: DigestMD5.Credentials(secret: "guess"), cnonce: "cnonce-2")
        let answer = try #require(try impostor.evaluate(try strict.evaluate([])))
        #expect(throws: DigestMD5.Failure(message: "the response does not match the shared secret")) { try strict.evaluate(answer) }
        #expect(!strict.isComplete)

        // A server without the secret cannot fool the client either.
        var client2 = DigestMD5Client(credentials: DigestMD5.Credentials(secret: "s3cret"), cnonce: "cnonce-3")
        _ = try client2.evaluate(Array(#"realm="default",nonce="n",qop="auth",charset=utf-8,algorithm=md5-sess"#.utf8))
        #expect(throws: DigestMD5.Failure(message: "the server does not hold the shared secret")) {
            try client2.evaluate(Array("rspauth=00000000000000000000000000000000".utf8))
        }
        // Encryption-only servers are refused with a reason.
        var client3 = DigestMD5Client(credentials: DigestMD5.Credentials(secret: "s3cret"), cnonce: "cnonce-4")
        #expect(throws: DigestMD5.Failure.self) {
            try client3.evaluate(Array(#"realm="default",nonce="n",qop="auth-conf",charset=utf-8,algorithm=md5-sess"#.utf8))
        }
    }

    @Test func saslMessagesRoundTripAndRefuseJunk() throws {
        let message = SaslMessage(appId: "sparkSaslUser", token: Array("token".utf8))
        var encoded = message.encoded()
        #expect(Array(encoded.readableBytesView.prefix(5)) == [0xEA, 0, 0, 0, 13])
        #expect(try SaslMessage.decode(encoded) == message)
        encoded.moveWriterIndex(to: encoded.writerIndex - 1)
        #expect(throws: DigestMD5.Failure.self) { try SaslMessage.decode(encoded) }
        #expect(throws: DigestMD5.Failure.self) { try SaslMessage.decode(ByteBuffer(bytes: [0xAC, 0xED, 0, 5])) }
        var huge = ByteBuffer(bytes: [0xEA])
        huge.writeInteger(Int32.max)
        #expect(throws: DigestMD5.Failure.self) { try SaslMessage.decode(huge) }
    }
}
