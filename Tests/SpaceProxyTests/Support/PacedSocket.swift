import SparkTestKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP client on a plain non-blocking socket whose reading the test paces: nothing is read until
/// `readToEnd` is called, and its receive buffer is small, so the server's writes back up as they do
/// towards a client that stopped reading.
final class PacedSocket {
    struct SocketError: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// What `readToEnd` got.
    struct Received {
        var bytes: Int
        /// The first bytes, for the response head.
        var start: String
        /// The server closed (or reset) the connection, rather than the time running out.
        var closedByServer: Bool
    }

    private let descriptor: Int32

    init(port: Int, receiveBuffer: Int32 = 4096) throws {
        descriptor = try LoopbackSocket.connect(port: port) { descriptor in
            var size = receiveBuffer
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(descriptor) }

    /// Sends all of `text` (small requests: the kernel takes them at once).
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw SocketError(call: "write", code: errno) }
            sent += count
        }
    }

    /// Writes `count` filler bytes, as many as the connection takes within `duration`; returns how many
    /// it took (a client still uploading while the server stopped reading).
    func sendFiller(count: Int, for duration: Duration) async -> Int {
        let deadline = ContinuousClock.now + duration
        let block = [UInt8](repeating: UInt8(ascii: "u"), count: 16384)
        var sent = 0
        while sent < count, ContinuousClock.now < deadline {
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, min($0.count, count - sent)) }
            if written > 0 {
                sent += written
            } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try? await Task.sleep(for: .milliseconds(5))
            } else {
                break
            }
        }
        return sent
    }

    /// Reads until the server closes or `timeout` passes, at most `chunk` bytes at a time with `pause`
    /// after each read, counting the bytes and keeping the first 4 KiB.
    func readToEnd(chunk: Int = 65536, pause: Duration = .zero, timeout: Duration) async -> Received {
        let deadline = ContinuousClock.now + timeout
        var received = Received(bytes: 0, start: "", closedByServer: false)
        var start: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                received.bytes += count
                if start.count < 4096 { start += buffer[0..<min(count, 4096 - start.count)] }
                if pause > .zero { try? await Task.sleep(for: pause) }
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                received.closedByServer = true
                break
            } else {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        received.start = String(decoding: start, as: UTF8.self)
        return received
    }
}
