/// The human-readable listing: a block of lines per frame, one line per issue, then the summary.
public enum TextListing {
    /// Lines for one event.
    public static func lines(for event: InspectorEvent) -> [String] {
        switch event {
        case .frame(let record): frameLines(record)
        case .issue(let issue): [issueLine(issue)]
        }
    }

    static func frameLines(_ record: FrameRecord) -> [String] {
        var lines: [String] = []
        var heading = "#\(record.index)"
        if let time = record.time { heading += " " + time.iso8601 }
        if let elapsed = record.elapsedNanoseconds { heading += " +" + CaptureTime.secondsText(nanoseconds: elapsed) + "s" }
        heading += " " + flowText(record.flow)
        lines.append(heading)

        var frameLine = "  " + (record.frameType ?? "?")
        if let length = record.frameLength { frameLine += " frameLength=\(length)" }
        if let requestId = record.requestId { frameLine += " requestId=\(requestId)" }
        if let bodyLength = record.bodyLength { frameLine += " bodyLength=\(bodyLength)" }
        frameLine += " offset=\(record.offset)"
        lines.append(frameLine)

        if let endpoint = record.endpoint {
            lines.append("  sender=\(record.sender ?? "none") receiver=\(record.receiver ?? "none") endpoint=\(endpoint)")
        }
        if let className = record.className {
            let name = record.messageName ?? JavaValueRenderer.simpleName(className)
            if record.isUnknownClass {
                lines.append("  UNKNOWN CLASS \(className)")
            } else if name == className {
                lines.append("  \(className)")
            } else {
                lines.append("  \(name) (\(className))")
            }
        }
        if let error = record.error {
            lines.append("  ERROR: \(error)")
        }
        if let rendered = record.rendered {
            if record.isTyped || record.className == nil {
                lines += rendered.fieldLines(indent: "    ")
            } else {
                lines += rendered.textLines(indent: "    ")
            }
        }
        return lines
    }

    static func issueLine(_ issue: FlowIssue) -> String {
        var line: String
        switch issue.severity {
        case .error: line = "!! ERROR"
        case .notice: line = "-- NOTE"
        }
        if let flow = issue.flow {
            line += " " + flowText(flow)
        } else {
            line += " [capture]"
        }
        if let elapsed = issue.elapsedNanoseconds { line += " +" + CaptureTime.secondsText(nanoseconds: elapsed) + "s" }
        return line + ": " + issue.message
    }

    /// `[c0 127.0.0.1:37916 -> 127.0.0.1:17077, client-to-server]`.
    static func flowText(_ flow: FlowReference) -> String {
        switch flow.direction {
        case .unknown: "[c\(flow.connectionIndex) \(flow.connection)]"
        case .clientToServer, .serverToClient: "[c\(flow.connectionIndex) \(flow.connection), \(flow.direction.rawValue)]"
        }
    }

    /// The closing summary.
    public static func summaryLines(_ summary: DecodeSummary) -> [String] {
        var lines = ["== Summary: \(summary.inputDescription.isEmpty ? "no input" : summary.inputDescription)"]
        if summary.packets > 0 || summary.tcpSegments > 0 {
            var packets = "packets: \(summary.packets), TCP segments: \(summary.tcpSegments)"
            if !summary.skippedPackets.isEmpty {
                let skipped = summary.skippedPackets.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                packets += ", skipped: " + skipped.joined(separator: ", ")
            }
            packets += ", duplicate segments: \(summary.duplicateSegments), out-of-order segments: \(summary.outOfOrderSegments)"
            lines.append(packets)
        }
        var connections = "connections: \(summary.connections.count)"
        if summary.ignoredConnections > 0 { connections += " (\(summary.ignoredConnections) more not decoded)" }
        lines.append(connections)
        for entry in summary.connections {
            var line = "  c\(entry.connectionIndex) \(entry.connection): \(entry.frames) frames"
            if entry.clientToServerFrames + entry.serverToClientFrames > 0 {
                line += " (\(entry.clientToServerFrames) client-to-server, \(entry.serverToClientFrames) server-to-client)"
            }
            if !entry.skippedDirections.isEmpty {
                line += ", not Spark RPC: " + entry.skippedDirections.map(\.rawValue).joined(separator: ", ")
            }
            lines.append(line)
        }
        lines.append("frames: \(summary.frames)")
        lines.append("messages by class:")
        for (name, count) in summary.messagesByClass.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(count)")
        }
        lines.append("unknown classes: \(summary.unknownClasses.values.reduce(0, +))")
        for (name, count) in summary.unknownClasses.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(count)")
        }
        lines.append("skipped flows (not Spark RPC): \(summary.skippedFlows)")
        lines.append("failures: \(summary.failures)")
        return lines
    }
}
