import Logging

extension Daemon {
    /// Why a service could not start on any port it may take.
    public struct ServiceStartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Spark's `Utils.startServiceOnPort`: starts a service on `port`, or while that fails on the
    /// next of `retries` ports (none when `port` is 0: any free port), and logs as Spark does for
    /// `serviceName` (nil: Spark's unnamed service, the REST server's). Spark retries on any bind
    /// failure, a port taken or one refused to this user; so does this. `start` binds one port and
    /// returns the service with the port it got.
    public static func startServiceOnPort<Service>(
        _ port: Int, retries: Int, serviceName: String?, logger: Logger,
        _ start: (_ port: Int) async throws -> (service: Service, port: Int)
    ) async throws(ServiceStartFailure) -> Service {
        let name = serviceName.map { " '\($0)'" } ?? ""
        let attempts = port == 0 ? 0 : max(0, min(retries, 65535 - port))
        var attempt = 0
        while true {
            let candidate = port == 0 ? 0 : port + attempt
            do {
                let started = try await start(candidate)
                logger.info("Successfully started service\(name) on port \(started.port).")
                return started.service
            } catch {
                guard attempt < attempts else {
                    throw ServiceStartFailure(
                        description: "Service\(name) could not bind on port \(candidate)"
                            + (attempts > 0 ? " (after \(attempts) retries from port \(port))" : "") + ": \(error)")
                }
                logger.warning("Service\(name) could not bind on port \(candidate). Attempting port \(candidate + 1).")
                attempt += 1
            }
        }
    }
}
