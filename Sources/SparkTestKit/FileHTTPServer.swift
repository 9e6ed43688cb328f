import Foundation

/// CPython's `http.server` on loopback serving the files of one directory, over TLS when given a
/// certificate, with a few scripted paths for what a download must survive:
///
/// - `/redirect/<n>/<name>`: `n` redirects (302, relative `Location`s) before the file;
/// - `/absolute/<name>`: a 301 to the file's absolute URL;
/// - `/insecure/<name>`: a 302 to the same file over plain `http` (on a TLS server);
/// - `/truncated/<name>`: `Content-Length` of the file, half of it sent, then the connection closed;
/// - `/stall/<name>`: the head, a few bytes, then nothing for a minute;
/// - `/status/<code>`: an empty answer with that status;
/// - anything else: the file, or 404.
///
/// Started by `start`; ended by `stop()` (the process is this test's own, by PID).
public final class FileHTTPServer: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    public let secure: Bool

    public var baseURL: String { "\(secure ? "https" : "http")://127.0.0.1:\(port)" }

    private init(process: ChildProcess, port: Int, secure: Bool) {
        self.process = process
        self.port = port
        self.secure = secure
    }

    /// Serves `directory`; with `certificate` and `key` (PEM), over TLS.
    public static func start(
        serving directory: URL, certificate: URL? = nil, key: URL? = nil, name: String = "http-server", logDirectory: URL
    ) async throws -> FileHTTPServer {
        let script = logDirectory.appendingPathComponent("\(name).py")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        var arguments = [script.path, directory.path]
        if let certificate, let key { arguments += [certificate.path, key.path] }
        let process = try ChildProcess(
            name: name, executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-u"] + arguments,
            logDirectory: logDirectory)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let line = process.log().split(separator: "\n").first(where: { $0.hasPrefix("PORT ") }), let port = Int(line.dropFirst(5)) {
                return FileHTTPServer(process: process, port: port, secure: certificate != nil)
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw ChildProcessError(message: "the HTTP server did not start:\n\(process.tail())")
    }

    public func stop() { process.stop(grace: .seconds(2)) }

    /// A self-signed certificate for `localhost` and 127.0.0.1 and its key, made by `openssl`.
    public static func makeCertificate(in directory: URL) throws -> (certificate: URL, key: URL) {
        let certificate = directory.appendingPathComponent("server.pem")
        let key = directory.appendingPathComponent("server.key")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.path, "-out", certificate.path,
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else {
            throw ChildProcessError(message: "openssl req exited with \(openssl.terminationStatus)")
        }
        return (certificate, key)
    }

    static let script = #"""
        import http.server, os, socketserver, ssl, sys, time

        root = sys.argv[1]
        hung_up = set()

        class Handler(http.server.SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=root, **kwargs)

            def answer(self, code, headers=(), body=b""):
                self.send_response(code)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parts = self.path.split("/")
                kind = parts[1] if len(parts) > 2 else ""
                if kind == "redirect":
                    count, name = int(parts[2]), parts[3]
                    target = name if count == 0 else "../%d/%s" % (count - 1, name)
                    if count == 0:
                        target = "/" + name
                    return self.answer(302, [("Location", target)])
                if kind == "absolute":
                    scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
                    host = self.headers["Host"]
                    return self.answer(301, [("Location", "%s://%s/%s" % (scheme, host, parts[2]))])
                if kind == "insecure":
                    return self.answer(302, [("Location", "http://127.0.0.1:1/" + parts[2])])
                if kind == "status":
                    return self.answer(int(parts[2]))
                if kind == "hangup" or (kind == "hangup-once" and self.path not in hung_up):
                    # Closes without a word: the client sees the connection end before any response.
                    hung_up.add(self.path)
                    self.close_connection = True
                    return
                if kind == "hangup-once":
                    self.path = "/" + parts[2]
                if kind in ("truncated", "stall"):
                    with open(os.path.join(root, parts[2]), "rb") as f:
                        data = f.read()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if kind == "truncated":
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(data[:16])
                    self.wfile.flush()
                    time.sleep(60)
                    return
                return super().do_GET()

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        server = Server(("127.0.0.1", 0), Handler)
        if len(sys.argv) > 3:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print("PORT %d" % server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
