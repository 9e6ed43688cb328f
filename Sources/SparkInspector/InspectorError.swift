/// A failure that stops the inspector before or while reading its input (exit status 2).
///
/// Problems inside a readable capture (a frame that does not parse, a hole in a TCP stream) are not
/// errors of this kind: they are reported as lines of the listing and make the exit status 1.
public struct InspectorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case usage, io, unrecognizedInput, unsupportedFormat, badCaptureHeader, unsupportedLinkType
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Options that contradict each other or are out of range.
        public static let usage = Code(.usage)
        /// The input file cannot be opened or read.
        public static let io = Code(.io)
        /// The input is neither a pcap capture nor a Spark RPC byte stream.
        public static let unrecognizedInput = Code(.unrecognizedInput)
        /// A known capture format the inspector does not read (pcapng).
        public static let unsupportedFormat = Code(.unsupportedFormat)
        /// A pcap file whose global header is cut short or malformed.
        public static let badCaptureHeader = Code(.badCaptureHeader)
        /// A pcap link type the inspector cannot take apart.
        public static let unsupportedLinkType = Code(.unsupportedLinkType)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, for the operator.
    public var message: String

    /// An error of `code` explained by `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "spark-space decode \(code): \(message)" }
}
