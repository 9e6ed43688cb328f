import Logging
import NIOPosix
import SparkDaemon
import SparkModel
import SparkWorker
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file work before each attempt of a cluster-mode driver (Spark: `DriverRunner`
/// `createWorkingDirectory`, `downloadUserJar`, `prepareResourcesFile`, `runDriver`'s
/// `initialize`). Blocking: run it off the message loop.
enum DriverFiles {
    /// What failed, as the Java exception `DriverStateChanged(ERROR)` carries.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var className: String
        var message: String
        var exception: JavaExceptionInfo { JavaExceptionInfo(className: className, message: message) }
        var description: String { "\(className): \(message)" }

        init(className: String, message: String) {
            self.className = className
            self.message = message
        }

        /// From a Java-style message, `java.io.IOException: …`.
        init(java text: String) {
            if let separator = text.firstRange(of: ": "), !text[..<separator.lowerBound].contains(" ") {
                self.init(className: String(text[..<separator.lowerBound]), message: String(text[separator.upperBound...]))
            } else {
                self.init(className: "java.io.IOException", message: text)
            }
        }
    }

    /// Copies are made in pieces of this size.
    static let copyChunk = 1 << 20

    /// The working directory and the user's jar, fetched when not there yet (several workers of one
    /// machine may share the directory). `http:`/`https:` jars come through `download`; `file:`
    /// jars are copied on NIO's thread pool.
    static func obtainJar(
        _ launch: DriverLaunch, download: JarDownload, cancellation: DownloadCancellation? = nil, logger: Logger
    ) async throws {
        let directory = launch.workingDirectory
        let present = try await NIOThreadPool.singleton.runIfActive { () throws -> Bool in
            guard HostEnvironment.makeDirectory(directory, intermediates: true) == 0 else {
                throw Failure(className: "java.io.IOException", message: "Failed to create directory \(directory)")
            }
            return access(launch.localJarPath, F_OK) == 0
        }
        if present { return }
        logger.info("Copying user jar \(launch.jarUrl) to \(launch.localJarPath)")
        if JarDownload.handles(launch.jarUrl) {
            try await download.download(launch.jarUrl, to: launch.localJarPath, cancellation: cancellation, logger: logger)
        } else {
            try await NIOThreadPool.singleton.runIfActive { () throws in try fetch(launch.jarUrl, to: launch.localJarPath) }
        }
        guard access(launch.localJarPath, F_OK) == 0 else {
            let name = launch.localJarPath.split(separator: "/").last.map(String.init) ?? launch.localJarPath
            throw Failure(className: "java.io.IOException", message: "Can not find expected jar \(name) which should have been loaded in \(directory)")
        }
    }

    /// What each attempt needs besides the jar (`obtainJar` first): the resources file and the log
    /// files. Blocking.
    static func prepareFiles(_ launch: DriverLaunch) throws(Failure) {
        let directory = launch.workingDirectory
        if let resources = launch.resourcesFile, !HostEnvironment.writeFile(resources.path, resources.contents) {
            throw Failure(className: "java.io.IOException", message: "Cannot write \(resources.path)")
        }
        // Spark 4.3: both are appended to across attempts, stderr after a header for each.
        let stdout = open(launch.stdoutPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        let stderr = open(launch.stderrPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        defer {
            if stdout >= 0 { close(stdout) }
            if stderr >= 0 { close(stderr) }
        }
        guard stdout >= 0, stderr >= 0, Daemon.write(launch.stderrHeader, to: stderr) else {
            throw Failure(className: "java.io.IOException", message: "Cannot create the log files in \(directory)")
        }
    }

    /// The local file a jar URL names: `file:` URLs and plain paths (Hadoop's default file system
    /// is the local one), decoded as Java's `URI.getPath`. `http:`/`https:` go to `JarDownload`;
    /// other schemes (Hadoop file systems, `ftp:`) need a fetcher this worker does not have.
    static func localPath(of jarUrl: String) throws(Failure) -> String {
        guard let url = JarURL(jarUrl) else {
            throw Failure(className: "java.net.URISyntaxException", message: "Malformed escape in \(jarUrl)")
        }
        if let scheme = url.scheme?.lowercased(), scheme != "file" {
            throw Failure(
                className: "java.io.IOException",
                message: "This worker cannot fetch \(scheme): URLs (\(jarUrl)); submit the jar at an http:, https: or file: URL every worker can reach")
        }
        if let host = url.authority, !host.isEmpty, host != "localhost" {
            throw Failure(className: "java.io.IOException", message: "Cannot fetch \(jarUrl): the file is on another host")
        }
        return url.path
    }

    /// A name next to `target` no other fetch uses (workers of one machine may share the directory);
    /// the file is created with `O_EXCL`.
    static func temporaryPath(for target: String) -> String {
        target + ".fetching-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Copies the jar to `target` through a temporary file of its own in the same directory (workers
    /// of one machine may share it), renamed into place.
    static func fetch(_ jarUrl: String, to target: String) throws(Failure) {
        let source = try localPath(of: jarUrl)
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw Failure(className: "java.io.FileNotFoundException", message: "\(source) (\(String(cString: strerror(errno))))")
        }
        defer { close(input) }
        let temporary = temporaryPath(for: target)
        let output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard output >= 0 else {
            throw Failure(className: "java.io.IOException", message: "Cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var failure: String?
        let readError = Daemon.readChunks(from: input, size: copyChunk) { chunk in
            if chunk.isEmpty || Daemon.write(chunk, to: output) { return true }
            failure = "Cannot write \(temporary): \(String(cString: strerror(errno)))"
            return false
        }
        if readError != 0 { failure = "Cannot read \(source): \(String(cString: strerror(readError)))" }
        if close(output) != 0, failure == nil { failure = "Cannot write \(temporary): \(String(cString: strerror(errno)))" }
        if failure == nil, rename(temporary, target) != 0 { failure = "Cannot rename \(temporary): \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temporary)
            throw Failure(className: "java.io.IOException", message: failure)
        }
    }
}
