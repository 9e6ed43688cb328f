import SparkConfig
import SparkModel

/// The custom resources a worker offers the master (GPUs, FPGAs, any named addresses), found at
/// start the way Spark's worker finds them (`ResourceUtils.getOrDiscoverAllResources` for the
/// `spark.worker` component):
///
/// - `spark.worker.resourcesFile`: a JSON list of allocations; the entries whose component is
///   `spark.worker` are taken as they are.
/// - `spark.worker.resource.<name>.amount` (with `.discoveryScript`, `.vendor`): every other
///   named resource with an amount above 0 is discovered by running its script, which prints
///   `{"name": "<name>", "addresses": [...]}`.
/// - Every resource with an amount must have at least that many addresses.
///
/// This type decides; the shell reads the file and runs the scripts. Any failure stops the
/// worker at start, as Spark's does (`Failed to setup worker resources`).
public enum WorkerResources {
    /// The component name of worker resources in configuration keys and resources files.
    public static let componentName = "spark.worker"
    /// `spark.worker.resourcesFile`.
    public static let resourcesFileKey = "spark.worker.resourcesFile"
    /// `spark.resources.discoveryPlugin`: JVM classes, which this worker cannot load.
    public static let discoveryPluginKey = "spark.resources.discoveryPlugin"
    /// The plugin Spark always tries last: running the discovery script, which this worker does.
    public static let scriptPluginClass = "org.apache.spark.resource.ResourceDiscoveryScriptPlugin"
    static let prefix = componentName + ".resource."

    /// One configured resource (Spark: `ResourceRequest`).
    public struct Request: Sendable, Equatable {
        public var name: String
        public var amount: Int
        public var discoveryScript: String?
        public var vendor: String?

        public init(name: String, amount: Int, discoveryScript: String? = nil, vendor: String? = nil) {
            self.name = name
            self.amount = amount
            self.discoveryScript = discoveryScript
            self.vendor = vendor
        }
    }

    /// Why the worker cannot offer its resources; the text is what the log says.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String

        public init(_ description: String) {
            self.description = description
        }
    }

    /// The names under `spark.worker.resource.`, each once, in name order (Spark:
    /// `listResourceIds`). A key without a setting after the name is an error, as in Spark.
    public static func names(in conf: SparkConf) throws(Failure) -> [String] {
        var names: [String] = []
        for key in conf.sortedKeys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: ".") else {
                throw Failure("You must specify an amount config for resource: \(rest) config: \(prefix)\(rest).amount")
            }
            let name = String(rest[..<dot])
            if names.last != name, !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// Spark: `parseResourceRequest`.
    public static func request(_ name: String, in conf: SparkConf) throws(Failure) -> Request {
        let keyPrefix = prefix + name + "."
        guard let amountText = conf[keyPrefix + "amount"] else {
            throw Failure("You must specify an amount for \(name)")
        }
        guard let amount = Int(amountText) else {
            throw Failure("For input string: \"\(amountText)\" (\(keyPrefix)amount must be a whole number)")
        }
        return Request(name: name, amount: amount, discoveryScript: conf[keyPrefix + "discoveryScript"], vendor: conf[keyPrefix + "vendor"])
    }

    /// The resources to offer, in name order.
    ///
    /// - Parameters:
    ///   - allocatedFromFile: the `spark.worker` entries of the resources file, in file order (the
    ///     shell has parsed it); empty without one.
    ///   - discover: runs a request's discovery script and returns what it printed.
    public static func resolve(
        conf: SparkConf, allocatedFromFile: [ResourceInformation], discover: (Request) async throws(Failure) -> ResourceInformation
    ) async throws(Failure) -> [ResourceInformation] {
        var byName: [String: ResourceInformation] = [:]
        for allocation in allocatedFromFile { byName[allocation.name] = allocation }
        // Every configured resource needs an amount, also one the file allocates; all are checked
        // before any script runs (Spark: `parseAllResourceRequests` first).
        var requests: [Request] = []
        for name in try names(in: conf) {
            let request = try request(name, in: conf)
            if request.amount > 0 { requests.append(request) }
        }
        for request in requests where byName[request.name] == nil {
            try checkNoPlugins(conf)
            byName[request.name] = try await checkedDiscovery(request, discover)
        }
        for request in requests {
            let addresses = byName[request.name]?.addresses ?? []
            guard addresses.count >= request.amount else {
                throw Failure(
                    "Resource: \(request.name), with addresses: \(addresses.joined(separator: ",")) "
                        + "is less than what the user requested: \(request.amount))")
            }
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// Spark loads the discovery plugins when a resource has to be discovered, and tries them before
    /// the script; this worker cannot load them, so it does not discover behind their back. (The
    /// setting is also read by applications, so it is refused only when the worker would discover.)
    static func checkNoPlugins(_ conf: SparkConf) throws(Failure) {
        let plugins = conf.list(discoveryPluginKey).filter { $0 != scriptPluginClass }
        guard plugins.isEmpty else {
            throw Failure(
                "\(discoveryPluginKey) (\(plugins.joined(separator: ","))) names JVM classes, which this worker cannot load; "
                    + "give each resource a discovery script (\(prefix)<name>.discoveryScript) or list it in \(resourcesFileKey)")
        }
    }

    /// Spark: `ResourceDiscoveryScriptPlugin.discoverResource`'s checks around running the script.
    static func checkedDiscovery(
        _ request: Request, _ discover: (Request) async throws(Failure) -> ResourceInformation
    ) async throws(Failure) -> ResourceInformation {
        guard let script = request.discoveryScript, !script.isEmpty else {
            throw Failure("User is expecting to use resource: \(request.name), but didn't specify a discovery script!")
        }
        let found = try await discover(request)
        guard found.name == request.name else {
            throw Failure(
                "Error running the resource discovery script \(script): script returned resource name \(found.name) "
                    + "and we were expecting \(request.name).")
        }
        return found
    }

    /// The log lines Spark's worker writes once its resources are known (`logResourceInfo`).
    public static func logLines(_ resources: [ResourceInformation]) -> [String] {
        let rule = String(repeating: "=", count: 62)
        guard !resources.isEmpty else {
            return [rule, "No custom resources configured for \(componentName).", rule]
        }
        let lines = resources.map { "\($0.name) -> [name: \($0.name), addresses: \($0.addresses.joined(separator: ","))]" }
        return [rule, "Custom resources for \(componentName):\n" + lines.joined(separator: "\n"), rule]
    }

    /// Addresses in use per offered resource, in the order of `offered` and of its addresses, for
    /// `/json`'s `resourcesused` and the status page; a name in use that is not offered comes last.
    public static func used(
        offered: [ResourceInformation], assigned: [[(String, ResourceInformation)]]
    ) -> [ResourceInformation] {
        var taken: [String: Set<String>] = [:]
        var extraNames: [String] = []
        var extraAddresses: [String: [String]] = [:]
        let offeredNames = Set(offered.map(\.name))
        for resources in assigned {
            for (name, info) in resources {
                taken[name, default: []].formUnion(info.addresses)
                if !offeredNames.contains(name) {
                    if extraAddresses[name] == nil { extraNames.append(name) }
                    extraAddresses[name, default: []] += info.addresses
                }
            }
        }
        return offered.map { resource in
            ResourceInformation(name: resource.name, addresses: resource.addresses.filter { taken[resource.name]?.contains($0) == true })
        } + extraNames.map { ResourceInformation(name: $0, addresses: extraAddresses[$0]!) }
    }
}
