/// A failure to read or write a Java serialization stream.
///
/// `path` names where in the object graph it happened, e.g.
/// `RegisterWorker.resources[1]._2.addresses`.
public struct JavaSerializationError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case truncated, badMagic, unexpectedTypeCode, invalidHandle, limitExceeded
            case malformedString, unsupported, wrongType, invalidDescriptor
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The stream ended inside a value.
        public static let truncated = Code(.truncated)
        /// The stream does not start with `AC ED 00 05`.
        public static let badMagic = Code(.badMagic)
        /// A type code that the grammar does not allow here.
        public static let unexpectedTypeCode = Code(.unexpectedTypeCode)
        /// A back-reference to a handle that does not exist or has the wrong kind.
        public static let invalidHandle = Code(.invalidHandle)
        /// A size, depth or count bound was exceeded.
        public static let limitExceeded = Code(.limitExceeded)
        /// Bytes that are not modified UTF-8.
        public static let malformedString = Code(.malformedString)
        /// A legal construct this implementation does not handle (e.g. externalizable data).
        public static let unsupported = Code(.unsupported)
        /// A value of the wrong Java type for what was expected.
        public static let wrongType = Code(.wrongType)
        /// A class descriptor that contradicts itself.
        public static let invalidDescriptor = Code(.invalidDescriptor)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Object path, outermost first.
    public var path: String
    /// Byte offset in the stream where the failure was detected, when known.
    public var offset: Int?

    public init(_ code: Code, _ message: String, path: String = "", offset: Int? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
    }

    public var description: String {
        var text = "java serialization \(code): \(message)"
        if !path.isEmpty { text += " at \(path)" }
        if let offset { text += " (byte \(offset))" }
        return text
    }
}

/// Bounds applied when reading streams from untrusted peers.
public struct JavaReaderLimits: Sendable, Equatable {
    /// Maximum nesting of objects, arrays and annotations.
    public var maxDepth: Int
    /// Maximum number of handles (objects, strings, descriptors) in one stream.
    public var maxHandles: Int
    /// Maximum element count of one array.
    public var maxArrayLength: Int
    /// Maximum encoded length of one string.
    public var maxStringBytes: Int
    /// Maximum number of fields in one class descriptor.
    public var maxFields: Int
    /// Maximum number of contents in one annotation.
    public var maxAnnotationItems: Int
    /// Maximum number of elements of object and primitive arrays in one stream, all arrays together
    /// (byte arrays, kept as they arrive, are not counted).
    public var maxTotalElements: Int

    public init(
        maxDepth: Int = 64,
        maxHandles: Int = 200_000,
        maxArrayLength: Int = 4_000_000,
        maxStringBytes: Int = 16 << 20,
        maxFields: Int = 1024,
        maxAnnotationItems: Int = 1_000_000,
        maxTotalElements: Int = 8_000_000
    ) {
        self.maxDepth = maxDepth
        self.maxHandles = maxHandles
        self.maxArrayLength = maxArrayLength
        self.maxStringBytes = maxStringBytes
        self.maxFields = maxFields
        self.maxAnnotationItems = maxAnnotationItems
        self.maxTotalElements = maxTotalElements
    }

    /// The defaults used for RPC payloads.
    public static let `default` = JavaReaderLimits()
}
