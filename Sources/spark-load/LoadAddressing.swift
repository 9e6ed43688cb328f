/// Where simulated workers and drivers say they listen.
///
/// A standalone master keys workers and applications by the host:port of the endpoint reference they
/// register with (Spark: `Master.addressToWorker`, `addressToApp`) and refuses a second live one at
/// the same address, whatever the endpoint name. So every simulated endpoint needs an address of its
/// own. On loopback each gets its own `127.a.b.c` host with the port of the RPC environment that hosts
/// it (bound to the wildcard address, so every alias reaches it): thousands of endpoints share a few
/// sockets. A master that writes back over the connection a registration came on (Spark's JVM master)
/// never dials these addresses; one that dials the reference's address (spark-space's master) reaches
/// the same environment, which routes by endpoint name.
enum LoadAddressing {
    /// First octet after 127 for workers and for drivers; each block holds 250 × 250 hosts.
    static let workerBlock = 16
    static let driverBlock = 200
    static let hostsPerBlock = 250 * 250

    static func isLoopback(_ host: String) -> Bool { host.hasPrefix("127.") || host == "localhost" }

    /// `127.a.b.c` for the `index`-th endpoint of a block; the last two octets stay in 1...250.
    static func loopbackAlias(_ index: Int, block: Int) -> String {
        let a = block + index / hostsPerBlock
        let b = 1 + (index / 250) % 250
        let c = 1 + index % 250
        precondition(a < 255, "too many simulated endpoints for loopback aliases")
        return "127.\(a).\(b).\(c)"
    }
}
