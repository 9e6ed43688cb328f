/// Turns reassembled bytes into listing events and keeps the summary: frame numbering, times
/// relative to the first packet, frame decoding, flow issues.
struct FlowEventBuilder: Sendable {
    let inspector: FrameInspector
    /// A raw stream is Spark RPC by the user's word: failing at offset 0 is an error, not a skip.
    let isRawInput: Bool
    var firstTime: CaptureTime?
    var nextFrameIndex = 0
    var summary = DecodeSummary()

    init(inspector: FrameInspector, isRawInput: Bool) {
        self.inspector = inspector
        self.isRawInput = isRawInput
    }

    mutating func add(_ event: InspectorEvent, to events: inout [InspectorEvent]) {
        summary.record(event)
        events.append(event)
    }

    mutating func issue(
        _ severity: FlowIssue.Severity, _ message: String, flow: FlowReference?, time: CaptureTime?, offset: Int64? = nil,
        into events: inout [InspectorEvent]
    ) {
        let issue = FlowIssue(
            severity, message, flow: flow, time: time, elapsedNanoseconds: elapsed(time), offset: offset)
        add(.issue(issue), to: &events)
    }

    /// Feeds one segment to its direction of a connection.
    mutating func segment(_ segment: TCPSegment, flow: inout TCPConnection.Flow, time: CaptureTime, into events: inout [InspectorEvent]) {
        if segment.flags.contains(.fin) { flow.sawFIN = true }
        guard flow.enabled else { return }
        for output in flow.reassembler.receive(segment) {
            switch output {
            case .data(let bytes):
                frameOutputs(flow.frames.append(bytes), flow: flow.reference, sawSYN: flow.reassembler.sawSYN, time: time, into: &events)
            case .gap(let message):
                let wasDecoding = !flow.frames.stopped
                flow.frames.abandon()
                if wasDecoding {
                    issue(.error, "TCP gap: \(message); decoding of this direction stops",
                          flow: flow.reference, time: time, offset: flow.reassembler.deliveredBytes, into: &events)
                }
            }
        }
        if flow.reassembler.isFinished, let output = flow.frames.finish(reason: "the sender closed the connection") {
            frameOutputs([output], flow: flow.reference, sawSYN: flow.reassembler.sawSYN, time: time, into: &events)
        }
    }

    /// The connection or the capture ended: report holes and unfinished frames, tally the segments.
    mutating func close(_ flow: inout TCPConnection.Flow, reason: String, time: CaptureTime?, into events: inout [InspectorEvent]) {
        guard flow.enabled else { return }
        for output in flow.reassembler.finish() {
            switch output {
            case .data:
                break
            case .gap(let message):
                let wasDecoding = !flow.frames.stopped
                flow.frames.abandon()
                if wasDecoding {
                    issue(.error, "TCP gap: \(message)", flow: flow.reference, time: time,
                          offset: flow.reassembler.deliveredBytes, into: &events)
                }
            }
        }
        if let output = flow.frames.finish(reason: reason) {
            frameOutputs([output], flow: flow.reference, sawSYN: flow.reassembler.sawSYN, time: time, into: &events)
        }
        summary.duplicateSegments += flow.reassembler.duplicateSegments
        summary.outOfOrderSegments += flow.reassembler.outOfOrderSegments
    }

    /// Records the frames, skips and failures a frame stream produced.
    mutating func frameOutputs(
        _ outputs: [SparkFrameStream.Output], flow: FlowReference, sawSYN: Bool, time: CaptureTime?,
        into events: inout [InspectorEvent]
    ) {
        for output in outputs {
            switch output {
            case .frame(let frame):
                var record = FrameRecord(index: nextFrameIndex, flow: flow, offset: frame.offset)
                nextFrameIndex += 1
                record.time = time
                record.elapsedNanoseconds = elapsed(time)
                record.frameLength = frame.length
                inspector.inspect(frame.frame, into: &record)
                add(.frame(record), to: &events)
            case .notSpark(let message):
                if isRawInput {
                    issue(.error, "not a Spark RPC stream at offset 0: \(message)", flow: flow, time: time, offset: 0, into: &events)
                } else {
                    var text = "not Spark RPC (the first frame does not parse: \(message)); this direction is skipped"
                    if !sawSYN { text += ". The capture began mid-connection, so it may have started inside a frame" }
                    issue(.notice, text, flow: flow, time: time, offset: 0, into: &events)
                    summary.skippedFlows += 1
                    let index = flow.connectionIndex
                    if summary.connections.indices.contains(index) {
                        summary.connections[index].skippedDirections.append(flow.direction)
                    }
                }
            case .failure(let offset, let message):
                issue(.error, "frame at stream offset \(offset) cannot be decoded: \(message); decoding of this direction stops",
                      flow: flow, time: time, offset: offset, into: &events)
            }
        }
    }

    func elapsed(_ time: CaptureTime?) -> Int64? {
        guard let time, let firstTime else { return nil }
        return time.nanoseconds(since: firstTime)
    }
}
