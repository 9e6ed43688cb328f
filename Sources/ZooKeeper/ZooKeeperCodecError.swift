/// Bytes from the network that are not a valid ZooKeeper frame or jute record.
public struct ZooKeeperCodecError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case badFrameLength, frameTooLarge, truncated, trailingBytes, invalidLength, invalidValue, unknownOpCode
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A frame length prefix that is zero or negative.
        public static let badFrameLength = Code(.badFrameLength)
        /// A frame longer than the decoder's limit (jute.maxbuffer).
        public static let frameTooLarge = Code(.frameTooLarge)
        /// A record that needs more bytes than its frame holds.
        public static let truncated = Code(.truncated)
        /// A frame with bytes left after its record.
        public static let trailingBytes = Code(.trailingBytes)
        /// A string, buffer or vector length that is negative (other than -1) or larger than the frame.
        public static let invalidLength = Code(.invalidLength)
        /// A field value outside its domain (create flags, multi header).
        public static let invalidValue = Code(.invalidValue)
        /// An opcode this codec does not know.
        public static let unknownOpCode = Code(.unknownOpCode)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Where in the record it happened, e.g. `GetDataResponse.stat.mzxid`.
    public var context: String
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, context: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.context = context
        self.file = file
        self.line = line
    }

    /// This error with `prefix` put in front of its context (`Outer.` + `inner.field`).
    public func within(_ prefix: String) -> ZooKeeperCodecError {
        var copy = self
        copy.context = context.isEmpty ? prefix : "\(prefix).\(context)"
        return copy
    }

    public var description: String {
        "zookeeper codec \(code)\(context.isEmpty ? "" : " at \(context)"): \(message) [\(file):\(line)]"
    }
}

/// Runs `body`, prefixing the context of a codec error it throws with `prefix`.

func withCodecContext<T>(_ prefix: String, _ body: () throws(ZooKeeperCodecError) -> T) throws(ZooKeeperCodecError) -> T {
    do {
        return try body()
    } catch {
        throw error.within(prefix)
    }
}
