import Foundation
import NIOCore
import NIOEmbedded
import NIOPosix
import SparkModel
import SparkProtocol
@testable import SparkRPC
import SparkTransport
import Testing

/// `spark.network.crypto.enabled`: Spark's AES-based handshake between our environments, the
/// fallbacks to SASL each way, refusals, and the AES-CTR stream. Interop with the JVM's side of the
/// same protocol is in `AuthenticationClusterTests`.
@Suite struct NetworkCryptoTests {
    static let secret = String(repeating: "0123456789abcdef", count: 4)

    static func environment(secret: String = secret, crypto: NetworkCrypto?) async throws -> RpcEnv {
        try await RpcEnv.start(configuration: .init(
            bindHost: "127.0.0.1", port: 0, connectTimeout: .seconds(5),
            authentication: RpcAuthentication(secret: secret, handshakeTimeoutSeconds: 10, crypto: crypto)))
    }

    static func verify(from client: RpcEnv, to server: RpcEnv) async throws {
        let verifier = RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: server.address, name: RpcDispatcher.verifierName))
        for name in ["endpoint-verifier", "Master"] {
            let reply = try await client.ask(.checkExistence(CheckExistence(name: name)), to: verifier, timeout: .seconds(10))
            #expect(reply == .boolean(name == "endpoint-verifier"))
        }
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// NIST SP 800-38A, F.5.1 (CTR-AES128.Encrypt), fed in every split of the stream into three pieces.
    @Test func theCounterModeStreamMatchesTheStandardVectorsHoweverItIsSplit() {
        let key = Self.hex("2b7e151628aed2a6abf7158809cf4f3c")
        let iv = Self.hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        let plaintext = Self.hex(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
        let ciphertext = Self.hex(
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")
        for first in stride(from: 0, through: 64, by: 3) {
            for second in stride(from: first, through: 64, by: 5) {
                var stream = CtrStream(key: key, iv: iv)
                var output: [UInt8] = []
                for range in [0..<first, first..<second, second..<64] {
                    var piece = ByteBuffer(bytes: plaintext[range])
                    stream.apply(&piece)
                    output += piece.readableBytesView
                }
                #expect(output == ciphertext, "split at \(first), \(second)")
            }
        }
        // The counter is 128 bits: after all ones comes zero.
        var wrapping = CtrStream(key: key, iv: [UInt8](repeating: 0xFF, count: 16))
        var twoBlocks = ByteBuffer(repeating: 0, count: 32)
        wrapping.apply(&twoBlocks)
        var fromZero = CtrStream(key: key, iv: [UInt8](repeating: 0, count: 16))
        var oneBlock = ByteBuffer(repeating: 0, count: 16)
        fromZero.apply(&oneBlock)
        #expect(Array(twoBlocks.readableBytesView.dropFirst(16)) == Array(oneBlock.readableBytesView))
    }

    /// Both sides agree on the session keys and each one's encryption is the other's decryption.
    @Test func theHandshakeGivesBothSidesTheSameKeysForEitherEngineVersion() throws {
        for version in [1, 2] {
            let crypto = NetworkCrypto(authEngineVersion: version)
            var client = AuthEngine(appId: "app-20261127-0001", secret: Self.secret, crypto: crypto)
            let challenge = try client.challenge()
            let server = AuthEngine(appId: challenge.appId, secret: Self.secret, crypto: crypto)
            let (response, serverKeys) = try server.respond(to: challenge)
            let clientKeys = try client.finish(challenge: challenge, response: response)
            #expect(clientKeys.key == serverKeys.key)
            #expect(clientKeys.key.count == (version == 1 ? 32 : 16))
            #expect(clientKeys.encryptionIV == serverKeys.decryptionIV && clientKeys.decryptionIV == serverKeys.encryptionIV)
            #expect(clientKeys.encryptionIV != clientKeys.decryptionIV)
            // The wire form reads back as it was.
            #expect(try AuthMessage.decode(challenge.encoded) == challenge)

            let stranger = AuthEngine(appId: challenge.appId, secret: Self.secret + "x", crypto: crypto)
            #expect(throws: AuthEngine.Failure.self) { _ = try stranger.respond(to: challenge) }
            // A response bound to another challenge does not decrypt.
            var other = AuthEngine(appId: "app-20261127-0001", secret: Self.secret, crypto: crypto)
            let otherChallenge = try other.challenge()
            #expect(throws: AuthEngine.Failure.self) { _ = try other.finish(challenge: otherChallenge, response: response) }
        }
    }

    /// GCM messages of every size around a segment's, back to back, read back in pieces of any size;
    /// a changed byte or length is refused.
    @Test func gcmMessagesReadBackWhateverTheirSizeAndSplitAndRefuseTampering() throws {
        for keySize in [16, 32] {
            let key = (0..<keySize).map { UInt8($0 * 7 & 0xFF) }
            let cipher = GcmMessageCipher(key: key)
            let segment = GcmMessageCipher.plaintextSegmentSize
            let sizes = [0, 1, segment - 1, segment, segment + 1, 2 * segment, 100_000]
            var plaintext: [UInt8] = []
            var wire = ByteBuffer()
            for (index, size) in sizes.enumerated() {
                let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                plaintext += message
                var sealed = try cipher.seal(ByteBuffer(bytes: message), allocator: ByteBufferAllocator())
                let full = size / segment, partial = size % segment
                #expect(sealed.readableBytes == 8 + cipher.headerLength + full * 32768 + (partial > 0 ? partial + 16 : 0))
                #expect(sealed.getInteger(at: sealed.readerIndex, as: Int64.self) == Int64(sealed.readableBytes))
                wire.writeBuffer(&sealed)
            }
            for step in [1, 7, 4096, 65536, wire.readableBytes] where step > 1 || keySize == 16 {
                var opener = GcmMessageCipher.Opener(cipher: cipher)
                var output = ByteBuffer()
                var input = wire
                while input.readableBytes > 0 {
                    var piece = input.readSlice(length: min(step, input.readableBytes))!
                    try opener.open(&piece, into: &output)
                }
                #expect(Array(output.readableBytesView) == plaintext, "key \(keySize), pieces of \(step)")
            }
            // One changed byte in the salt, the ciphertext or the tag of a message with content: it
            // does not authenticate. (The first message is empty: it has no segment to change.)
            let second = 8 + cipher.headerLength
            for offset in [second + 9, second + 8 + cipher.headerLength, second + 8 + cipher.headerLength + 16, wire.readableBytes / 2] {
                var tampered = wire
                tampered.setInteger(tampered.getInteger(at: offset, as: UInt8.self)! ^ 0x40, at: offset)
                var opener = GcmMessageCipher.Opener(cipher: cipher)
                var output = ByteBuffer()
                #expect(throws: GcmMessageCipher.Failure.self) { try opener.open(&tampered, into: &output) }
            }
            // A length too small for a header is refused at once.
            var short = ByteBuffer()
            short.writeInteger(Int64(3))
            var opener = GcmMessageCipher.Opener(cipher: cipher)
            var output = ByteBuffer()
            #expect(throws: GcmMessageCipher.Failure.self) { try opener.open(&short, into: &output) }
        }
        // Another key does not open it.
        var sealed = try GcmMessageCipher(key: [UInt8](repeating: 1, count: 16)).seal(ByteBuffer(bytes: [1, 2, 3]), allocator: ByteBufferAllocator())
        var opener = GcmMessageCipher.Opener(cipher: GcmMessageCipher(key: [UInt8](repeating: 2, count: 16)))
        var output = ByteBuffer()
        #expect(throws: GcmMessageCipher.Failure.self) { try opener.open(&sealed, into: &output) }
    }

    @Test(arguments: [NetworkCrypto.Cipher.ctr, .gcm])
    func environmentsWithCryptoTalkForEitherEngineVersion(cipher: NetworkCrypto.Cipher) async throws {
        for version in [1, 2] {
            let crypto = NetworkCrypto(cipher: cipher, authEngineVersion: version, saslFallback: false)
            let server = try await Self.environment(crypto: crypto)
            let client = try await Self.environment(crypto: crypto)
            try await Self.verify(from: client, to: server)
            // And back over the connection the client opened.
            #expect(server.connections.count == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test func fallbacksToSaslFollowTheSettingsOfEachSide() async throws {
        let strict = try await Self.environment(crypto: NetworkCrypto(saslFallback: false))
        let lenient = try await Self.environment(crypto: NetworkCrypto())
        let saslOnly = try await Self.environment(crypto: nil)
        let stranger = try await Self.environment(secret: Self.secret + "x", crypto: NetworkCrypto())
        defer { Task { for env in [strict, lenient, saslOnly, stranger] { await env.shutdown() } } }

        // A client with crypto and fallback on a SASL-only server goes on with SASL; a SASL client
        // is accepted by a server with crypto and fallback.
        try await Self.verify(from: lenient, to: saslOnly)
        try await Self.verify(from: saslOnly, to: lenient)
        // Without fallback on either side, the other protocol is refused, promptly and with the reason.
        let noSasl = await #expect(throws: RpcError.self) { _ = try await saslOnly.connection(to: strict.address) }
        #expect(noSasl?.message.contains("spark.network.crypto.saslFallback=false") == true, "\(String(describing: noSasl))")
        let noAes = await #expect(throws: RpcError.self) { _ = try await strict.connection(to: saslOnly.address) }
        #expect(noAes?.message.contains("spark.network.crypto.enabled is not set") == true, "\(String(describing: noAes))")
        // Another secret fails in the AES handshake, and (with fallback) in SASL after it.
        let started = ContinuousClock.now
        await #expect(throws: RpcError.self) { _ = try await stranger.connection(to: strict.address) }
        await #expect(throws: RpcError.self) { _ = try await stranger.connection(to: lenient.address) }
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(strict.connections.isEmpty)
    }

    /// Raw requests to a server with crypto: malformed messages get a failure and a closed connection.
    @Test func malformedChallengesAreRefusedAndTheConnectionCloses() async throws {
        let server = try await Self.environment(crypto: NetworkCrypto(saslFallback: false))
        defer { Task { await server.shutdown() } }
        let valid = try {
            var engine = AuthEngine(appId: "sparkSaslUser", secret: Self.secret, crypto: NetworkCrypto())
            return try engine.challenge()
        }()
        var oversized = valid
        oversized.salt = [UInt8](repeating: 1, count: 4096)
        var truncated = valid.encoded
        truncated.moveWriterIndex(to: truncated.writerIndex - 3)
        var trailing = valid.encoded
        trailing.writeInteger(UInt8(0))
        var negative = ByteBuffer(bytes: [AuthMessage.tag])
        negative.writeInteger(Int32(-1))
        var tampered = valid
        tampered.ciphertext[20] ^= 1
        for (name, body) in [("oversized", oversized.encoded), ("truncated", truncated), ("trailing", trailing),
                             ("negative length", negative), ("tampered", tampered.encoded)] {
            let replies = try await exchangeFrames(with: server, [.rpcRequest(requestId: 5, body: body), .rpcRequest(requestId: 6, body: valid.encoded)])
            #expect(replies.count == 1, "\(name): \(replies)")
            if case .rpcFailure(5, _) = replies.first {} else { Issue.record("\(name): expected an RpcFailure, got \(replies)") }
        }
        #expect(server.connections.isEmpty)
    }

    /// A file region of several pieces and the writes behind it come out encrypted, in order, one
    /// piece at a time: the next piece is read once the last has been written.
    @Test(arguments: [NetworkCrypto.Cipher.ctr, .gcm])
    func aFileRegionIsSentPieceByPieceAndWhatFollowsWaits(cipher: NetworkCrypto.Cipher) throws {
        let keys = AuthEngine.SessionKeys(
            key: (0..<32).map { UInt8($0) }, encryptionIV: [UInt8](repeating: 3, count: 16), decryptionIV: [UInt8](repeating: 4, count: 16))
        let size = 2 * TransportCipherHandler.filePieceSize + 12_345
        let content = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cipher-region-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(content))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try NIOFileHandle(_deprecatedPath: path)
        defer { try? handle.close() }

        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        try channel.pipeline.syncOperations.addHandler(TransportCipherHandler(keys: keys, cipher: cipher))
        // Ten bytes off the start, as a block at an offset in its data file; behind it a buffer and
        // small regions, as a shuffle connection queues chunk replies.
        let writes: [IOData] = [
            .fileRegion(FileRegion(fileHandle: handle, readerIndex: 10, endIndex: size)),
            .byteBuffer(ByteBuffer(bytes: Array("after".utf8))),
            .fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: 100)),
            .fileRegion(FileRegion(fileHandle: handle, readerIndex: 100, endIndex: 300)),
            .byteBuffer(ByteBuffer(bytes: Array("end".utf8))),
        ]
        let expected = Array(content[10...]) + Array("after".utf8) + Array(content[0..<300]) + Array("end".utf8)
        let promises = writes.map { _ in channel.eventLoop.makePromise(of: Void.self) }
        for (data, promise) in zip(writes, promises) { channel.write(data, promise: promise) }
        channel.flush()
        channel.embeddedEventLoop.run()
        for promise in promises { try promise.futureResult.wait() }

        var pieces = 0
        var wire = ByteBuffer()
        while var piece = try channel.readOutbound(as: IOData.self).flatMap({ data -> ByteBuffer? in
            if case .byteBuffer(let buffer) = data { return buffer }
            return nil
        }) {
            pieces += 1
            wire.writeBuffer(&piece)
        }
        #expect(pieces == 7)
        var plaintext = ByteBuffer()
        switch cipher {
        case .ctr:
            var stream = CtrStream(key: keys.key, iv: keys.encryptionIV)
            stream.apply(&wire)
            plaintext = wire
        case .gcm:
            var opener = GcmMessageCipher.Opener(cipher: GcmMessageCipher(key: keys.key))
            try opener.open(&wire, into: &plaintext)
        }
        #expect(Array(plaintext.readableBytesView) == expected)
    }

    /// A challenge with a plaintext request behind it in the same write (as a replay of a seen
    /// challenge would be): the server refuses to switch to encryption, so the request is never read.
    @Test func bytesBehindTheChallengeAreRefusedNotReadInTheClear() async throws {
        let server = try await Self.environment(crypto: NetworkCrypto(saslFallback: false))
        defer { Task { await server.shutdown() } }
        server.register("Master", RecordingEndpoint())
        var engine = AuthEngine(appId: "sparkSaslUser", secret: Self.secret, crypto: NetworkCrypto())
        let challenge = try engine.challenge()
        let request = RequestMessage(
            senderAddress: RpcAddress(host: "127.0.0.1", port: 9999), receiverAddress: nil, endpointName: "Master",
            content: ByteBuffer(bytes: [0xAC, 0xED, 0x00, 0x05, 0x74, 0x00, 0x01, 0x78])
        ).serialized()
        var bytes = ByteBuffer()
        TransportFrameEncoder.write(.rpcRequest(requestId: 5, body: challenge.encoded), into: &bytes)
        TransportFrameEncoder.write(.oneWayMessage(body: request), into: &bytes)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: Int(server.address.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TransportFrameDecoder()))
                    return try NIOAsyncChannel<TransportFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let replies = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(bytes)
            var replies: [TransportFrame] = []
            do { for try await frame in inbound { replies.append(frame) } } catch {}
            return replies
        }
        #expect(replies.count == 1, "\(replies)")
        if case .rpcFailure(5, let reason) = replies.first {
            #expect(reason.contains("bytes followed the AES challenge"))
        } else {
            Issue.record("expected an RpcFailure, got \(replies)")
        }
        // No connection reached the dispatcher, so the request reached no endpoint.
        #expect(server.connections.isEmpty)
    }
}

/// Sends `frames` to `server` one by one on a new connection, each after the reply to the last;
/// returns the replies, up to the server closing the connection.
func exchangeFrames(with server: RpcEnv, _ frames: [TransportFrame]) async throws -> [TransportFrame] {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: Int(server.address.port)) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TransportFrameDecoder()))
                return try NIOAsyncChannel<TransportFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        var replies: [TransportFrame] = []
        var iterator = inbound.makeAsyncIterator()
        for frame in frames {
            var buffer = ByteBuffer()
            TransportFrameEncoder.write(frame, into: &buffer)
            do { try await outbound.write(buffer) } catch { break }
            // A server that closed may also reset the connection.
            guard let reply = try? await iterator.next() else { break }
            replies.append(reply)
        }
        return replies
    }
}
