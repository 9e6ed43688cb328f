import Foundation
import SparkDaemon
import Testing

/// `Daemon.readChunks`, the read loop under the driver jar copy and the rolled-log compression.
@Suite struct DaemonChunkTests {
    private func file(_ bytes: [UInt8]) throws -> (path: String, descriptor: Int32) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        return (path, descriptor)
    }

    @Test func aFileIsReadInChunksThenAnEmptyOne() throws {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (path, descriptor) = try file(bytes)
        defer { close(descriptor); unlink(path) }
        var sizes: [Int] = []
        var read: [UInt8] = []
        let failure = Daemon.readChunks(from: descriptor, size: 4096) { chunk in
            sizes.append(chunk.count)
            read += chunk
            return true
        }
        #expect(failure == 0)
        #expect(sizes == [4096, 4096, 1808, 0])
        #expect(read == bytes)
    }

    @Test func theBodyStopsTheReading() throws {
        let (path, descriptor) = try file(Array(repeating: 7, count: 9000))
        defer { close(descriptor); unlink(path) }
        var calls = 0
        let failure = Daemon.readChunks(from: descriptor, size: 1000) { _ in
            calls += 1
            return calls < 3
        }
        #expect(failure == 0)
        #expect(calls == 3)
        // The rest is still there to read.
        var next = [UInt8](repeating: 0, count: 10_000)
        #expect(Foundation.read(descriptor, &next, next.count) == 6000)
    }

    @Test func aFailedReadReturnsItsErrno() throws {
        let directory = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(directory >= 0)
        defer { close(directory) }
        var called = false
        #expect(Daemon.readChunks(from: directory, size: 64) { _ in called = true; return true } == EISDIR)
        #expect(!called)
        #expect(Daemon.readChunks(from: -1, size: 64) { _ in true } == EBADF)
    }
}
