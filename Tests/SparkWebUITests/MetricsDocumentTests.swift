@testable import SparkWebUI
import Testing

/// Metric documents written as Spark's servlets write them (the JVM's own documents are compared
/// in `MasterJSONJVMTests`).
@Suite struct MetricsDocumentTests {
    static let gauges: [MetricsDocument.Gauge] = [
        ("worker.memFree_MB", .number(1536)),
        ("application.Ünïcode \"app\".1795833264180.status", .text("RUNNING")),
        ("application.Ünïcode \"app\".1795833264180.cores", .number(2)),
        ("worker.coresFree", .number(0)),
    ]

    @Test func jsonIsDropwizardsCompactRegistry() {
        #expect(MetricsDocument.json(Self.gauges) == """
            {"version":"4.0.0","gauges":{"application.Ünïcode \\"app\\".1795833264180.cores":{"value":2},\
            "application.Ünïcode \\"app\\".1795833264180.status":{"value":"RUNNING"},"worker.coresFree":{"value":0},\
            "worker.memFree_MB":{"value":1536}},"counters":{},"histograms":{},"meters":{},"timers":{}}
            """)
        #expect(MetricsDocument.json([]) == #"{"version":"4.0.0","gauges":{},"counters":{},"histograms":{},"meters":{},"timers":{}}"#)
    }

    @Test func prometheusHasTwoLinesANumberAndNoneAText() {
        #expect(MetricsDocument.prometheus(Self.gauges) == """
            metrics_application__n_code__app__1795833264180_cores_Number{type="gauges"} 2
            metrics_application__n_code__app__1795833264180_cores_Value{type="gauges"} 2
            metrics_worker_coresFree_Number{type="gauges"} 0
            metrics_worker_coresFree_Value{type="gauges"} 0
            metrics_worker_memFree_MB_Number{type="gauges"} 1536
            metrics_worker_memFree_MB_Value{type="gauges"} 1536

            """)
        // One `_` a code point, as Java's regex replaces it, even outside the BMP.
        #expect(MetricsDocument.prometheus([("application.app😀.1.cores", .number(1))]).hasPrefix("metrics_application_app__1_cores_Number"))
    }

    @Test func workerGauges() {
        let gauges = MetricsDocument.worker(executors: 1, cores: 4, coresUsed: 3, memoryMiB: 2048, memoryUsedMiB: 512)
        #expect(MetricsDocument.json(gauges) == """
            {"version":"4.0.0","gauges":{"worker.coresFree":{"value":1},"worker.coresUsed":{"value":3},"worker.executors":{"value":1},\
            "worker.memFree_MB":{"value":1536},"worker.memUsed_MB":{"value":512}},"counters":{},"histograms":{},"meters":{},"timers":{}}
            """)
    }
}
