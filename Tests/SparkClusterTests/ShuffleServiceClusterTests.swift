import Foundation
import SparkTestKit
import Testing

/// `spark.shuffle.service.enabled`: each Swift worker runs Spark's external shuffle service, and a
/// real application with dynamic allocation reads its shuffle output through it after the
/// executors that wrote it are gone. The two workers stand for two hosts (127.0.0.2 and
/// 127.0.0.3, each with its own service on the same port), so a later executor reads one host's
/// blocks from disk (the local directories it asks its own host's service for) and fetches the
/// other's from that host's service.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct ShuffleServiceClusterTests {
    /// One stage writes shuffle output on both hosts; once dynamic allocation has removed every
    /// executor, a second job reuses that output (its map stage skipped). A fetch failure would
    /// rerun the map stage: the listener counts both.
    static let script = """
        import org.apache.spark.scheduler._
        val fetchFailures = new java.util.concurrent.atomic.AtomicInteger(0)
        val stagesDone = new java.util.concurrent.atomic.AtomicInteger(0)
        sc.addSparkListener(new SparkListener { override def onTaskEnd(e: SparkListenerTaskEnd): Unit = { if (e.reason.isInstanceOf[org.apache.spark.FetchFailed]) fetchFailures.incrementAndGet() }; override def onStageCompleted(e: SparkListenerStageCompleted): Unit = { stagesDone.incrementAndGet() } })
        val counts = sc.parallelize(1 to 200000, 8).map(x => (x % 1000, 1L)).reduceByKey(_ + _, 6)
        println("FIRST " + counts.map(_._2).sum().toLong)
        var waited = 0; while (sc.statusTracker.getExecutorInfos.length > 1 && waited < 120) { Thread.sleep(500); waited += 1 }
        println("EXECUTORS LEFT " + (sc.statusTracker.getExecutorInfos.length - 1))
        println("SECOND " + counts.map(_._2).sum().toLong)
        Thread.sleep(1000)
        println("FETCH FAILURES " + fetchFailures.get + " STAGES " + stagesDone.get)
        :quit

        """

    @Test(arguments: [("4.3.0", false), ("3.5.9", true)])
    func shuffleOutputOutlivesItsExecutors(sparkVersion: String, authenticate: Bool) async throws {
        let cluster = try ClusterHarness(name: "shuffle-\(sparkVersion)", sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        let secret = AuthenticationClusterTests.makeSecret()
        let auth = authenticate ? AuthenticationClusterTests.options(secret: secret) : []
        let port = try freePort()
        let shuffle = ["-Dspark.shuffle.service.enabled=true", "-Dspark.shuffle.service.port=\(port)"]
        try await cluster.startMaster(options: auth)
        // One core each: the two executors of the first job are on different hosts.
        let workers = [
            try await cluster.startWorker(.swift, host: "127.0.0.2", cores: 1, options: auth + shuffle),
            try await cluster.startWorker(.swift, host: "127.0.0.3", cores: 1, options: auth + shuffle),
        ]
        for worker in workers { #expect(worker.log().contains("Starting shuffle service on port \(port) with useSasl = \(authenticate)")) }

        var conf = [
            "spark.shuffle.service.enabled": "true", "spark.shuffle.service.port": "\(port)",
            "spark.dynamicAllocation.enabled": "true", "spark.dynamicAllocation.executorIdleTimeout": "2s",
            "spark.dynamicAllocation.maxExecutors": "2", "spark.executor.cores": "1",
        ]
        if authenticate {
            conf["spark.authenticate"] = "true"
            conf["spark.authenticate.secret"] = secret
        }
        let shell = try await cluster.sparkShell(Self.script, conf: conf, timeout: .seconds(300))
        let diagnostics = "\(shell.stdout)\n\(shell.stderr.suffix(4000))\n\(cluster.logs)"
        #expect(shell.stdout.contains("FIRST 200000"), "\(diagnostics)")
        #expect(shell.stdout.contains("EXECUTORS LEFT 0"), "\(diagnostics)")
        #expect(shell.stdout.contains("SECOND 200000"), "\(diagnostics)")
        #expect(shell.stdout.contains("FETCH FAILURES 0 STAGES 3"), "\(diagnostics)")
        // Every executor of both jobs registered with its host's service; those of the first job
        // had their other files cleaned when dynamic allocation removed them.
        for worker in workers {
            let log = worker.log()
            #expect(log.contains("Registered executor"), "\(log)")
            #expect(log.contains("Clean up non-shuffle and non-RDD files associated with the finished executor"), "\(log)")
        }
        #expect(!shell.stderr.contains("Unable to register with external shuffle server"), "\(diagnostics)")
    }
}
