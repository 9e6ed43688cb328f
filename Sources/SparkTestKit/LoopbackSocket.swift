#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain sockets for tests that need what NIO hides: a client that reads nothing, a one-shot
/// four-letter-word exchange.
public enum LoopbackSocket {
    /// A TCP socket connected to 127.0.0.1:`port`; `configure` sets its options before it connects
    /// (a receive buffer must be set then to shape the window). The caller closes it.
    public static func connect(port: Int, configure: (Int32) -> Void = { _ in }) throws(ChildProcessError) -> Int32 {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw ChildProcessError(message: "socket() failed (errno \(errno))") }
        configure(descriptor)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw ChildProcessError(message: "connect to \(port) failed (errno \(code))")
        }
        return descriptor
    }
}
