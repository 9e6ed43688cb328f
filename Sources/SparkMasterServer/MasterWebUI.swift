import Foundation
import Hummingbird
import SparkMaster
import SparkModel

/// The master's HTTP endpoints.
enum MasterWebUI {
    static func router(service: MasterService) -> Router<BasicRequestContext> {
        let router = Router()
        let json: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, _ in
            guard let master = service.snapshot else { throw HTTPError(.serviceUnavailable, message: "master is starting") }
            let zone = TimeZone.current.abbreviation() ?? "UTC"
            let body = MasterStatusJSON.render(master, now: MasterService.now(), zoneName: zone).prettyPrinted
            return Response(
                status: .ok, headers: [.contentType: "application/json;charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/json", use: json)
        return router
    }
}
