/// The layout `spark-space local` gives a space on one machine: a loopback address per dyno
/// (127.0.x.y) and the DNS-discovery names a Private Space would resolve.
public struct LocalSpace: Sendable, Equatable {
    public struct Dyno: Sendable, Equatable {
        /// `master`, `worker`, `web` or `console`.
        public var process: String
        public var index: Int
        public var address: String
        /// `<index>.<process>.<app>.app.localspace`.
        public var dnsName: String
    }

    public var appName: String
    public var dynos: [Dyno]

    public init(appName: String, masters: Int, workers: Int) {
        self.appName = appName
        var dynos: [Dyno] = []
        func add(_ process: String, _ count: Int, network: Int) {
            for index in 1...max(count, 1) where count > 0 {
                dynos.append(Dyno(
                    process: process, index: index, address: "127.0.\(network).\(index)",
                    dnsName: "\(index).\(process).\(appName).app.localspace"))
            }
        }
        add("master", masters, network: 1)
        add("worker", workers, network: 2)
        add("web", 1, network: 3)
        add("console", 1, network: 4)
        self.dynos = dynos
    }

    public func dynos(_ process: String) -> [Dyno] { dynos.filter { $0.process == process } }

    /// `/etc/hosts` lines naming every dyno.
    public var hostsEntries: String {
        dynos.map { "\($0.address) \($0.dnsName)" }.joined(separator: "\n")
    }

    /// The config vars a dyno sees in the space (`useNames`: DNS names, else bare addresses).
    public func environment(for dyno: Dyno, useNames: Bool, masterCount: Int) -> [String: String] {
        [
            "HEROKU_DNS_APP_NAME": appName,
            "HEROKU_DNS_DYNO_NAME": useNames ? dyno.dnsName : dyno.address,
            "HEROKU_PRIVATE_IP": dyno.address,
            "SPARK_MASTERS": String(masterCount),
            "DYNO": "\(dyno.process).\(dyno.index)",
        ]
    }

    /// Master URL for the local layout (names, or addresses when names do not resolve).
    public func masterURL(useNames: Bool, port: Int = 7077) -> String {
        "spark://" + dynos("master").map { "\(useNames ? $0.dnsName : $0.address):\(port)" }.joined(separator: ",")
    }

    /// Replaces (or adds) this space's block in a hosts file's text.
    public func hostsFile(updating text: String) -> String {
        let begin = "# spark-space local \(appName) begin"
        let end = "# spark-space local \(appName) end"
        return Self.removingBlock(from: text, begin: begin, end: end)
            + "\(begin)\n\(hostsEntries)\n\(end)\n"
    }

    /// The hosts file's text without this space's block.
    public func hostsFile(removingFrom text: String) -> String {
        Self.removingBlock(from: text, begin: "# spark-space local \(appName) begin", end: "# spark-space local \(appName) end")
    }

    private static func removingBlock(from text: String, begin: String, end: String) -> String {
        var kept: [Substring] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == begin { inside = true; continue }
            if line == end { inside = false; continue }
            if !inside { kept.append(line) }
        }
        var result = kept.joined(separator: "\n")
        if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
        return result
    }
}
