import ArgumentParser
import SparkInspector

/// `spark-space decode`: print every Spark RPC frame of a capture and the message in it.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print every Spark RPC frame in a capture and the message in it.",
        discussion: """
            FILE is a classic pcap capture (Ethernet, BSD loopback, raw IP, Linux cooked v1/v2; IPv4 and IPv6) \
            of TCP traffic, or the raw bytes of one direction of one connection (frames back to back); \
            the kind is detected unless --format says it. Use - to read standard input. TCP streams are \
            reassembled per connection and direction; flows that are not Spark RPC are reported once and skipped.

            Exit status: 0 when every frame decoded, 1 when any frame, message or TCP stream failed, \
            2 for usage errors and unreadable input.
            """)

    @Flag(help: "Print one JSON object per frame (JSON Lines) and a summary object.")
    var json = false

    @Option(help: "Which directions to decode: both, client (sent by the connecting side) or server.")
    var direction: InspectorOptions.DirectionFilter = .both

    @Option(name: .customLong("port"), help: "Decode only connections with an endpoint on this port (repeatable).")
    var ports: [UInt16] = []

    @Option(help: "The input kind: pcap or raw (default: detect).")
    var format: InspectorOptions.Format?

    @Option(help: "Largest transport frame accepted, in bytes, including its 8-byte length.")
    var maxFrameSize: Int = InspectorOptions().maxFrameSize

    @Option(help: "Out-of-order bytes buffered per TCP direction before a hole counts as a gap.")
    var maxReassemblyBytes: Int = InspectorOptions().maxReassemblyBytes

    @Option(help: "Nesting of Java object graphs printed before the rest is elided.")
    var maxDepth: Int = InspectorOptions().maxRenderDepth

    @Argument(help: "The capture or raw stream to read, or - for standard input.")
    var file: String

    func run() throws {
        let options = InspectorOptions(
            format: format, json: json, direction: direction, ports: Set(ports),
            maxFrameSize: maxFrameSize, maxReassemblyBytes: maxReassemblyBytes, maxRenderDepth: maxDepth)
        let status = Inspector.decode(path: file, options: options, output: StandardOutput())
        if status != Inspector.exitSuccess {
            throw ExitCode(status)
        }
    }
}

extension InspectorOptions.DirectionFilter: ExpressibleByArgument {}
extension InspectorOptions.Format: ExpressibleByArgument {}
