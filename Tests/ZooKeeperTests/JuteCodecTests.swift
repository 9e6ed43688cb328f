import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
import ZooKeeper

@Suite struct JuteCodecTests {
    static let create = CreateRequest(path: "/spark/leader_election/_c_x-latch-", data: [], mode: .ephemeralSequential)
    static let createWithData = CreateRequest(
        path: "/spark/master_status", data: Array("127.0.0.1".utf8),
        acl: [ACL(permissions: [.read, .write], scheme: "digest", id: "user:hash"), ACL.openACLUnsafe[0]], mode: .persistent)

    /// One request of every kind.
    static let requests: [ZooKeeperRequest] = [
        .create(createWithData),
        .create2(create),
        .createContainer(CreateRequest(path: "/spark/leader_election", mode: .container)),
        .delete(path: "/a", version: -1),
        .delete(path: "/a/b", version: 7),
        .exists(path: "/a", watch: true),
        .exists(path: "/", watch: false),
        .getData(path: "/a", watch: true),
        .setData(path: "/a", data: [0, 1, 2, 255], version: 3),
        .setData(path: "/a", data: [], version: -1),
        .getChildren(path: "/a", watch: false),
        .getChildren2(path: "/a", watch: true),
        .sync(path: "/a"),
        .multi([
            .create(createWithData), .delete(path: "/x", version: 1), .setData(path: "/y", data: [9], version: -1),
            .check(path: "/z", version: 4),
        ]),
        .multi([]),
        .ping,
        .closeSession,
        .setWatches(SetWatches(relativeZxid: 0x1234, dataWatches: ["/a", "/b"], existWatches: ["/c"], childWatches: [])),
    ]

    /// One response of every shape, with the opcode it answers.
    static let responses: [(OpCode, ZooKeeperResponse)] = [
        (.create, .create(path: "/a")),
        (.create2, .create2(path: "/a0000000001", stat: sampleStat)),
        (.createContainer, .create2(path: "/c", stat: Stat())),
        (.exists, .stat(sampleStat)),
        (.setData, .stat(sampleStat)),
        (.getData, .data(Array("hello".utf8), sampleStat)),
        (.getData, .data([], Stat())),
        (.getChildren, .children(["a", "b", "_c_1-latch-0000000001"])),
        (.getChildren, .children([])),
        (.getChildren2, .children2(["x"], sampleStat)),
        (.sync, .sync(path: "/a")),
        (.multi, .multi([.create(path: "/m"), .create2(path: "/n", stat: sampleStat), .delete, .setData(sampleStat), .check])),
        (.multi, .multi([.error(.ok), .error(.noNode), .error(.runtimeInconsistency)])),
        (.delete, .empty),
        (.closeSession, .empty),
    ]

    @Test func everyRequestRoundTrips() throws {
        for (index, request) in Self.requests.enumerated() {
            let xid = Int32(index + 1)
            var frame = payload(ofFrame: ZooKeeperPacket.request(xid: xid, request).frameBytes)
            let decoded = try ZooKeeperPacket.read(frame: &frame, isFirst: false)
            #expect(decoded == .request(xid: xid, request))
        }
    }

    @Test func everyResponseRoundTrips() throws {
        for (opCode, response) in Self.responses {
            var buffer = ByteBuffer()
            response.write(into: &buffer)
            let decoded = try ZooKeeperResponse.read(opCode: opCode, from: &buffer)
            #expect(decoded == response, "\(opCode)")
        }
    }

    @Test func handshakeRecordsRoundTrip() throws {
        let request = ConnectRequest(lastZxidSeen: 0x55, timeoutMs: 6000, sessionID: 0x0100_002B_1C72_0000, password: Array(0..<16))
        var frame = payload(ofFrame: ZooKeeperPacket.connect(request).frameBytes)
        #expect(try ZooKeeperPacket.read(frame: &frame, isFirst: true) == .connect(request))

        let response = ConnectResponse(timeoutMs: 4000, sessionID: -5, password: Array(0..<16), readOnly: true)
        var responseFrame = payload(ofFrame: ZooKeeperServerPacket.connected(response).frameBytes)
        #expect(try ConnectResponse.decode(frame: &responseFrame) == response)
    }

    @Test func connectResponseWithoutReadOnlyFlagFromOldServers() throws {
        var buffer = ByteBuffer()
        buffer.writeJuteInt(0)
        buffer.writeJuteInt(6000)
        buffer.writeJuteLong(42)
        buffer.writeJuteBuffer(Array(repeating: 7, count: 16))
        let response = try ConnectResponse.decode(frame: &buffer)
        #expect(response.readOnly == false)
        #expect(response.sessionID == 42)
    }

    @Test func headersStatAndEventsRoundTrip() throws {
        var buffer = ByteBuffer()
        sampleStat.write(into: &buffer)
        #expect(buffer.readableBytes == Stat.encodedSize)
        #expect(try Stat.read(from: &buffer) == sampleStat)

        let header = ReplyHeader(xid: -1, zxid: -1, err: 0)
        header.write(into: &buffer)
        #expect(try ReplyHeader.read(from: &buffer) == header)

        let requestHeader = RequestHeader(xid: 9, type: OpCode.getData.rawValue)
        requestHeader.write(into: &buffer)
        #expect(try RequestHeader.read(from: &buffer) == requestHeader)

        for type in [EventType.none, .nodeCreated, .nodeDeleted, .nodeDataChanged, .nodeChildrenChanged,
                     .dataWatchRemoved, .childWatchRemoved, .persistentWatchRemoved, .unknown(42)] {
            let event = WatcherEvent(type: type, state: .syncConnected, path: "/p")
            event.write(into: &buffer)
            #expect(try WatcherEvent.read(from: &buffer) == event)
        }
        for state in [KeeperState.disconnected, .syncConnected, .authFailed, .connectedReadOnly, .saslAuthenticated,
                      .closed, .expired, .unknown(99)] {
            #expect(KeeperState(rawValue: state.rawValue) == state)
        }
    }

    @Test func nullStringsAndBuffersReadAsEmpty() throws {
        var buffer = ByteBuffer()
        buffer.writeJuteString(nil)
        buffer.writeJuteInt(-1)  // null buffer
        buffer.writeJuteInt(-1)  // null vector
        #expect(try buffer.readJuteOptionalString("s") == nil)
        #expect(try buffer.readJuteBuffer("b") == [])
        #expect(try buffer.readJuteVector("v", minimumElementSize: 4) { (b, f) throws(ZooKeeperCodecError) in try b.readJuteString(f) } == [])
    }

    @Test func errorCodesKeepTheirNumbers() {
        #expect(ZooKeeperError.Code.noNode.rawValue == -101)
        #expect(ZooKeeperError.Code.nodeExists.rawValue == -110)
        #expect(ZooKeeperError.Code.notEmpty.rawValue == -111)
        #expect(ZooKeeperError.Code.badVersion.rawValue == -103)
        #expect(ZooKeeperError.Code.sessionExpired.rawValue == -112)
        #expect(ZooKeeperError.Code.connectionLoss.rawValue == -4)
        #expect(ZooKeeperError.Code.noNode.name == "NONODE")
        #expect(ZooKeeperError.Code(rawValue: -999).name == "CODE(-999)")
        #expect(CreateMode.ephemeralSequential.rawValue == 3 && CreateMode.container.rawValue == 4)
    }

    // MARK: - Hostile input

    @Test func lengthsBeyondTheFrameAreRefusedWithoutConsuming() throws {
        for length: Int32 in [100, Int32.max, -2, Int32.min] {
            var buffer = ByteBuffer()
            buffer.writeJuteInt(length)
            buffer.writeBytes([1, 2, 3])
            let before = buffer.readerIndex
            let error = #expect(throws: ZooKeeperCodecError.self) { try buffer.readJuteString("GetDataResponse.path") }
            #expect(error?.code == .invalidLength)
            #expect(error?.context == "GetDataResponse.path")
            #expect(buffer.readerIndex == before)
        }
    }

    @Test func vectorCountsAreBoundedByTheBytesLeft() throws {
        // A count of a billion names in a 12-byte frame must fail before allocating anything.
        var buffer = ByteBuffer()
        buffer.writeJuteInt(1_000_000_000)
        buffer.writeBytes([0, 0, 0, 0, 0, 0, 0, 0])
        let error = #expect(throws: ZooKeeperCodecError.self) {
            try ZooKeeperResponse.read(opCode: .getChildren, from: &buffer)
        }
        #expect(error?.code == .invalidLength)
    }

    @Test func truncatedRecordsAreTypedErrorsAndRewind() throws {
        var full = ByteBuffer()
        ZooKeeperResponse.data(Array("hello".utf8), sampleStat).write(into: &full)
        for cut in 0..<full.readableBytes {
            var slice = full.getSlice(at: 0, length: cut)!
            let error = #expect(throws: ZooKeeperCodecError.self) { try ZooKeeperResponse.read(opCode: .getData, from: &slice) }
            #expect(error?.code == .truncated || error?.code == .invalidLength, "cut at \(cut)")
        }
        // Stat fails as a whole, leaving the reader where it was.
        var short = ByteBuffer(repeating: 0, count: 67)
        #expect(throws: ZooKeeperCodecError.self) { try Stat.read(from: &short) }
        #expect(short.readableBytes == 67)
    }

    @Test func trailingBytesAreRefused() throws {
        var buffer = ByteBuffer()
        ZooKeeperResponse.create(path: "/a").write(into: &buffer)
        buffer.writeInteger(UInt8(0))
        let error = #expect(throws: ZooKeeperCodecError.self) { try ZooKeeperResponse.read(opCode: .create, from: &buffer) }
        #expect(error?.code == .trailingBytes)
    }

    @Test func unknownOpcodesAndFlagsAreRefused() throws {
        var header = ByteBuffer()
        RequestHeader(xid: 1, type: 77).write(into: &header)
        let opError = #expect(throws: ZooKeeperCodecError.self) { try ZooKeeperPacket.read(frame: &header, isFirst: false) }
        #expect(opError?.code == .unknownOpCode)

        var create = ByteBuffer()
        RequestHeader(xid: 1, type: OpCode.create.rawValue).write(into: &create)
        CreateRequest(path: "/a", mode: .persistent).write(into: &create)
        create.moveWriterIndex(to: create.writerIndex - 4)
        create.writeJuteInt(6)  // PERSISTENT_SEQUENTIAL_WITH_TTL is not supported
        let flagsError = #expect(throws: ZooKeeperCodecError.self) { try ZooKeeperPacket.read(frame: &create, isFirst: false) }
        #expect(flagsError?.code == .invalidValue)

        var multi = ByteBuffer()
        MultiResultHeaderWriter.write(type: OpCode.getData.rawValue, into: &multi)
        let multiError = #expect(throws: ZooKeeperCodecError.self) { try ZooKeeperResponse.read(opCode: .multi, from: &multi) }
        #expect(multiError?.code == .unknownOpCode)
        #expect(multiError?.context.hasPrefix("MultiResponse[0]") == true)
    }

    // MARK: - Frames

    @Test func dripFedFramesDecodeToTheirPayloads() throws {
        let packets: [ZooKeeperPacket] = Self.requests.enumerated().map { .request(xid: Int32($0.offset + 1), $0.element) }
        let pairs = packets.map { packet in
            let frame = packet.frameBytes
            return (frame, [payload(ofFrame: frame)])
        }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs, decoderFactory: { ZooKeeperFrameDecoder() })
    }

    @Test func badFrameLengthsAreRefused() throws {
        for (length, code) in [(Int32(0), ZooKeeperCodecError.Code.badFrameLength), (-1, .badFrameLength), (Int32.min, .badFrameLength),
                               (4 * 1024 * 1024 + 1, .frameTooLarge), (Int32.max, .frameTooLarge)] {
            var buffer = ByteBuffer()
            buffer.writeInteger(length)
            var decoder = ZooKeeperFrameDecoder()
            let error = #expect(throws: ZooKeeperCodecError.self) { try decoder.decode(buffer: &buffer) }
            #expect(error?.code == code, "length \(length)")
        }
    }

    @Test func oversizedFramesAreRefusedBeforeTheyArrive() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(2048))
        buffer.writeBytes([1, 2])
        var decoder = ZooKeeperFrameDecoder(maxFrameSize: 1024)
        let error = #expect(throws: ZooKeeperCodecError.self) { try decoder.decode(buffer: &buffer) }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func garbageInAPipelineClosesTheChannel() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ZooKeeperFrameDecoder()))
        // An HTTP request where a frame should be: "GET " as a length is ~1.2 GB.
        #expect(throws: ZooKeeperCodecError.self) { try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")) }
        _ = try? channel.finish()
    }

    // MARK: - Paths and connect strings

    @Test func connectStringsWithChroot() throws {
        let parsed = try ConnectString(parsing: "zk1:2181,zk2:2182, [::1]:2183,zk4/spark/ha")
        #expect(parsed.servers == [
            ZooKeeperServerAddress(host: "zk1", port: 2181), ZooKeeperServerAddress(host: "zk2", port: 2182),
            ZooKeeperServerAddress(host: "::1", port: 2183), ZooKeeperServerAddress(host: "zk4", port: 2181),
        ])
        #expect(parsed.chroot == "/spark/ha")
        #expect(try ConnectString(parsing: "h:1/").chroot == nil)
        for bad in ["", "/chroot", "h:0", "h:99999", "h:x", "h/bad/", "[::1"] {
            #expect(throws: ZooKeeperError.self, "\(bad)") { try ConnectString(parsing: bad) }
        }
    }

    @Test func pathRules() throws {
        for good in ["/", "/a", "/a/b", "/spark/leader_election/_c_1-latch-0000000001", "/ünïcode"] {
            try ZooKeeperPath.validate(good)
        }
        for bad in ["", "a", "/a/", "//a", "/a//b", "/a/./b", "/..", "/a\u{0}b", "/a\u{1F}"] {
            #expect(throws: ZooKeeperError.self, "\(bad)") { try ZooKeeperPath.validate(bad) }
        }
        try ZooKeeperPath.validate("/dir/", isSequential: true)
        #expect(ZooKeeperPath.prependChroot("/app", to: "/") == "/app")
        #expect(ZooKeeperPath.prependChroot("/app", to: "/x") == "/app/x")
        #expect(ZooKeeperPath.stripChroot("/app", from: "/app") == "/")
        #expect(ZooKeeperPath.stripChroot("/app", from: "/app/x/y") == "/x/y")
        #expect(ZooKeeperPath.stripChroot("/app", from: "/apple") == "/apple")
        #expect(ZooKeeperPath.parent(of: "/a/b") == "/a")
        #expect(ZooKeeperPath.parent(of: "/a") == "/")
        #expect(ZooKeeperPath.parent(of: "/") == nil)
    }

    @Test func uuidsLookLikeVersion4() {
        var random = ZooKeeperRandom(seed: 1)
        let uuid = random.uuidString()
        #expect(uuid.count == 36)
        let parts = uuid.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
        #expect(Array(uuid)[14] == "4")
        #expect(random.uuidString() != uuid)
    }
}

/// Writes a bare multi-result header (for hostile-input tests).
enum MultiResultHeaderWriter {
    static func write(type: Int32, into buffer: inout ByteBuffer) {
        buffer.writeJuteInt(type)
        buffer.writeJuteBool(false)
        buffer.writeJuteInt(0)
    }
}
