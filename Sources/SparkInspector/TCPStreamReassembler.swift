import NIOCore

/// Puts the bytes of one direction of a TCP connection back in sequence order.
///
/// Duplicates and retransmissions are dropped, overlaps trimmed, out-of-order segments held until
/// the hole before them fills (at most `maxBufferedBytes`). A hole that cannot fill — the buffer
/// limit is reached, the peer acknowledged bytes the capture never saw, the snap length cut a
/// segment, or the capture ends — is reported once as `.gap` and the direction stops.
public struct TCPStreamReassembler: Sendable {
    /// What feeding a segment produced.
    public enum Output: Sendable {
        /// The next contiguous bytes of the stream.
        case data(ByteBuffer)
        /// Bytes are missing for good; nothing more is delivered.
        case gap(String)
    }

    /// Out-of-order bytes held at most before a hole counts as a gap.
    public let maxBufferedBytes: Int
    /// Sequence number of the next byte to deliver; `nil` before the first SYN or data segment.
    public private(set) var nextSequence: UInt32?
    /// Whether the stream's start was captured.
    public private(set) var sawSYN = false
    /// Bytes delivered so far (the stream offset of the next byte).
    public private(set) var deliveredBytes: Int64 = 0
    /// Segments dropped because every byte of them was delivered already.
    public private(set) var duplicateSegments = 0
    /// Segments that arrived ahead of a hole.
    public private(set) var outOfOrderSegments = 0
    /// Whether a gap ended delivery or the stream was finished.
    public private(set) var stopped = false
    private var finSequence: UInt32?
    /// Out-of-order segments by stream offset, lowest first; entries before `pendingStart` are used up.
    /// Segments usually arrive in increasing order, so inserting is an append and draining a step.
    private var pending: [(offset: Int64, bytes: ByteBuffer)] = []
    private var pendingStart = 0
    /// Out-of-order segments held at most, whatever their size.
    public static let maxBufferedSegments = 100_000
    /// Out-of-order bytes held now.
    public private(set) var pendingBytes = 0
    /// The highest sequence number the peer acknowledged beyond `nextSequence`.
    private var acknowledgedAhead: UInt32?

    /// A reassembler holding at most `maxBufferedBytes` out-of-order bytes.
    public init(maxBufferedBytes: Int) {
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// Whether the FIN was seen and every byte before it delivered.
    public var isFinished: Bool {
        guard let finSequence, let nextSequence else { return false }
        return finSequence == nextSequence && pendingStart == pending.count
    }

    /// Feeds one segment of this direction.
    public mutating func receive(_ segment: TCPSegment) -> [Output] {
        guard !stopped else { return [] }
        var outputs: [Output] = []
        var dataSequence = segment.sequenceNumber
        if segment.flags.contains(.syn) {
            dataSequence = segment.sequenceNumber &+ 1
            if !sawSYN, deliveredBytes == 0 {
                sawSYN = true
                nextSequence = dataSequence
                pending.removeAll()
                pendingStart = 0
                pendingBytes = 0
            }
        }
        let payloadLength = segment.payload.readableBytes
        if nextSequence == nil, payloadLength > 0 || segment.flags.contains(.fin) {
            // The capture began after the handshake: start where the first segment starts.
            nextSequence = dataSequence
        }
        if segment.flags.contains(.fin) {
            finSequence = dataSequence &+ UInt32(truncatingIfNeeded: payloadLength + segment.missingPayloadBytes)
        }
        if payloadLength > 0 {
            outputs += insert(segment.payload, at: dataSequence)
        }
        guard !stopped else { return outputs }
        if segment.missingPayloadBytes > 0 {
            outputs.append(stop(
                "the capture's snap length cut \(segment.missingPayloadBytes) payload bytes from a segment at stream offset \(offset(of: dataSequence &+ UInt32(truncatingIfNeeded: payloadLength)))"))
            return outputs
        }
        if let gap = acknowledgedGap() {
            outputs.append(stop(gap))
        }
        return outputs
    }

    /// Notes the peer's acknowledgment number; bytes acknowledged but never seen are a hole.
    ///
    /// Confirmed at the next segment of this direction or at the end, so a capture that recorded a
    /// packet just after the acknowledgment of it is still read whole.
    public mutating func peerAcknowledged(_ acknowledgment: UInt32) {
        guard !stopped, let next = nextSequence, sawSYN || deliveredBytes > 0 else { return }
        var ahead = Int64(Int32(bitPattern: acknowledgment &- next))
        // The FIN takes one sequence number of its own.
        if finSequence == next { ahead -= 1 }
        guard ahead > 0 else { return }
        if let current = acknowledgedAhead, Int32(bitPattern: acknowledgment &- current) <= 0 { return }
        acknowledgedAhead = finSequence == next ? acknowledgment &- 1 : acknowledgment
    }

    /// The end of the capture or of the connection: a hole still open is a gap.
    public mutating func finish() -> [Output] {
        guard !stopped else { return [] }
        if let firstPending = firstPendingOffset {
            let hole = firstPending - deliveredBytes
            return [stop("the capture ends with a hole of \(hole) bytes at stream offset \(deliveredBytes) (\(pendingBytes) bytes after it were buffered)")]
        }
        if let gap = acknowledgedGap() {
            return [stop(gap)]
        }
        stopped = true
        return []
    }

    // MARK: - Private

    /// Stream offset of the earliest buffered out-of-order byte.
    private var firstPendingOffset: Int64? {
        pendingStart < pending.count ? pending[pendingStart].offset : nil
    }

    /// The hole the peer's acknowledgments prove, if the bytes before them were never captured.
    private mutating func acknowledgedGap() -> String? {
        guard let acknowledged = acknowledgedAhead else { return nil }
        let acknowledgedOffset = offset(of: acknowledged)
        guard acknowledgedOffset > deliveredBytes else {
            acknowledgedAhead = nil
            return nil
        }
        let holeEnd = min(acknowledgedOffset, firstPendingOffset ?? acknowledgedOffset)
        return "the capture is missing \(holeEnd - deliveredBytes) bytes at stream offset \(deliveredBytes): the peer acknowledged them but they were never captured"
    }

    /// Stream offset of a sequence number near the delivery point.
    private func offset(of sequence: UInt32) -> Int64 {
        guard let next = nextSequence else { return deliveredBytes }
        return deliveredBytes + Int64(Int32(bitPattern: sequence &- next))
    }

    private mutating func stop(_ message: String) -> Output {
        stopped = true
        pending.removeAll()
        pendingStart = 0
        pendingBytes = 0
        return .gap(message)
    }

    private mutating func insert(_ payload: ByteBuffer, at sequence: UInt32) -> [Output] {
        guard let next = nextSequence else { return [] }
        let ahead = Int64(Int32(bitPattern: sequence &- next))
        let length = Int64(payload.readableBytes)
        if ahead + length <= 0 {
            duplicateSegments += 1
            return []
        }
        if ahead <= 0 {
            var outputs = [deliver(payload, skipping: Int(-ahead))]
            outputs += drain()
            return outputs
        }
        outOfOrderSegments += 1
        let segmentOffset = deliveredBytes + ahead
        // Binary search for the first entry at or above this offset.
        var low = pendingStart
        var high = pending.count
        if let last = pending.last, last.offset < segmentOffset { low = high }
        while low < high {
            let middle = (low + high) / 2
            if pending[middle].offset < segmentOffset { low = middle + 1 } else { high = middle }
        }
        if low < pending.count, pending[low].offset == segmentOffset {
            guard pending[low].bytes.readableBytes < payload.readableBytes else {
                duplicateSegments += 1
                return []
            }
            pendingBytes -= pending[low].bytes.readableBytes
            pending[low].bytes = payload
        } else {
            pending.insert((segmentOffset, payload), at: low)
        }
        pendingBytes += payload.readableBytes
        guard pendingBytes <= maxBufferedBytes, pending.count - pendingStart <= Self.maxBufferedSegments else {
            return [stop(
                "more than \(maxBufferedBytes) out-of-order bytes or \(Self.maxBufferedSegments) segments are buffered behind a hole at stream offset \(deliveredBytes); the hole never filled")]
        }
        return []
    }

    private mutating func deliver(_ payload: ByteBuffer, skipping: Int) -> Output {
        let bytes = payload.getSlice(at: payload.readerIndex + skipping, length: payload.readableBytes - skipping)!
        nextSequence = nextSequence! &+ UInt32(truncatingIfNeeded: bytes.readableBytes)
        deliveredBytes += Int64(bytes.readableBytes)
        return .data(bytes)
    }

    private mutating func drain() -> [Output] {
        var outputs: [Output] = []
        while pendingStart < pending.count, pending[pendingStart].offset <= deliveredBytes {
            let entry = pending[pendingStart]
            pending[pendingStart].bytes = ByteBuffer()
            pendingStart += 1
            pendingBytes -= entry.bytes.readableBytes
            let overlap = deliveredBytes - entry.offset
            if overlap < Int64(entry.bytes.readableBytes) {
                outputs.append(deliver(entry.bytes, skipping: Int(overlap)))
            } else {
                duplicateSegments += 1
            }
        }
        if pendingStart == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingStart = 0
        } else if pendingStart > 1024, pendingStart * 2 > pending.count {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        return outputs
    }
}
