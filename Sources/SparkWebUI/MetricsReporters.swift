#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SparkConfig
import SparkDaemon

/// An instance's reporting sinks (`MetricsPushSink`) at work: every period each one writes the
/// instance's gauges as Spark's sink writes them, the first time one period after the start (as
/// Dropwizard's `ScheduledReporter` starts), and once more when the daemon stops gracefully. A
/// report that fails is logged and the next one is made as usual.
public final class MetricsReporters: Sendable {
    public typealias Gauges = @Sendable () async -> [MetricsDocument.Gauge]

    private let sinks: [MetricsPushSink]
    private let gauges: Gauges
    private let logger: Logger
    private let metricsLogger: Logger
    private let group: any EventLoopGroup
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    /// Starts reporting `gauges()` to `sinks`; nothing runs when there are none.
    public init(sinks: [MetricsPushSink], gauges: @escaping Gauges, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.sinks = sinks
        self.gauges = gauges
        self.group = group
        self.logger = logger
        // Dropwizard's Slf4jReporter logs to the logger named `metrics`, at the daemon's level.
        metricsLogger = Logger(label: "metrics")
        for sink in sinks {
            if case .statsd(_, _, let prefix) = sink.kind { logger.info("StatsdSink started with prefix: '\(prefix)'") }
            let task = Task { [self] in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(nanoseconds: UInt64(sink.periodNanoseconds))
                    } catch {
                        return
                    }
                    await report(to: sink)
                }
            }
            tasks.withLockedValue { $0.append(task) }
        }
    }

    /// Stops the periodic reports and reports once more to every sink.
    public func stop() async {
        let running = tasks.withLockedValue { $0 }
        for task in running { task.cancel() }
        // A report under way ends first: reports to one sink never overlap.
        for task in running { await task.value }
        for sink in sinks { await report(to: sink) }
    }

    /// One report to `sink` of the gauges now.
    func report(to sink: MetricsPushSink) async {
        var gauges = MetricsDocument.sorted(await gauges())
        if let pattern = sink.filter {
            guard let regex = try? Regex(pattern) else {
                logger.warning("Exception thrown from sink \(sink.name)#report: the regex \(pattern) cannot be compiled. Exception was suppressed.")
                return
            }
            gauges = gauges.filter { $0.name.firstMatch(of: regex) != nil }
        }
        let now = Int64(Self.millisecondsSinceEpoch())
        do {
            switch sink.kind {
            case .console:
                Daemon.write(Self.consoleReport(gauges, epochMillis: now), to: STDOUT_FILENO)
            case .csv(let directory):
                // Off the concurrency pool: a file each gauge, on whatever disk the directory is.
                try await NIOThreadPool.singleton.runIfActive { [gauges] in
                    try Self.appendCSV(gauges, directory: directory, epochSeconds: now / 1000)
                }
            case .slf4j:
                for gauge in gauges { metricsLogger.info("\(Self.slf4jLine(gauge))") }
            case .graphite(let host, let port, let udp, let prefix):
                let lines = Self.graphiteLines(gauges, prefix: prefix, epochSeconds: now / 1000)
                if udp {
                    try await sendDatagrams(lines, host: host, port: port)
                } else {
                    try await sendOverTCP(lines.joined(), host: host, port: port, timeout: sink.periodNanoseconds)
                }
            case .statsd(let host, let port, let prefix):
                try await sendDatagrams(Self.statsdDatagrams(gauges, prefix: prefix), host: host, port: port)
            }
        } catch {
            switch sink.kind {
            case .graphite(let host, let port, _, _): logger.warning("Unable to report to Graphite \(host):\(port): \(error)")
            case .statsd(let host, let port, _): logger.debug("Unable to send packets to StatsD at '\(host):\(port)': \(error)")
            default: logger.warning("Unable to report metrics to sink \(sink.name): \(error)")
            }
        }
    }

    // MARK: - Formats

    /// A numeric gauge's value as Dropwizard formats a `Long`; nil for text (Graphite and StatsD skip it).
    static func number(_ value: MetricsDocument.Value) -> String? {
        if case .number(let number) = value { return String(number) }
        return nil
    }

    /// `String.valueOf` of the gauge's value.
    static func text(_ value: MetricsDocument.Value) -> String {
        switch value {
        case .number(let number): String(number)
        case .text(let text): text
        }
    }

    /// Dropwizard's `MetricRegistry.name(prefix, name)`: the non-empty parts joined by dots.
    static func fullName(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : name.isEmpty ? prefix : prefix + "." + name
    }

    /// Runs of whitespace as one `-` (Java's `[\s]+`: space, tab, new line, vertical tab, form feed, carriage return).
    static func dashingWhitespace(_ text: String) -> String {
        var result = ""
        var inRun = false
        for scalar in text.unicodeScalars {
            if [" ", "\t", "\n", "\u{0B}", "\u{0C}", "\r"].contains(scalar) {
                if !inRun { result.append("-") }
                inRun = true
            } else {
                result.unicodeScalars.append(scalar)
                inRun = false
            }
        }
        return result
    }

    /// Spark's `StatsdReporter`: `<prefix.name>:<value>|g` a numeric gauge, whitespace dashed.
    static func statsdDatagrams(_ gauges: [MetricsDocument.Gauge], prefix: String) -> [String] {
        gauges.compactMap { gauge in
            number(gauge.value).map { dashingWhitespace("\(fullName(prefix, gauge.name)):\($0)|g") }
        }
    }

    /// Dropwizard's `GraphiteReporter`: `<prefix.name> <value> <seconds>\n` a numeric gauge, name and
    /// value trimmed and whitespace dashed (`GraphiteSanitize`).
    static func graphiteLines(_ gauges: [MetricsDocument.Gauge], prefix: String, epochSeconds: Int64) -> [String] {
        gauges.compactMap { gauge in
            number(gauge.value).map { value in
                "\(dashingWhitespace(trimmed(fullName(prefix, gauge.name)))) \(dashingWhitespace(trimmed(value))) \(epochSeconds)\n"
            }
        }
    }

    /// Java's `String.trim`: code points up to U+0020 off both ends.
    static func trimmed(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }), let last = scalars.lastIndex(where: { $0.value > 0x20 }) else {
            return ""
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars[first...last])
        return result
    }

    /// Dropwizard's `Slf4jReporter`: `type=GAUGE, name=<name>, value=<value>`.
    static func slf4jLine(_ gauge: MetricsDocument.Gauge) -> String {
        "type=GAUGE, name=\(gauge.name), value=\(text(gauge.value))"
    }

    /// Dropwizard's `ConsoleReporter` (80 columns): the date and time in a banner, then the gauges.
    static func consoleReport(_ gauges: [MetricsDocument.Gauge], epochMillis: Int64) -> String {
        func banner(_ text: String, _ fill: Character) -> String {
            text + " " + String(repeating: fill, count: max(0, 80 - text.count - 1)) + "\n"
        }
        var output = banner(consoleDateTime(epochMillis: epochMillis), "=") + "\n"
        if !gauges.isEmpty {
            output += banner("-- Gauges", "-")
            for gauge in gauges { output += gauge.name + "\n" + "             value = \(text(gauge.value))\n" }
            output += "\n"
        }
        return output + "\n"
    }

    /// Java's `DateFormat.getDateTimeInstance(SHORT, MEDIUM)` for US English in the local time
    /// zone: `11/28/26, 7:05:09 PM`.
    static func consoleDateTime(epochMillis: Int64) -> String {
        var seconds = time_t(epochMillis / 1000)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "" }
        let hour = parts.tm_hour % 12 == 0 ? 12 : parts.tm_hour % 12
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_mon + 1)/\(parts.tm_mday)/\(two(parts.tm_year % 100)), \(hour):\(two(parts.tm_min)):\(two(parts.tm_sec)) "
            + (parts.tm_hour < 12 ? "AM" : "PM")
    }

    /// Dropwizard's `CsvReporter`: `<directory>/<name>.csv` a gauge, its header `t,value` when the
    /// file is new, then `<seconds>,<value>`.
    static func appendCSV(_ gauges: [MetricsDocument.Gauge], directory: String, epochSeconds: Int64) throws(ReportFailure) {
        var failures: [String] = []
        for gauge in gauges {
            var name = Substring(gauge.name)
            while name.first == "/" { name = name.dropFirst() }
            let file = String(name).replacingSlashes()
            let path = directory.hasSuffix("/") ? directory + file + ".csv" : directory + "/" + file + ".csv"
            var existing = stat()
            let isNew = stat(path, &existing) != 0
            let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
            guard descriptor >= 0 else {
                failures.append("Error writing to \(gauge.name): \(String(cString: strerror(errno)))")
                continue
            }
            let line = (isNew ? "t,value\n" : "") + "\(epochSeconds),\(text(gauge.value))\n"
            let written = Daemon.write(line, to: descriptor)
            if close(descriptor) != 0 || !written { failures.append("Error writing to \(gauge.name)") }
        }
        if !failures.isEmpty { throw ReportFailure(failures.joined(separator: "; ")) }
    }

    struct ReportFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func millisecondsSinceEpoch() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    // MARK: - Transport

    /// One datagram a line, from a socket opened for the report.
    private func sendDatagrams(_ payloads: [String], host: String, port: Int) async throws {
        guard !payloads.isEmpty else { return }
        let address = try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(host, port: port) }
        let channel = try await DatagramBootstrap(group: group)
            .bind(host: address.protocol == .inet6 ? "::" : "0.0.0.0", port: 0).get()
        defer { channel.close(promise: nil) }
        for payload in payloads.dropLast() {
            channel.write(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(string: payload)), promise: nil)
        }
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: ByteBuffer(string: payloads.last!))).get()
    }

    /// A connection for the report, as Dropwizard's `Graphite` makes one: the lines, then the close.
    private func sendOverTCP(_ text: String, host: String, port: Int, timeout: Int64) async throws {
        guard !text.isEmpty else { return }
        // Resolved on the thread pool, not on the event loop's resolver queue the RPC connections share.
        let address = try await NIOThreadPool.singleton.runIfActive { try SocketAddress.makeAddressResolvingHost(host, port: port) }
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(min(timeout, 10_000_000_000)))
            .connect(to: address).get()
        do {
            try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        } catch {
            try? await channel.close().get()
            throw error
        }
        try? await channel.close().get()
    }
}

extension String {
    /// `/` as `.` (Dropwizard's `FixedNameCsvFileProvider`).
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
