import Foundation
import JavaSerialization
import NIOCore
import SparkInspector
import SparkModel
import Testing

/// The generic Java graph printer, the typed message printer and the text and JSON forms.
@Suite struct RendererTests {
    static func descriptor(_ name: String, _ fields: [JavaField], super superDescriptor: JavaClassDescriptor? = nil) -> JavaClassDescriptor {
        JavaClassDescriptor(name: name, serialVersionUID: 1, flags: 0x02, fields: fields, superDescriptor: superDescriptor)
    }

    /// `Node { int value; Node next; Object[] items; byte[] data }` whose `next` points to itself.
    static func cyclicNode() -> JavaObject {
        let node = descriptor("com.example.Node", [
            JavaField(.int, "value"), JavaField(.object, "next", "Lcom/example/Node;"),
            JavaField(.array, "items", "[Ljava/lang/Object;"), JavaField(.array, "data", "[B"),
        ])
        let object = JavaObject(descriptor: node, classData: [])
        let shared = JavaString("shared")
        let items = JavaArray(
            descriptor: descriptor("[Ljava.lang.Object;", []),
            elements: .objects([.string(shared), .string(shared), .null, .object(object)]))
        let data = JavaArray(descriptor: descriptor("[B", []), elements: .bytes([0xCA, 0xFE]))
        object.setClassData([JavaClassData(descriptor: node, values: [.int(7), .object(object), .array(items), .array(data)])])
        return object
    }

    @Test func cyclesBecomeBackReferences() {
        let rendered = JavaValueRenderer().render(.object(Self.cyclicNode()))
        guard case .record(let className, let id, let fields) = rendered else {
            Issue.record("not a record")
            return
        }
        #expect(className == "com.example.Node")
        #expect(id == 1)
        #expect(fields.map(\.name) == ["value", "next", "items", "data"])
        #expect(rendered[field: "value"] == .int(7))
        #expect(rendered[field: "next"] == .reference(className: "com.example.Node", id: 1))
        #expect(rendered[field: "items"]?[index: 0] == .string("shared"))
        #expect(rendered[field: "items"]?[index: 3] == .reference(className: "com.example.Node", id: 1))
        #expect(rendered[field: "data"] == .bytes(.byteArray, shown: [0xCA, 0xFE], total: 2, id: 3))

        let text = rendered.textLines().joined(separator: "\n")
        #expect(text.contains("com.example.Node #1 {"))
        #expect(text.contains("  next = <back-reference #1 com.example.Node>"))
        #expect(text.contains("  data = byte[2] cafe"))

        let json = try? JSONSerialization.jsonObject(with: Data(rendered.json.utf8)) as? [String: Any]
        #expect(json?["@class"] as? String == "com.example.Node")
        #expect((json?["next"] as? [String: Any])?["@ref"] as? Int == 1)
        #expect((json?["data"] as? [String: Any])?["@hex"] as? String == "cafe")
        #expect(((json?["items"] as? [String: Any])?["@elements"] as? [Any])?.count == 4)
    }

    @Test func depthIsBounded() {
        // A chain of 100 nested objects.
        let link = Self.descriptor("com.example.Link", [JavaField(.object, "next", "Lcom/example/Link;")])
        var value = JavaValue.null
        for _ in 0..<100 {
            value = .object(JavaObject(descriptor: link, classData: [JavaClassData(descriptor: link, values: [value])]))
        }
        let rendered = JavaValueRenderer(maxDepth: 5).render(value)
        var current: RenderedValue? = rendered
        var depth = 0
        while case .record? = current {
            current = current?[field: "next"]
            depth += 1
        }
        #expect(depth == 5)
        guard case .elided(let reason)? = current else {
            Issue.record("not elided: \(String(describing: current))")
            return
        }
        #expect(reason.contains("nesting exceeds 5"))
        #expect(rendered.json.contains("@elided"))
    }

    @Test func hierarchyAnnotationsAndBlockData() {
        let base = Self.descriptor("com.example.Base", [JavaField(.int, "size")])
        let derived = Self.descriptor("com.example.Derived", [JavaField(.int, "size"), JavaField(.boolean, "flag")], super: base)
        let object = JavaObject(descriptor: derived, classData: [
            JavaClassData(descriptor: base, values: [.int(1)], annotation: [.blockData([1, 2, 3]), .value(.long(9))]),
            JavaClassData(descriptor: derived, values: [.int(2), .boolean(true)]),
        ])
        let rendered = JavaValueRenderer().render(.object(object))
        guard case .record(_, _, let fields) = rendered else {
            Issue.record("not a record")
            return
        }
        #expect(fields.map(\.name) == ["size", "@writeObject(Base)", "Derived.size", "flag"])
        #expect(rendered[field: "@writeObject(Base)"]?[index: 0] == .bytes(.blockData, shown: [1, 2, 3], total: 3, id: nil))
        #expect(rendered[field: "@writeObject(Base)"]?[index: 1] == .int(9))
        #expect(rendered.json.contains("\"@blockData\":\"010203\""))
        let text = rendered.textLines().joined(separator: "\n")
        #expect(text.contains("@writeObject(Base) = [blockData[3] 010203, 9]"))
    }

    @Test func typedMessagesUseSparkFieldNames() {
        let message = SparkMessage.executorUpdated(ExecutorUpdated(id: 3, state: .exited, message: "bye", exitStatus: 1))
        let rendered = MessageRenderer.render(message)
        #expect(rendered == .fields([
            .init("id", .int(3)), .init("state", .symbol("EXITED")), .init("message", .string("bye")),
            .init("exitStatus", .int(1)), .init("workerHost", .null),
        ]))
        #expect(rendered.json == #"{"id":3,"state":"EXITED","message":"bye","exitStatus":1,"workerHost":null}"#)
        #expect(MessageRenderer.render(.masterInStandby) == .fields([]))
        #expect(MessageRenderer.render(.boolean(false)) == .fields([.init("value", .bool(false))]))
        let failure = MessageRenderer.render(.rpcFailure(JavaExceptionInfo(className: "java.lang.Exception", message: nil)))
        #expect(failure[field: "className"]?.text == "java.lang.Exception")
    }

    @Test func stringsAreEscaped() throws {
        let value = RenderedValue.fields([.init("text", .string("a \"quoted\"\nline\t\u{01}é")), .init("odd key", .double(.nan))])
        #expect(value.fieldLines(indent: "").first == #"text = "a \"quoted\"\nline\t\u{1}é""#)
        #expect(value.fieldLines(indent: "").last == #""odd key" = nan"#)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(value.json.utf8)) as? [String: Any])
        #expect(json["text"] as? String == "a \"quoted\"\nline\t\u{01}é")
        #expect(json["odd key"] as? String == "nan")
    }

    @Test func captureTimesFormatExactly() {
        let micro = CaptureTime(seconds: 1_795_659_520, nanoseconds: 123_456_000)
        #expect(micro.iso8601 == "2026-11-26T02:18:40.123456Z")
        #expect(micro.epochText == "1795659520.123456")
        let nano = CaptureTime(seconds: 951_782_400, nanoseconds: 5, isNanosecondPrecision: true)
        #expect(nano.iso8601 == "2000-02-29T00:00:00.000000005Z")
        #expect(CaptureTime(seconds: 0, nanoseconds: 0).iso8601 == "1970-01-01T00:00:00.000000Z")
        #expect(CaptureTime(seconds: -1, nanoseconds: 0).iso8601 == "1969-12-31T23:59:59.000000Z")
        #expect(CaptureTime.secondsText(nanoseconds: 9_191_042_000) == "9.191042")
        #expect(CaptureTime.secondsText(nanoseconds: 5_000) == "0.000005")
    }

    @Test func endpointsPrintLikeTheirTools() {
        #expect(TCPEndpoint(address: [127, 0, 0, 1], port: 7077).description == "127.0.0.1:7077")
        let loopback = TCPEndpoint(address: Array(repeating: 0, count: 15) + [1], port: 7077)
        #expect(loopback.description == "[::1]:7077")
        let address: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
        #expect(TCPEndpoint(address: address, port: 1).addressText == "2001:db8::1:0:0:1")
    }
}
