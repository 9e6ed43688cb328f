import Foundation
import NIOCore

/// `spark-space decode`: reads a capture or raw stream and writes the listing and summary.
///
/// Exit status: 0 when every frame decoded, 1 when a frame, message or flow failed, 2 when the
/// input could not be read at all (missing file, unrecognized or unsupported format, bad options).
public enum Inspector {
    /// Every frame decoded.
    public static let exitSuccess: Int32 = 0
    /// A frame, message or TCP stream failed.
    public static let exitFailures: Int32 = 1
    /// Bad options or unreadable input.
    public static let exitUsage: Int32 = 2

    /// Bytes read from the file at a time.
    static let chunkSize = 1 << 20

    /// Decodes the file at `path` (`-` for standard input).
    public static func decode(path: String, options: InspectorOptions, output: some InspectorOutput) -> Int32 {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return fail(InspectorError(.io, "\(path): no such file"), output: output)
            }
            guard !isDirectory.boolValue else {
                return fail(InspectorError(.io, "\(path) is a directory"), output: output)
            }
            guard let opened = FileHandle(forReadingAtPath: path) else {
                return fail(InspectorError(.io, "\(path) cannot be opened for reading"), output: output)
            }
            handle = opened
        }
        defer { if path != "-" { try? handle.close() } }
        let name = path == "-" ? "stdin" : path
        return run(name: name, options: options, output: output) { () throws(InspectorError) -> [UInt8]? in
            do {
                guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else { return nil }
                return Array(data)
            } catch {
                throw InspectorError(.io, "\(name): \(error.localizedDescription)")
            }
        }
    }

    /// Decodes bytes already in memory; `name` labels a raw stream's flow.
    public static func decode(bytes: [UInt8], name: String, options: InspectorOptions, output: some InspectorOutput) -> Int32 {
        var remaining = bytes[...]
        return run(name: name, options: options, output: output) { () throws(InspectorError) -> [UInt8]? in
            guard !remaining.isEmpty else { return nil }
            let chunk = remaining.prefix(chunkSize)
            remaining = remaining.dropFirst(chunk.count)
            return Array(chunk)
        }
    }

    static func run(
        name: String, options: InspectorOptions, output: some InspectorOutput,
        read: () throws(InspectorError) -> [UInt8]?
    ) -> Int32 {
        do throws(InspectorError) {
            try options.validate()
            var decoder = CaptureDecoder(options: options, inputName: name)
            while let chunk = try read() {
                emit(try decoder.feed(ByteBuffer(bytes: chunk)), json: options.json, output: output)
            }
            emit(try decoder.finish(), json: options.json, output: output)
            let summary = decoder.summary
            if options.json {
                output.write(JSONLinesListing.summaryLine(summary))
            } else {
                output.write("")
                TextListing.summaryLines(summary).forEach(output.write)
            }
            if let standard = output as? StandardOutput { standard.flush() }
            return summary.exitStatus
        } catch {
            return fail(error, output: output)
        }
    }

    private static func emit(_ events: [InspectorEvent], json: Bool, output: some InspectorOutput) {
        for event in events {
            if json {
                output.write(JSONLinesListing.line(for: event))
            } else {
                TextListing.lines(for: event).forEach(output.write)
            }
        }
    }

    private static func fail(_ error: InspectorError, output: some InspectorOutput) -> Int32 {
        if let standard = output as? StandardOutput { standard.flush() }
        output.diagnostic("spark-space decode: error: \(error.message)")
        return exitUsage
    }
}
