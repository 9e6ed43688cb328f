import NIOCore
import ZooKeeper

/// Bytes from a hex string (whitespace ignored).
func hexBuffer(_ hex: String) -> ByteBuffer {
    let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    func value(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: preconditionFailure("not hex: \(digit)")
        }
    }
    for index in stride(from: 0, to: digits.count, by: 2) {
        bytes.append(value(digits[index]) << 4 | value(digits[index + 1]))
    }
    return ByteBuffer(bytes: bytes)
}

extension ByteBuffer {
    var hexString: String { readableBytesView.map { String(format2: $0) }.joined() }
}

extension String {
    fileprivate init(format2 byte: UInt8) {
        let text = String(byte, radix: 16)
        self = text.count == 1 ? "0" + text : text
    }
}

/// The payload of a length-prefixed frame.
func payload(ofFrame frame: ByteBuffer) -> ByteBuffer {
    var frame = frame
    let length = frame.readInteger(as: Int32.self)!
    precondition(Int(length) == frame.readableBytes, "frame length \(length) != \(frame.readableBytes)")
    return frame
}

/// A server reply frame's payload: header + record.
func replyFrame(xid: Int32, zxid: Int64 = 1, err: ZooKeeperError.Code = .ok, _ response: ZooKeeperResponse = .empty) -> ByteBuffer {
    payload(ofFrame: ZooKeeperServerPacket.reply(ReplyHeader(xid: xid, zxid: zxid, err: err.rawValue), response).frameBytes)
}

func notificationFrame(_ type: EventType, path: String) -> ByteBuffer {
    payload(ofFrame: ZooKeeperServerPacket.notification(zxid: -1, WatcherEvent(type: type, state: .syncConnected, path: path)).frameBytes)
}

func connectResponseFrame(sessionID: Int64, timeoutMs: Int32 = 6000, password: [UInt8] = Array(1...16)) -> ByteBuffer {
    payload(ofFrame: ZooKeeperServerPacket.connected(ConnectResponse(timeoutMs: timeoutMs, sessionID: sessionID, password: password)).frameBytes)
}

let sampleStat = Stat(
    czxid: 0x100, mzxid: 0x101, ctime: 1_700_000_000_000, mtime: 1_700_000_000_500, version: 3, cversion: 4,
    aversion: 0, ephemeralOwner: 0x0100_002B_1C72_0000, dataLength: 9, numChildren: 2, pzxid: 0x102)

extension Array where Element == ZooKeeperSessionAction {
    /// Without log actions.
    var withoutLogs: [ZooKeeperSessionAction] {
        filter { if case .log = $0 { false } else { true } }
    }

    var sentPackets: [ZooKeeperPacket] {
        compactMap { if case .send(_, let packet) = $0 { packet } else { nil } }
    }

    var sessionEvents: [ZooKeeperSessionEvent] {
        compactMap { if case .sessionEvent(let event) = $0 { event } else { nil } }
    }

    var failures: [ZooKeeperRequestID: ZooKeeperError] {
        var result: [ZooKeeperRequestID: ZooKeeperError] = [:]
        for action in self { if case .fail(let id, let error) = action { result[id] = error } }
        return result
    }

    var successes: [ZooKeeperRequestID: ZooKeeperResponse] {
        var result: [ZooKeeperRequestID: ZooKeeperResponse] = [:]
        for action in self { if case .succeed(let id, let response) = action { result[id] = response } }
        return result
    }

    var connects: [(ZooKeeperConnectionID, ZooKeeperServerAddress)] {
        compactMap { if case .connect(let id, let server) = $0 { (id, server) } else { nil } }
    }
}

extension Array where Element == LeaderLatchAction {
    var withoutLogs: [LeaderLatchAction] {
        filter { if case .log = $0 { false } else { true } }
    }

    var submissions: [(LeaderLatchOperation, ZooKeeperRequest)] {
        compactMap { if case .submit(let operation, let request) = $0 { (operation, request) } else { nil } }
    }

    var leadership: [LeaderLatchAction] {
        filter {
            switch $0 {
            case .isLeader, .notLeader: true
            case .submit, .scheduleRetry, .log: false
            }
        }
    }
}
