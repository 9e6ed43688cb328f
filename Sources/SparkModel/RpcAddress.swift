/// A host and port (Spark: `org.apache.spark.rpc.RpcAddress`).
public struct RpcAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int32

    public init(host: String, port: Int32) {
        self.host = host
        self.port = port
    }

    /// `host:port`, as Spark prints it.
    public var hostPort: String { "\(host):\(port)" }
    /// `spark://host:port`.
    public var sparkURL: String { "spark://\(hostPort)" }
    public var description: String { hostPort }
}

/// The address of a named endpoint (Spark: `org.apache.spark.rpc.RpcEndpointAddress`).
public struct RpcEndpointAddress: Sendable, Hashable, CustomStringConvertible {
    /// `nil` for an endpoint in a client-mode environment, reachable only over an existing connection.
    public var rpcAddress: RpcAddress?
    public var name: String

    public init(rpcAddress: RpcAddress?, name: String) {
        self.rpcAddress = rpcAddress
        self.name = name
    }

    /// `spark://Name@host:port`, or `spark-client://Name` without an address.
    public var description: String {
        if let rpcAddress { return "spark://\(name)@\(rpcAddress.hostPort)" }
        return "spark-client://\(name)"
    }

    /// Parses `spark://Name@host:port` or `spark-client://Name`.
    public init?(url: String) {
        if url.hasPrefix("spark-client://") {
            let name = String(url.dropFirst("spark-client://".count))
            guard !name.isEmpty else { return nil }
            self.init(rpcAddress: nil, name: name)
            return
        }
        guard url.hasPrefix("spark://"), let at = url.firstIndex(of: "@") else { return nil }
        let name = String(url[url.index(url.startIndex, offsetBy: "spark://".count)..<at])
        let hostPort = url[url.index(after: at)...]
        guard !name.isEmpty, let colon = hostPort.lastIndex(of: ":"),
              let port = Int32(hostPort[hostPort.index(after: colon)...]), port > 0
        else { return nil }
        self.init(rpcAddress: RpcAddress(host: String(hostPort[..<colon]), port: port), name: name)
    }
}

/// The ask timeout a reference carries (Spark: `org.apache.spark.rpc.RpcTimeout`).
public struct RpcTimeout: Sendable, Hashable {
    public var seconds: Int64
    /// The configuration key the timeout came from.
    public var property: String

    public init(seconds: Int64 = 120, property: String = "spark.rpc.askTimeout") {
        self.seconds = seconds
        self.property = property
    }

    public static let `default` = RpcTimeout()
}

/// A reference to a remote endpoint (on the wire a `NettyRpcEndpointRef`).
public struct RpcEndpointRef: Sendable, Hashable, CustomStringConvertible {
    public var address: RpcEndpointAddress
    public var askTimeout: RpcTimeout

    public init(address: RpcEndpointAddress, askTimeout: RpcTimeout = .default) {
        self.address = address
        self.askTimeout = askTimeout
    }

    public init(name: String, host: String, port: Int32, askTimeout: RpcTimeout = .default) {
        self.init(address: RpcEndpointAddress(rpcAddress: RpcAddress(host: host, port: port), name: name), askTimeout: askTimeout)
    }

    public var name: String { address.name }
    public var rpcAddress: RpcAddress? { address.rpcAddress }
    public var description: String { address.description }
}
