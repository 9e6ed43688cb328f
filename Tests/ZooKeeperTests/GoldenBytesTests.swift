import NIOCore
import Testing
import ZooKeeper

/// Frames captured with tcpdump on loopback between the Java client and server of Apache
/// ZooKeeper 3.8.0 (Debian `zookeeper` 3.8.0-11+deb12u2), the client issuing Spark's and Curator's
/// calls: exists on a missing node, persistent/container/ephemeral-sequential creates (create,
/// createContainer, create2), getChildren2/getChildren, getData with a watch then setData
/// (NodeDataChanged), exists with a watch then delete (NodeDeleted), getChildren with a watch then
/// a create (NodeChildrenChanged), a successful and a failing multi, NOTEMPTY, BADVERSION, a ping
/// after 2.6 s idle, closeSession; then a second connection resuming the closed session.
enum Golden {
    /// Client → server, connection 1, in order (frame 0 is the ConnectRequest).
    static let client: [String] = [
        "0000002d000000000000000000000000000017700000000000000000000000100000000000000000000000000000000000",
        "000000130000000100000003000000062f737061726b00",
        "000000350000000200000001000000062f737061726b00000000000000010000001f00000005776f726c6400000006616e796f6e6500000000",
        "000000450000000300000013000000162f737061726b2f6c65616465725f656c656374696f6e00000000000000010000001f00000005776f726c6400000006616e796f6e6500000004",
        "00000074000000040000000f000000452f737061726b2f6c65616465725f656c656374696f6e2f5f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d00000000000000010000001f00000005776f726c6400000006616e796f6e6500000003",
        "00000023000000050000000c000000162f737061726b2f6c65616465725f656c656374696f6e00",
        "000000230000000600000008000000162f737061726b2f6c65616465725f656c656374696f6e00",
        "0000004c0000000700000001000000142f737061726b2f6d61737465725f737461747573000000093132372e302e302e31000000010000001f00000005776f726c6400000006616e796f6e6500000000",
        "000000210000000800000004000000142f737061726b2f6d61737465725f73746174757301",
        "000000290000000900000005000000142f737061726b2f6d61737465725f7374617475730000000178ffffffff",
        "0000005c0000000a000000030000004f2f737061726b2f6c65616465725f656c656374696f6e2f5f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d3030303030303030303001",
        "0000005f0000000b000000020000004f2f737061726b2f6c65616465725f656c656374696f6e2f5f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d30303030303030303030ffffffff",
        "000000130000000c00000008000000062f737061726b01",
        "0000003b0000000d000000010000000c2f737061726b2f6368696c6400000000000000010000001f00000005776f726c6400000006616e796f6e6500000000",
        "000000b40000000e0000000e0000000100ffffffff000000092f737061726b2f6d31000000016d000000010000001f00000005776f726c6400000006616e796f6e65000000000000000500ffffffff000000142f737061726b2f6d61737465725f7374617475730000000179ffffffff0000000d00ffffffff000000142f737061726b2f6d61737465725f737461747573000000020000000200ffffffff000000092f737061726b2f6d31ffffffffffffffff01ffffffff",
        "000000900000000f0000000e0000000100ffffffff000000092f737061726b2f6d3200000000000000010000001f00000005776f726c6400000006616e796f6e65000000000000000200ffffffff0000000b2f737061726b2f6e6f7065ffffffff0000000500ffffffff000000142f737061726b2f6d61737465725f737461747573000000017affffffffffffffff01ffffffff",
        "000000160000001000000002000000062f737061726bffffffff",
        "000000290000001100000005000000142f737061726b2f6d61737465725f737461747573000000017100000063",
        "00000008fffffffe0000000b",
        "0000000800000012fffffff5",
    ]

    /// Server → client, connection 1, in order (notifications interleave with replies).
    static let server: [String] = [
        "0000002500000000000017700100002b1c720000000000103ce0207019935ad37ae3c54e8abfbb6a00",
        "00000010000000010000000000000001ffffff9b",
        "0000001a00000002000000000000000200000000000000062f737061726b",
        "0000006e00000003000000000000000300000000000000162f737061726b2f6c65616465725f656c656374696f6e00000000000000030000000000000003000001a215cdc7dd000001a215cdc7dd000000000000000000000000000000000000000000000000000000000000000000000003",
        "000000a7000000040000000000000004000000000000004f2f737061726b2f6c65616465725f656c656374696f6e2f5f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d3030303030303030303000000000000000040000000000000004000001a215cdc7e2000001a215cdc7e20000000000000000000000000100002b1c72000000000000000000000000000000000004",
        "000000940000000500000000000000040000000000000001000000385f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d3030303030303030303000000000000000030000000000000003000001a215cdc7dd000001a215cdc7dd000000000000000100000000000000000000000000000000000000010000000000000004",
        "000000500000000600000000000000040000000000000001000000385f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d30303030303030303030",
        "0000002800000007000000000000000500000000000000142f737061726b2f6d61737465725f737461747573",
        "0000006100000008000000000000000500000000000000093132372e302e302e3100000000000000050000000000000005000001a215cdc7ee000001a215cdc7ee000000000000000000000000000000000000000000000009000000000000000000000005",
        "00000030ffffffffffffffffffffffff000000000000000300000003000000142f737061726b2f6d61737465725f737461747573",
        "000000540000000900000000000000060000000000000000000000050000000000000006000001a215cdc7ee000001a215cdc7f8000000010000000000000000000000000000000000000001000000000000000000000005",
        "000000540000000a00000000000000060000000000000000000000040000000000000004000001a215cdc7e2000001a215cdc7e20000000000000000000000000100002b1c72000000000000000000000000000000000004",
        "0000006bffffffffffffffffffffffff0000000000000002000000030000004f2f737061726b2f6c65616465725f656c656374696f6e2f5f635f36646234306561642d306236662d343339392d616632382d6134623064613861666533332d6c617463682d30303030303030303030",
        "000000100000000b000000000000000700000000",
        "000000380000000c000000000000000700000000000000020000000f6c65616465725f656c656374696f6e0000000d6d61737465725f737461747573",
        "00000022ffffffffffffffffffffffff000000000000000400000003000000062f737061726b",
        "000000200000000d0000000000000008000000000000000c2f737061726b2f6368696c64",
        "0000008e0000000e000000000000000900000000000000010000000000000000092f737061726b2f6d3100000005000000000000000000000000050000000000000009000001a215cdc7ee000001a215cdc8150000000200000000000000000000000000000000000000010000000000000000000000050000000d0000000000000000020000000000ffffffff01ffffffff",
        "000000400000000f000000000000000a00000000ffffffff000000000000000000ffffffff00ffffff9bffffff9bffffffff00fffffffefffffffeffffffff01ffffffff",
        "0000001000000010000000000000000bffffff91",
        "0000001000000011000000000000000cffffff99",
        "00000010fffffffe000000000000000c00000000",
        "0000001000000012000000000000000d00000000",
    ]

    /// Connection 2: resuming the closed session, and the server's "expired" answer (timeout 0).
    static let resumeRequest = "0000002d000000000000000000000000000017700100002b1c720000000000103ce0207019935ad37ae3c54e8abfbb6a00"
    static let expiredResponse = "0000002500000000000000000000000000000000000000100000000000000000000000000000000000"

    static let sessionID: Int64 = 0x0100_002B_1C72_0000
    static let password: [UInt8] = Array(hexBuffer("3ce0207019935ad37ae3c54e8abfbb6a").readableBytesView)
    static let latchPrefix = "/spark/leader_election/_c_6db40ead-0b6f-4399-af28-a4b0da8afe33-latch-"
    static let latchNode = latchPrefix + "0000000000"
    static let open = ACL.openACLUnsafe

    /// The requests behind client frames 1…17, as our API spells them.
    static let requests: [ZooKeeperRequest] = [
        .exists(path: "/spark", watch: false),
        .create(CreateRequest(path: "/spark", mode: .persistent)),
        .createContainer(CreateRequest(path: "/spark/leader_election", mode: .container)),
        .create2(CreateRequest(path: latchPrefix, mode: .ephemeralSequential)),
        .getChildren2(path: "/spark/leader_election", watch: false),
        .getChildren(path: "/spark/leader_election", watch: false),
        .create(CreateRequest(path: "/spark/master_status", data: Array("127.0.0.1".utf8), mode: .persistent)),
        .getData(path: "/spark/master_status", watch: true),
        .setData(path: "/spark/master_status", data: Array("x".utf8), version: -1),
        .exists(path: latchNode, watch: true),
        .delete(path: latchNode, version: -1),
        .getChildren(path: "/spark", watch: true),
        .create(CreateRequest(path: "/spark/child", mode: .persistent)),
        .multi([
            .create(CreateRequest(path: "/spark/m1", data: Array("m".utf8), mode: .persistent)),
            .setData(path: "/spark/master_status", data: Array("y".utf8), version: -1),
            .check(path: "/spark/master_status", version: 2),
            .delete(path: "/spark/m1", version: -1),
        ]),
        .multi([
            .create(CreateRequest(path: "/spark/m2", mode: .persistent)),
            .delete(path: "/spark/nope", version: -1),
            .setData(path: "/spark/master_status", data: Array("z".utf8), version: -1),
        ]),
        .delete(path: "/spark", version: -1),
        .setData(path: "/spark/master_status", data: Array("q".utf8), version: 99),
    ]
}

@Suite struct GoldenBytesTests {
    @Test func ourRequestsAreByteIdenticalToTheJavaClient() {
        for (index, request) in Golden.requests.enumerated() {
            let ours = ZooKeeperPacket.request(xid: Int32(index + 1), request).frameBytes
            #expect(ours.hexString == Golden.client[index + 1], "request \(index + 1): \(request.opCode)")
        }
        let connect = ZooKeeperPacket.connect(ConnectRequest(lastZxidSeen: 0, timeoutMs: 6000, sessionID: 0, password: Array(repeating: 0, count: 16)))
        #expect(connect.frameBytes.hexString == Golden.client[0])
        #expect(ZooKeeperPacket.request(xid: -2, .ping).frameBytes.hexString == Golden.client[18])
        #expect(ZooKeeperPacket.request(xid: 18, .closeSession).frameBytes.hexString == Golden.client[19])
    }

    @Test func javaClientFramesDecodeToTheSameRequests() throws {
        for (index, request) in Golden.requests.enumerated() {
            var frame = payload(ofFrame: hexBuffer(Golden.client[index + 1]))
            #expect(try ZooKeeperPacket.read(frame: &frame, isFirst: false) == .request(xid: Int32(index + 1), request))
        }
    }

    @Test func serverRepliesDecode() throws {
        var connect = payload(ofFrame: hexBuffer(Golden.server[0]))
        let connected = try ConnectResponse.decode(frame: &connect)
        #expect(connected == ConnectResponse(timeoutMs: 6000, sessionID: Golden.sessionID, password: Golden.password, readOnly: false))

        func reply(_ index: Int, _ opCode: OpCode) throws -> (ReplyHeader, ZooKeeperResponse?) {
            var frame = payload(ofFrame: hexBuffer(Golden.server[index]))
            let header = try ReplyHeader.read(from: &frame)
            guard header.err == 0 else {
                #expect(frame.readableBytes == 0)
                return (header, nil)
            }
            return (header, try ZooKeeperResponse.read(opCode: opCode, from: &frame))
        }

        let missing = try reply(1, .exists)
        #expect(missing.0 == ReplyHeader(xid: 1, zxid: 1, err: ZooKeeperError.Code.noNode.rawValue))
        #expect(try reply(2, .create).1 == .create(path: "/spark"))

        guard case .create2(let container, let containerStat)? = try reply(3, .createContainer).1 else {
            Issue.record("createContainer reply")
            return
        }
        #expect(container == "/spark/leader_election")
        #expect(containerStat.czxid == 3 && containerStat.ephemeralOwner == 0 && containerStat.ctime == 0x01A2_15CD_C7DD)

        guard case .create2(let latch, let latchStat)? = try reply(4, .create2).1 else {
            Issue.record("create2 reply")
            return
        }
        #expect(latch == Golden.latchNode)
        #expect(latchStat.ephemeralOwner == Golden.sessionID)

        guard case .children2(let names, let parentStat)? = try reply(5, .getChildren2).1 else {
            Issue.record("getChildren2 reply")
            return
        }
        #expect(names == ["_c_6db40ead-0b6f-4399-af28-a4b0da8afe33-latch-0000000000"])
        #expect(parentStat.numChildren == 1 && parentStat.cversion == 1 && parentStat.pzxid == 4)
        #expect(try reply(6, .getChildren).1 == .children(names))

        guard case .data(let data, let dataStat)? = try reply(8, .getData).1 else {
            Issue.record("getData reply")
            return
        }
        #expect(data == Array("127.0.0.1".utf8) && dataStat.dataLength == 9 && dataStat.version == 0)

        guard case .stat(let changed)? = try reply(10, .setData).1 else {
            Issue.record("setData reply")
            return
        }
        #expect(changed.version == 1 && changed.dataLength == 1)

        let children = try reply(14, .getChildren).1
        #expect(children == .children(["leader_election", "master_status"]))

        guard case .multi(let results)? = try reply(17, .multi).1 else {
            Issue.record("multi reply")
            return
        }
        #expect(results.count == 4)
        #expect(results[0] == .create(path: "/spark/m1"))
        if case .setData(let stat) = results[1] { #expect(stat.version == 2) } else { Issue.record("setData result") }
        #expect(results[2] == .check && results[3] == .delete)

        // A failing multi: the header says OK; the results carry the errors (3.8 servers: the ops
        // before the failure report 0, the failure its code, the ones after RUNTIMEINCONSISTENCY).
        let failed = try reply(18, .multi)
        #expect(failed.0.err == 0)
        #expect(failed.1 == .multi([.error(.ok), .error(.noNode), .error(.runtimeInconsistency)]))

        #expect(try reply(19, .delete).0.err == ZooKeeperError.Code.notEmpty.rawValue)
        #expect(try reply(20, .setData).0.err == ZooKeeperError.Code.badVersion.rawValue)
        #expect(try reply(21, .ping).0 == ReplyHeader(xid: -2, zxid: 12, err: 0))
        #expect(try reply(22, .closeSession).0 == ReplyHeader(xid: 18, zxid: 13, err: 0))
    }

    @Test func serverWatchNotificationsDecode() throws {
        let expected: [(Int, EventType, String)] = [
            (9, .nodeDataChanged, "/spark/master_status"), (12, .nodeDeleted, Golden.latchNode), (15, .nodeChildrenChanged, "/spark"),
        ]
        for (index, type, path) in expected {
            var frame = payload(ofFrame: hexBuffer(Golden.server[index]))
            // Notifications carry xid -1 and zxid -1.
            #expect(try ReplyHeader.read(from: &frame) == ReplyHeader(xid: -1, zxid: -1, err: 0))
            #expect(try WatcherEvent.read(from: &frame) == WatcherEvent(type: type, state: .syncConnected, path: path))
            #expect(frame.readableBytes == 0)
        }
    }

    @Test func expiredSessionAnswer() throws {
        var request = payload(ofFrame: hexBuffer(Golden.resumeRequest))
        #expect(try ConnectRequest.decode(frame: &request) == ConnectRequest(
            lastZxidSeen: 0, timeoutMs: 6000, sessionID: Golden.sessionID, password: Golden.password))
        var response = payload(ofFrame: hexBuffer(Golden.expiredResponse))
        #expect(try ConnectResponse.decode(frame: &response) == ConnectResponse(
            timeoutMs: 0, sessionID: 0, password: Array(repeating: 0, count: 16)))
    }

    /// The whole conversation through the session state machine: it writes the Java client's bytes
    /// and makes sense of every server frame.
    @Test func sessionReplaysTheCapturedConversation() throws {
        let server = ZooKeeperServerAddress(host: "127.0.0.1", port: 2181)
        var session = ZooKeeperSession(
            configuration: .init(connectString: ConnectString(servers: [server]), sessionTimeoutMs: 6000), seed: 1)
        let connection = try #require(session.start(now: 0).connects.first?.0)
        let hello = session.connectionEstablished(connection, now: 0).sentPackets
        #expect(hello.map(\.frameBytes.hexString) == [Golden.client[0]])
        let established = session.received(payload(ofFrame: hexBuffer(Golden.server[0])), on: connection, now: 1)
        #expect(established.sessionEvents == [.connected(sessionID: Golden.sessionID, timeoutMs: 6000, server: server)])

        var now: Int64 = 10
        var serverIndex = 1
        var watchEvents: [ZooKeeperWatchEvent] = []
        var results: [ZooKeeperRequestID: Result<ZooKeeperResponse, ZooKeeperError>] = [:]
        for (index, request) in Golden.requests.enumerated() {
            let id = ZooKeeperRequestID(UInt64(index + 1))
            let sent = session.submit(request, id: id, now: now)
            #expect(sent.sentPackets.map(\.frameBytes.hexString) == [Golden.client[index + 1]])
            // Feed server frames until this request is answered (notifications may come first).
            var bounded = 0
            while results[id] == nil, serverIndex < Golden.server.count, bounded < 5 {
                bounded += 1
                let actions = session.received(payload(ofFrame: hexBuffer(Golden.server[serverIndex])), on: connection, now: now)
                serverIndex += 1
                for action in actions {
                    switch action {
                    case .succeed(let done, let response): results[done] = .success(response)
                    case .fail(let done, let error): results[done] = .failure(error)
                    case .watchEvent(let event): watchEvents.append(event)
                    default: break
                    }
                }
            }
            now += 10
        }
        #expect(results.count == Golden.requests.count)
        #expect(results[ZooKeeperRequestID(1)] == .failure(ZooKeeperError(.noNode, path: "/spark")))
        #expect(results[ZooKeeperRequestID(4)].flatMap { try? $0.get() }.map { if case .create2(let path, _) = $0 { path } else { "" } } == Golden.latchNode)
        if case .failure(let error)? = results[ZooKeeperRequestID(15)] {
            #expect(error.code == .noNode)
            #expect(error.multiResults == [.error(.ok), .error(.noNode), .error(.runtimeInconsistency)])
        } else {
            Issue.record("the failing multi must fail")
        }
        #expect((try? results[ZooKeeperRequestID(16)]?.get()) == nil)
        #expect(watchEvents == [
            ZooKeeperWatchEvent(type: .nodeDataChanged, path: "/spark/master_status"),
            ZooKeeperWatchEvent(type: .nodeDeleted, path: Golden.latchNode),
            ZooKeeperWatchEvent(type: .nodeChildrenChanged, path: "/spark"),
        ])
        #expect(session.watches.isEmpty, "every watch fired once")
        #expect(session.lastZxidSeen == 12)

        // Idle for a third of the timeout: the ping of the capture.
        let ping = session.timerFired(.ping, now: now + 2000)
        #expect(ping.sentPackets.map(\.frameBytes.hexString) == [Golden.client[18]])
        #expect(session.received(payload(ofFrame: hexBuffer(Golden.server[21])), on: connection, now: now + 2001).withoutLogs.isEmpty)

        let close = session.close(now: now + 2002)
        #expect(close.sentPackets.map(\.frameBytes.hexString) == [Golden.client[19]])
        let closed = session.received(payload(ofFrame: hexBuffer(Golden.server[22])), on: connection, now: now + 2003)
        #expect(closed.sessionEvents == [.closed])
        #expect(closed.contains(.closeConnection(connection)))
    }

    /// Resuming a session the server no longer has: our reconnect is the Java client's frame, and
    /// the timeout-0 answer surfaces as `.expired`, followed by a new session.
    @Test func resumingAClosedSessionReportsExpiry() throws {
        let server = ZooKeeperServerAddress(host: "127.0.0.1", port: 2181)
        var session = ZooKeeperSession(configuration: .init(connectString: ConnectString(servers: [server])), seed: 1)
        let first = try #require(session.start(now: 0).connects.first?.0)
        _ = session.connectionEstablished(first, now: 0)
        _ = session.received(payload(ofFrame: hexBuffer(Golden.server[0])), on: first, now: 1)
        let lost = session.connectionClosed(first, reason: "test", now: 2)
        let second = try #require(lost.connects.first?.0)
        let resume = session.connectionEstablished(second, now: 3)
        #expect(resume.sentPackets.map(\.frameBytes.hexString) == [Golden.resumeRequest])
        let expired = session.received(payload(ofFrame: hexBuffer(Golden.expiredResponse)), on: second, now: 4)
        #expect(expired.sessionEvents == [.expired(sessionID: Golden.sessionID)])
        #expect(expired.contains(.closeConnection(second)))
        #expect(session.credentials == nil)
        // A new session on a new connection.
        let third = try #require(expired.connects.first?.0)
        let fresh = session.connectionEstablished(third, now: 5)
        #expect(fresh.sentPackets == [.connect(ConnectRequest(lastZxidSeen: 0, timeoutMs: 6000, sessionID: 0, password: Array(repeating: 0, count: 16)))])
    }
}
