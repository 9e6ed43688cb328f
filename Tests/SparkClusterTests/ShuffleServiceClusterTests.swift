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
    /// One stage writes shuffle output on both hosts, another writes blocks larger than what the
    /// service sends from memory; once dynamic allocation has removed every executor, later jobs
    /// reuse both outputs (their map stages skipped). A fetch failure would rerun a map stage: the
    /// listener counts both.
    static let script = """
        import org.apache.spark.scheduler._
        val fetchFailures = new java.util.concurrent.atomic.AtomicInteger(0)
        val stagesDone = new java.util.concurrent.atomic.AtomicInteger(0)
        sc.addSparkListener(new SparkListener { override def onTaskEnd(e: SparkListenerTaskEnd): Unit = { if (e.reason.isInstanceOf[org.apache.spark.FetchFailed]) fetchFailures.incrementAndGet() }; override def onStageCompleted(e: SparkListenerStageCompleted): Unit = { stagesDone.incrementAndGet() } })
        val counts = sc.parallelize(1 to 200000, 8).map(x => (x % 1000, 1L)).reduceByKey(_ + _, 6)
        println("FIRST " + counts.map(_._2).sum().toLong)
        val big = sc.parallelize(1 to 4, 4).map { i => val bytes = new Array[Byte](600000); new scala.util.Random(i).nextBytes(bytes); (i, bytes) }.partitionBy(new org.apache.spark.HashPartitioner(2))
        println("BIG " + big.map(_._2.map(_.toLong).sum).sum().toLong)
        var waited = 0; while (sc.statusTracker.getExecutorInfos.length > 1 && waited < 120) { Thread.sleep(500); waited += 1 }
        println("EXECUTORS LEFT " + (sc.statusTracker.getExecutorInfos.length - 1))
        println("SECOND " + counts.map(_._2).sum().toLong)
        Thread.sleep(1000)
        println("FETCH FAILURES " + fetchFailures.get + " STAGES " + stagesDone.get)
        println("BIG AGAIN " + big.map(_._2.map(_.toLong).sum).sum().toLong)
        :quit

        """

    /// How the later executors get the blocks: Spark 4.3 as configured by default (host-local
    /// blocks read from disk in the directories the local service names, the others fetched by
    /// chunk); every block fetched from a service by chunk, over connections encrypted with
    /// `spark.network.crypto.enabled` and AES-GCM (the blocks read from their files go through the cipher);
    /// Spark 3.5 with SASL authentication, every block fetched from a service and written to disk by
    /// the client (a stream, as for blocks over `spark.network.maxRemoteBlockSizeFetchToMem`).
    enum Reading: String, CaseIterable, Sendable {
        case defaults, chunks, streams
    }

    @Test(arguments: [("4.3.0", Reading.defaults), ("4.3.0", .chunks), ("3.5.9", .streams)])
    func shuffleOutputOutlivesItsExecutors(sparkVersion: String, reading: Reading) async throws {
        let authenticate = reading != .defaults
        let encrypt = reading == .chunks
        let cluster = try ClusterHarness(name: "shuffle-\(sparkVersion)-\(reading)", sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        let secret = AuthenticationClusterTests.makeSecret()
        let auth = !authenticate ? [] : encrypt
            ? AuthenticationClusterTests.cryptoOptions(secret: secret, engineVersion: 1, cipher: "AES/GCM/NoPadding")
            : AuthenticationClusterTests.options(secret: secret)
        let port = try freePort()
        let shuffle = ["-Dspark.shuffle.service.enabled=true", "-Dspark.shuffle.service.port=\(port)"]
        try await cluster.startMaster(options: auth)
        // One core each: the two executors of the first job are on different hosts.
        let workers = [
            try await cluster.startWorker(.swift, host: "127.0.0.2", cores: 1, options: auth + shuffle),
            try await cluster.startWorker(.swift, host: "127.0.0.3", cores: 1, options: auth + shuffle),
        ]
        for worker in workers { #expect(worker.log().contains("Starting shuffle service on port \(port) (auth enabled = \(authenticate))")) }

        var conf = [
            "spark.shuffle.service.enabled": "true", "spark.shuffle.service.port": "\(port)",
            "spark.dynamicAllocation.enabled": "true", "spark.dynamicAllocation.executorIdleTimeout": "2s",
            "spark.dynamicAllocation.maxExecutors": "2", "spark.executor.cores": "1",
        ]
        if reading != .defaults { conf["spark.shuffle.readHostLocalDisk"] = "false" }
        if authenticate {
            conf["spark.authenticate"] = "true"
            conf["spark.authenticate.secret"] = secret
        }
        if encrypt {
            conf["spark.network.crypto.enabled"] = "true"
            conf["spark.network.crypto.saslFallback"] = "false"
            conf["spark.network.crypto.cipher"] = "AES/GCM/NoPadding"
        }
        if reading == .streams { conf["spark.network.maxRemoteBlockSizeFetchToMem"] = "1" }
        let shell = try await cluster.sparkShell(Self.script, conf: conf, timeout: .seconds(300))
        let diagnostics = "\(shell.stdout)\n\(shell.stderr.suffix(4000))\n\(cluster.logs)"
        #expect(shell.stdout.contains("FIRST 200000"), "\(diagnostics)")
        #expect(shell.stdout.contains("EXECUTORS LEFT 0"), "\(diagnostics)")
        #expect(shell.stdout.contains("SECOND 200000"), "\(diagnostics)")
        #expect(shell.stdout.contains("FETCH FAILURES 0 STAGES 5"), "\(diagnostics)")
        // Blocks of 600 000 random bytes: over the 256 KiB sent from memory, so sent from the file.
        let big = try #require(shell.stdout.split(separator: "\n").first { $0.contains("BIG ") && !$0.contains("BIG AGAIN") }, "\(diagnostics)")
        #expect(shell.stdout.contains("BIG AGAIN " + big[big.range(of: "BIG ")!.upperBound...]), "\(diagnostics)")
        // Every executor of both jobs registered with its host's service; those of the first job
        // had their other files cleaned when dynamic allocation removed them.
        for worker in workers {
            let log = worker.log()
            #expect(log.contains("Registered executor"), "\(log)")
            #expect(log.contains("Clean up non-shuffle and non-RDD files associated with the finished executor"), "\(log)")
        }
        #expect(!shell.stderr.contains("Unable to register with external shuffle server"), "\(diagnostics)")
        // When the application ends, each service says what it served: blocks by chunk, by stream,
        // or (host-local reads) none beyond those of the other host. Fetched from a service, the
        // 600 000-byte blocks alone make more than a megabyte.
        try await eventually("both services said what they served", timeout: .seconds(30)) {
            workers.allSatisfy { $0.log().contains("removed from the shuffle service; served it") }
        }
        var chunks = 0, chunkBytes = 0, streams = 0, streamBytes = 0
        for worker in workers {
            let line = try #require(worker.log().split(separator: "\n").first { $0.contains("served it") })
            let numbers = line[line.range(of: "served it ")!.upperBound...].split { !$0.isNumber }.compactMap { Int($0) }
            try #require(numbers.count == 4, "\(line)")
            chunks += numbers[0]
            chunkBytes += numbers[1]
            streams += numbers[2]
            streamBytes += numbers[3]
        }
        let served = "\(chunks) chunks (\(chunkBytes) bytes), \(streams) streams (\(streamBytes) bytes)"
        switch reading {
        case .defaults: #expect(chunks > 0 && streams == 0, "\(served)")
        case .chunks: #expect(chunkBytes > 1_000_000 && streams == 0, "\(served)")
        case .streams: #expect(chunks == 0 && streamBytes > 1_000_000, "\(served)")
        }
    }
}
