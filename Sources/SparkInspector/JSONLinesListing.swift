/// The JSON Lines listing: one object per frame or issue, then one summary object.
///
/// Frame and issue lines always carry the same keys, `null` when not applicable: `kind`
/// (`frame`, `error` or `notice`), `index`, `connection`, `connectionIndex`, `direction`, `time`
/// (epoch seconds), `elapsed` (seconds since the first packet), `offset`, `frame`, `frameLength`,
/// `bodyLength`, `requestId`, `sender`, `receiver`, `endpoint`, `class`, `messageName`, `typed`,
/// `message` and `error`; notices add `notice`. The summary line has `kind` `summary`.
public enum JSONLinesListing {
    /// The JSON line for one event.
    public static func line(for event: InspectorEvent) -> String {
        switch event {
        case .frame(let record): frameLine(record)
        case .issue(let issue): issueLine(issue)
        }
    }

    static func frameLine(_ record: FrameRecord) -> String {
        var object = JSONObjectWriter()
        object.string("kind", "frame")
        object.int("index", record.index)
        flowMembers(record.flow, time: record.time, elapsed: record.elapsedNanoseconds, offset: record.offset, into: &object)
        object.string("frame", record.frameType)
        object.int("frameLength", record.frameLength)
        object.int("bodyLength", record.bodyLength)
        object.int("requestId", record.requestId)
        object.string("sender", record.sender)
        object.string("receiver", record.receiver)
        object.string("endpoint", record.endpoint)
        object.string("class", record.className)
        object.string("messageName", record.messageName)
        object.bool("typed", record.isTyped)
        object.raw("message", record.rendered?.json ?? "null")
        object.string("error", record.error)
        return object.json
    }

    static func issueLine(_ issue: FlowIssue) -> String {
        var object = JSONObjectWriter()
        object.string("kind", issue.severity.rawValue)
        object.raw("index", "null")
        if let flow = issue.flow {
            flowMembers(flow, time: issue.time, elapsed: issue.elapsedNanoseconds, offset: issue.offset, into: &object)
        } else {
            object.raw("connection", "null")
            object.raw("connectionIndex", "null")
            object.raw("direction", "null")
            object.raw("time", issue.time.map(\.epochText) ?? "null")
            object.raw("elapsed", issue.elapsedNanoseconds.map { CaptureTime.secondsText(nanoseconds: $0) } ?? "null")
            object.int("offset", issue.offset)
        }
        for key in ["frame", "frameLength", "bodyLength", "requestId", "sender", "receiver", "endpoint", "class", "messageName"] {
            object.raw(key, "null")
        }
        object.bool("typed", false)
        object.raw("message", "null")
        switch issue.severity {
        case .error:
            object.string("error", issue.message)
        case .notice:
            object.raw("error", "null")
            object.string("notice", issue.message)
        }
        return object.json
    }

    private static func flowMembers(
        _ flow: FlowReference, time: CaptureTime?, elapsed: Int64?, offset: Int64?, into object: inout JSONObjectWriter
    ) {
        object.string("connection", flow.connection)
        object.int("connectionIndex", flow.connectionIndex)
        object.string("direction", flow.direction.rawValue)
        object.raw("time", time.map(\.epochText) ?? "null")
        object.raw("elapsed", elapsed.map { CaptureTime.secondsText(nanoseconds: $0) } ?? "null")
        object.int("offset", offset)
    }

    /// The closing summary object.
    public static func summaryLine(_ summary: DecodeSummary) -> String {
        var object = JSONObjectWriter()
        object.string("kind", "summary")
        object.string("input", summary.inputDescription)
        object.int("packets", summary.packets)
        object.int("tcpSegments", summary.tcpSegments)
        object.raw("skippedPackets", counts(summary.skippedPackets))
        object.int("duplicateSegments", summary.duplicateSegments)
        object.int("outOfOrderSegments", summary.outOfOrderSegments)
        object.int("ignoredConnections", summary.ignoredConnections)
        let connections = summary.connections.map { entry -> String in
            var item = JSONObjectWriter()
            item.int("connectionIndex", entry.connectionIndex)
            item.string("connection", entry.connection)
            item.int("frames", entry.frames)
            item.int("clientToServer", entry.clientToServerFrames)
            item.int("serverToClient", entry.serverToClientFrames)
            item.raw("notSpark", "[" + entry.skippedDirections.map { JSONObjectWriter.string($0.rawValue) }.joined(separator: ",") + "]")
            return item.json
        }
        object.raw("connections", "[" + connections.joined(separator: ",") + "]")
        object.int("frames", summary.frames)
        object.raw("messagesByClass", counts(summary.messagesByClass))
        object.int("unknownClassCount", summary.unknownClasses.values.reduce(0, +))
        object.raw("unknownClasses", counts(summary.unknownClasses))
        object.int("skippedFlows", summary.skippedFlows)
        object.int("failures", summary.failures)
        object.int("exitStatus", Int(summary.exitStatus))
        return object.json
    }

    private static func counts(_ counts: [String: Int]) -> String {
        var object = JSONObjectWriter()
        for (key, value) in counts.sorted(by: { $0.key < $1.key }) {
            object.int(key, value)
        }
        return object.json
    }
}
