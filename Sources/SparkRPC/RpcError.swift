import SparkModel

/// A failure of an RPC operation.
public struct RpcError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case timeout, connectionClosed, remoteFailure, noAddress, encoding, shutdown, connectFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No reply arrived within the ask timeout.
        public static let timeout = Code(.timeout)
        /// The connection closed before the reply arrived.
        public static let connectionClosed = Code(.connectionClosed)
        /// The peer answered with a failure (an `RpcFailure` frame or reply object).
        public static let remoteFailure = Code(.remoteFailure)
        /// The target is a client-mode endpoint whose connection is gone.
        public static let noAddress = Code(.noAddress)
        /// The message could not be encoded for the peer's Spark version.
        public static let encoding = Code(.encoding)
        /// The environment is shutting down.
        public static let shutdown = Code(.shutdown)
        /// Dialling the peer failed.
        public static let connectFailed = Code(.connectFailed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "rpc \(code): \(message)" }
}
