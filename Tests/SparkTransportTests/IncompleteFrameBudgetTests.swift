import Logging
import NIOCore
import NIOEmbedded
import SparkTransport
import Testing

@Suite struct IncompleteFrameBudgetTests {
    /// A connection whose decoder reports to `budget`.
    func connection(_ budget: IncompleteFrameBudget) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(TransportFrameDecoder(maxFrameSize: 100_000, account: budget.account(for: channel))))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// The start of a one-way message frame of `bodyLength` body bytes, with `present` of them.
    func partialFrame(bodyLength: Int, present: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int64(8 + 1 + 4 + bodyLength))
        buffer.writeInteger(UInt8(9))
        buffer.writeInteger(Int32(bodyLength))
        buffer.writeRepeatingByte(7, count: present)
        return buffer
    }

    @Test func theConnectionHoldingTheMostIsClosedWhenTheSumGoesPastTheLimit() throws {
        let budget = IncompleteFrameBudget(limit: 1000, logger: Logger(label: "test"))
        let large = try connection(budget)
        let small = try connection(budget)
        try large.writeInbound(partialFrame(bodyLength: 5000, present: 587))
        #expect(budget.held == 600)
        try small.writeInbound(partialFrame(bodyLength: 500, present: 287))
        #expect(budget.held == 900)
        #expect(large.isActive && small.isActive)

        // 200 more bytes of the small frame take the sum to 1100: the larger holder goes.
        var more = ByteBuffer()
        more.writeRepeatingByte(7, count: 200)
        try small.writeInbound(more)
        #expect(!large.isActive)
        #expect(small.isActive)
        #expect(budget.held == 500)
        #expect(budget.accounts == 1)

        // The small frame completes and is delivered; nothing is held any more.
        var rest = ByteBuffer()
        rest.writeRepeatingByte(7, count: 13)
        try small.writeInbound(rest)
        let frame = try small.readInbound(as: TransportFrame.self)
        guard case .oneWayMessage(let body) = frame else {
            Issue.record("expected the small frame, got \(String(describing: frame))")
            return
        }
        #expect(body.readableBytes == 500)
        #expect(budget.held == 0)
        _ = try small.finish()
        #expect(budget.accounts == 0)
    }

    @Test func aConnectionWhoseFrameTakesTheSumPastTheLimitWhileHoldingTheMostIsRefused() throws {
        let budget = IncompleteFrameBudget(limit: 1000, logger: Logger(label: "test"))
        let holder = try connection(budget)
        let grower = try connection(budget)
        try holder.writeInbound(partialFrame(bodyLength: 5000, present: 387))
        #expect(throws: TransportError.self) {
            try grower.writeInbound(partialFrame(bodyLength: 5000, present: 600))
        }
        #expect(holder.isActive)
        #expect(budget.held == 400)
        #expect(budget.accounts == 1)
        _ = try? grower.finish()
        _ = try holder.finish()
        #expect(budget.held == 0)
        #expect(budget.accounts == 0)
    }

    @Test func wholeFramesHoldNothingAndClosingReleasesAShare() throws {
        let budget = IncompleteFrameBudget(limit: 1000, logger: Logger(label: "test"))
        let channel = try connection(budget)
        // Two whole frames and the first 10 bytes of a third, in one read.
        var bytes = partialFrame(bodyLength: 300, present: 300)
        var second = partialFrame(bodyLength: 300, present: 300)
        bytes.writeBuffer(&second)
        var third = partialFrame(bodyLength: 300, present: 0)
        bytes.writeBuffer(&third)
        bytes.writeRepeatingByte(1, count: 10)
        try channel.writeInbound(bytes)
        #expect(try channel.readInbound(as: TransportFrame.self) != nil)
        #expect(try channel.readInbound(as: TransportFrame.self) != nil)
        #expect(budget.held == 23)
        _ = try? channel.finish()
        #expect(budget.held == 0)
        #expect(budget.accounts == 0)
    }
}
