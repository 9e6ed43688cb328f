/// One line of the listing, as the decoder produces it.
public enum InspectorEvent: Sendable {
    /// A transport frame and the message in it (possibly with a decoding error).
    case frame(FrameRecord)
    /// Something about a flow or the capture that is not a frame.
    case issue(FlowIssue)

    /// Whether this event makes the exit status 1.
    public var isFailure: Bool {
        switch self {
        case .frame(let record): record.error != nil
        case .issue(let issue): issue.severity == .error
        }
    }
}

/// A problem or remark outside any frame: a flow that is not Spark RPC, a hole in a TCP stream,
/// a frame that cannot be split off, a damaged capture.
public struct FlowIssue: Sendable {
    /// How much it matters.
    public enum Severity: String, Sendable, Hashable {
        /// Reported, does not change the exit status (a skipped non-Spark flow).
        case notice
        /// Frames were lost or could not be decoded; the exit status becomes 1.
        case error
    }

    /// Whether it affects the exit status.
    public var severity: Severity
    /// The flow concerned, `nil` for the capture as a whole.
    public var flow: FlowReference?
    /// Capture time of the packet that revealed it.
    public var time: CaptureTime?
    /// Nanoseconds since the first packet of the capture.
    public var elapsedNanoseconds: Int64?
    /// Stream offset the issue concerns, when it has one.
    public var offset: Int64?
    /// What happened, for the operator.
    public var message: String

    /// An issue of `severity` explained by `message`.
    public init(
        _ severity: Severity, _ message: String, flow: FlowReference? = nil, time: CaptureTime? = nil,
        elapsedNanoseconds: Int64? = nil, offset: Int64? = nil
    ) {
        self.severity = severity
        self.message = message
        self.flow = flow
        self.time = time
        self.elapsedNanoseconds = elapsedNanoseconds
        self.offset = offset
    }
}
