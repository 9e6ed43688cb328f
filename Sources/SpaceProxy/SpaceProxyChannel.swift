import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import SparkDaemon

/// The client-connection pipeline: Hummingbird's HTTP/1 channel, plus the request-target guard where the
/// raw request line is still visible, decoder limits on header count and size, and a guard closing
/// connections whose client stopped taking the response.
///
/// ```
/// socket ─ WriteStallGuard (client timeout while writing) ─ HTTPResponseEncoder / HTTPRequestDecoder (limits)
///        ─ RequestTargetGuard ─ HTTP1ToHTTPServerCodec
///        ─ HTTPConnectionStateHandler (idle / header timeout, quiescing) ─ NIOAsyncChannel → responder
/// ```
struct SpaceProxyChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let clientTimeout: TimeAmount
    let maximumHeaderCount: Int
    let maximumHeaderBytes: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldCount = maximumHeaderCount
            limits.maxHeaderFieldSize = maximumHeaderBytes
            limits.maxHeaderListSize = maximumHeaderBytes
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(WriteStallGuard(timeout: clientTimeout, logger: logger))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // requests are read one at a time through the async channel
                withErrorHandling: false,  // Hummingbird answers parser errors with 400 and closes
                withOutboundHeaderValidation: true,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits)
            try pipeline.addHandler(RequestTargetGuard(logger: logger))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: Duration(clientTimeout), logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension Duration {
    init(_ amount: TimeAmount) {
        self = .nanoseconds(amount.nanoseconds)
    }
}
