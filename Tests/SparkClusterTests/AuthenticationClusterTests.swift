import Foundation
import SparkTestKit
import Testing

/// `spark.authenticate=true`: every RPC connection proves the shared secret (SASL DIGEST-MD5) before
/// anything else goes over it, between our daemons and Spark's JVM drivers, workers, master and
/// executors alike; a peer with another secret is refused.
@Suite(.serialized, .enabled(if: TestEnvironment.sparkHome() != nil || TestEnvironment.isCI))
struct AuthenticationClusterTests {
    static func options(secret: String) -> [String] {
        ["-Dspark.authenticate=true", "-Dspark.authenticate.secret=\(secret)"]
    }

    /// Authentication with Spark's AES-based protocol and nothing else.
    static func cryptoOptions(secret: String, engineVersion: Int, cipher: String = "AES/CTR/NoPadding") -> [String] {
        options(secret: secret) + [
            "-Dspark.network.crypto.enabled=true", "-Dspark.network.crypto.saslFallback=false",
            "-Dspark.network.crypto.authEngineVersion=\(engineVersion)", "-Dspark.network.crypto.cipher=\(cipher)",
        ]
    }

    /// 64 hex digits, as `openssl rand -hex 32` makes: long enough that Spark's base64 of it breaks a line.
    static func makeSecret() -> String {
        (UUID().uuidString + UUID().uuidString).filter { $0 != "-" }.lowercased()
    }

    /// Spark 4.3 and 3.5 (Scala 2.12) drivers, executors and JVM workers.
    @Test(arguments: ["4.3.0", "3.5.9"])
    func anAuthenticatedClusterRunsTheSeedJobAndRefusesOtherSecrets(sparkVersion: String) async throws {
        let cluster = try ClusterHarness(name: "auth-\(sparkVersion)", sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        let secret = Self.makeSecret()
        try await cluster.startMaster(options: Self.options(secret: secret))
        #expect(cluster.masterLogLines(containing: "RPC connections authenticate with the shared secret").count == 1)
        if sparkVersion.hasPrefix("4.") {
            #expect(cluster.masterLogLines(containing: "The REST submission server is off").count == 1)
        }
        // Our worker dials our master; Spark's JVM worker dials it too.
        try await cluster.startWorker(.swift, options: Self.options(secret: secret))
        try await cluster.startWorker(.jvm, options: Self.options(secret: secret))

        // The shell registers with our master, which dials the driver back; executors launched by
        // both workers connect to their worker and to the driver with the secret they were handed.
        let shell = try await cluster.sparkShell(
            SeedJob.script, conf: ["spark.authenticate": "true", "spark.authenticate.secret": secret, "spark.executor.cores": "1"])
        #expect(shell.stdout.contains(SeedJob.intResult), "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)")
        #expect(shell.stdout.contains(SeedJob.longResult))
        #expect(cluster.masterLogLines(containing: "Launching executor").count >= 2, "\(cluster.logs)")
        // The secret reached the executors by the environment, never their command line.
        let commands = cluster.workers.map { $0.log() }.joined(separator: "\n")
        #expect(!commands.contains(secret), "the secret appears in a worker log")

        // A JVM worker holding another secret is refused before it can register.
        let intruder = try SparkDaemons.worker(
            sparkHome: cluster.sparkHome, masterURL: cluster.masterURL, port: try freePort(), webUIPort: try freePort(),
            workDirectory: cluster.directory.appendingPathComponent("work-intruder"), logDirectory: cluster.directory,
            name: "jvm-worker-intruder", options: Self.options(secret: "not-\(secret)"))
        defer { intruder.stop() }
        try await cluster.waitForMasterLog("refusing a connection that did not authenticate", timeout: .seconds(60))
        // And so is one without authentication at all.
        let open = try SparkDaemons.worker(
            sparkHome: cluster.sparkHome, masterURL: cluster.masterURL, port: try freePort(), webUIPort: try freePort(),
            workDirectory: cluster.directory.appendingPathComponent("work-open"), logDirectory: cluster.directory,
            name: "jvm-worker-open")
        defer { open.stop() }
        try await waitUntil(timeout: .seconds(60)) {
            cluster.masterLogLines(containing: "refusing a connection that did not authenticate").count >= 2
        }
        #expect(cluster.masterLogLines(containing: "Registering worker").count == 2, "\(cluster.logs)")
        let json = try await cluster.masterJSON()
        #expect((json["workers"] as? [Any])?.count == 2)
    }

    /// Our worker as Spark's client: SASL, or with `spark.network.crypto.enabled` and no fallback,
    /// Spark's AES-based protocol and an encrypted connection (the JVM master accepts nothing else).
    @Test(arguments: [false, true])
    func ourWorkerAuthenticatesWithSparksMaster(encrypted: Bool) async throws {
        let cluster = try ClusterHarness(name: "auth-jvm-master-\(encrypted)")
        defer { cluster.stopAll() }
        let secret = Self.makeSecret()
        let options = encrypted ? Self.cryptoOptions(secret: secret, engineVersion: 2) : Self.options(secret: secret)
        try await cluster.startJVMMaster(options: options)
        let worker = try await cluster.startWorker(.swift, options: options)
        try await worker.waitForLog("Successfully registered with master", timeout: .seconds(60))

        // With another secret, Spark's master refuses it and it never registers.
        let refused = try await cluster.startWorker(.swift, options: Self.options(secret: "not-\(secret)"), registers: false)
        try await refused.waitForLog("authentication failed", timeout: .seconds(60))
        #expect(!refused.log().contains("Successfully registered with master"))
        if encrypted {
            // Nor does one with the secret that asks for SASL.
            let sasl = try await cluster.startWorker(.swift, options: Self.options(secret: secret), registers: false)
            try await sasl.waitForLog("authentication failed", timeout: .seconds(60))
            #expect(!sasl.log().contains("Successfully registered with master"))
        }
    }

    /// `spark.network.crypto.enabled=true` with `saslFallback=false` everywhere: every connection of
    /// the cluster runs Spark's AES-based handshake and is encrypted after it, or it fails; drivers,
    /// executors and JVM workers read what our daemons write. Both engine versions (1, Spark's
    /// default: the X25519 secret is an AES-256 key; 2: a derived AES-128 key) and both ciphers
    /// (`AES/CTR/NoPadding`, Spark's default; `AES/GCM/NoPadding`), with Spark 4.3 and 3.5.
    @Test(arguments: [("4.3.0", 1, "AES/CTR/NoPadding"), ("4.3.0", 2, "AES/GCM/NoPadding"), ("3.5.9", 1, "AES/GCM/NoPadding")])
    func anEncryptedClusterRunsJobsOnBothWorkers(sparkVersion: String, engineVersion: Int, cipher: String) async throws {
        let cluster = try ClusterHarness(name: "crypto-\(sparkVersion)-\(engineVersion)", sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        let secret = Self.makeSecret()
        let options = Self.cryptoOptions(secret: secret, engineVersion: engineVersion, cipher: cipher)
        try await cluster.startMaster(options: options)
        let mode = cipher.hasPrefix("AES/GCM") ? "AES/GCM" : "AES/CTR"
        #expect(cluster.masterLogLines(containing: "are encrypted (spark.network.crypto.enabled=true, \(mode), authEngineVersion \(engineVersion))").count == 1)
        // Our worker dials our master; the JVM worker dials it and is dialled by it.
        let worker = try await cluster.startWorker(.swift, options: options)
        try await cluster.startWorker(.jvm, options: options)

        // An executor on each worker: each connects to its worker (our worker's RPC port for one)
        // and to the driver; the job's tasks run on both.
        let script = """
            var waited = 0; while (sc.statusTracker.getExecutorInfos.length < 3 && waited < 300) { Thread.sleep(200); waited += 1 }
            println("EXECUTORS RAN TASKS " + sc.parallelize(1 to 40, 40).map { _ => Thread.sleep(50); org.apache.spark.SparkEnv.get.executorId }.distinct.count)

            """ + SeedJob.script
        // Two executors of one core, spread over the two workers.
        var conf = ["spark.authenticate": "true", "spark.authenticate.secret": secret, "spark.executor.cores": "1", "spark.cores.max": "2"]
        for option in options.dropFirst(2) {
            let pair = option.dropFirst(2).split(separator: "=", maxSplits: 1)
            conf[String(pair[0])] = String(pair[1])
        }
        let shell = try await cluster.sparkShell(script, conf: conf)
        let diagnostics = "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)"
        #expect(shell.stdout.contains("EXECUTORS RAN TASKS 2"), "\(diagnostics)")
        #expect(shell.stdout.contains("Int = 1784293664"), "\(diagnostics)")
        #expect(shell.stdout.contains("Long = 500000500000"), "\(diagnostics)")
        #expect(cluster.masterLogLines(containing: "refusing a connection").isEmpty, "\(diagnostics)")
        #expect(worker.log().contains("Asked to launch executor"), "\(diagnostics)")
        #expect(!worker.log().contains("refusing a connection"), "\(diagnostics)")

        // A JVM worker with the secret that authenticates with SASL only is refused, with the reason.
        let sasl = try SparkDaemons.worker(
            sparkHome: cluster.sparkHome, masterURL: cluster.masterURL, port: try freePort(), webUIPort: try freePort(),
            workDirectory: cluster.directory.appendingPathComponent("work-sasl"), logDirectory: cluster.directory,
            name: "jvm-worker-sasl", options: Self.options(secret: secret))
        defer { sasl.stop() }
        try await cluster.waitForMasterLog("spark.network.crypto.saslFallback=false on this daemon", timeout: .seconds(60))
        #expect(cluster.masterLogLines(containing: "Registering worker").count == 2, "\(cluster.logs)")
    }

    /// A driver with `spark.network.crypto.enabled` opens its connection to our master, which does
    /// not have it set, with Spark's AES-based protocol; it is answered with a failure and goes on
    /// with SASL on the same connection, as with Spark's daemons so configured; so do its executors
    /// with our worker. The job runs, and both daemons say the link is not encrypted.
    @Test(arguments: ["4.3.0", "3.5.9"])
    func clientsWithNetworkCryptoFallBackToSasl(sparkVersion: String) async throws {
        let cluster = try ClusterHarness(name: "auth-crypto-\(sparkVersion)", sparkVersion: sparkVersion)
        defer { cluster.stopAll() }
        let secret = Self.makeSecret()
        try await cluster.startMaster(options: Self.options(secret: secret))
        let worker = try await cluster.startWorker(.swift, options: Self.options(secret: secret))
        let shell = try await cluster.sparkShell(
            SeedJob.script,
            conf: ["spark.authenticate": "true", "spark.authenticate.secret": secret, "spark.network.crypto.enabled": "true"])
        #expect(shell.stdout.contains(SeedJob.intResult), "\(shell.stdout)\n\(shell.stderr.suffix(3000))\n\(cluster.logs)")
        let declined = "A client opened with Spark's AES authentication, and spark.network.crypto.enabled is not set on this daemon"
        #expect(!cluster.masterLogLines(containing: declined).isEmpty, "\(cluster.logs)")
        #expect(worker.log().contains(declined), "\(cluster.logs)")
        #expect(cluster.masterLogLines(containing: "refusing a connection").isEmpty, "\(cluster.logs)")
    }

    /// Polls `condition` every 200 ms until it holds or `timeout` passes.
    func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw ChildProcessError(message: "condition not met within \(timeout)") }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
