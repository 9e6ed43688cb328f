import JavaSerialization

/// A message that cannot be mapped between Java objects and the model.
public struct SparkProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownClass, missingField, wrongType, badValue, serialization
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A class without a shape in the selected Spark version.
        public static let unknownClass = Code(.unknownClass)
        /// A field a message needs is absent.
        public static let missingField = Code(.missingField)
        /// A field holds a value of the wrong Java type.
        public static let wrongType = Code(.wrongType)
        /// A value is out of range (e.g. an unknown enumeration id).
        public static let badValue = Code(.badValue)
        /// The Java stream itself is malformed.
        public static let serialization = Code(.serialization)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Object path, e.g. `RegisterWorker.resources["gpu"].addresses`.
    public var path: String

    public init(_ code: Code, _ message: String, path: String = "") {
        self.code = code
        self.message = message
        self.path = path
    }

    init(_ error: JavaSerializationError) {
        self.init(.serialization, error.description, path: error.path)
    }

    /// The same error with `component` prepended to its path.
    func within(_ component: String) -> SparkProtocolError {
        var copy = self
        if path.isEmpty {
            copy.path = component
        } else if path.hasPrefix("[") || path.hasPrefix(".") {
            copy.path = component + path
        } else {
            copy.path = component + "." + path
        }
        return copy
    }

    public var description: String {
        path.isEmpty ? "spark protocol \(code): \(message)" : "spark protocol \(code): \(message) at \(path)"
    }
}
