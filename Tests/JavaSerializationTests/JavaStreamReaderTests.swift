import JavaSerialization
import NIOCore
import Testing

/// Bytes from the Java Object Serialization grammar, written out by hand for the reader's edge cases.
/// JVM-produced streams are covered by the golden fixtures in SparkProtocolTests.
@Suite struct JavaStreamReaderTests {
    /// `RpcEndpointVerifier$CheckExistence("Master")` as Spark 4.3.0 writes it.
    static let checkExistence: [UInt8] = {
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72]
        bytes += utf("org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence")
        bytes += [0x4A, 0xA5, 0x1E, 0x9E, 0xE4, 0xC1, 0x9A, 0xC4, 0x02, 0x00, 0x01, 0x4C]
        bytes += utf("name")
        bytes += [0x74] + utf("Ljava/lang/String;")
        bytes += [0x78, 0x70, 0x74] + utf("Master")
        return bytes
    }()

    static func utf(_ string: String) -> [UInt8] {
        let bytes = Array(string.utf8)
        return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    @Test func decodesAnObjectWithAStringField() throws {
        let value = try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: Self.checkExistence))
        let object = try #require(value.object)
        #expect(object.className == "org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence")
        #expect(object.descriptor.serialVersionUID == 5_378_738_997_755_484_868)
        #expect(object.descriptor.fields == [JavaField(.object, "name", "Ljava/lang/String;")])
        #expect(object.field("name")?.string == "Master")
    }

    @Test func reencodesByteForByte() throws {
        let value = try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: Self.checkExistence))
        let encoded = try JavaStreamWriter.encode(value)
        #expect(Array(encoded.readableBytesView) == Self.checkExistence)
    }

    @Test func everyTruncationIsATypedError() {
        for length in 0..<Self.checkExistence.count {
            let prefix = ByteBuffer(bytes: Self.checkExistence.prefix(length))
            #expect(throws: JavaSerializationError.self) {
                try JavaStreamReader.readSingleObject(from: prefix)
            }
        }
    }

    @Test func badMagicIsRefused() {
        var bytes = Self.checkExistence
        bytes[1] = 0xEE
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        }
        #expect(error?.code == .badMagic)
    }

    @Test func referenceToAMissingHandleIsRefused() {
        let bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x71, 0x00, 0x7E, 0x00, 0x05]
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        }
        #expect(error?.code == .invalidHandle)
    }

    @Test func deepNestingStopsAtTheDepthLimit() {
        // An Object[] holding an Object[] holding ... 10 000 levels deep.
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05]
        bytes += [0x75, 0x72] + Self.utf("[Ljava.lang.Object;")
        bytes += [0x90, 0xCE, 0x58, 0x9F, 0x10, 0x73, 0x29, 0x6C, 0x02, 0x00, 0x00, 0x78, 0x70]
        bytes += [0x00, 0x00, 0x00, 0x01]
        for _ in 0..<10_000 {
            bytes += [0x75, 0x71, 0x00, 0x7E, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]
        }
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        }
        #expect(error?.code == .limitExceeded)
        #expect(error?.path.hasPrefix("[0][0][0]") == true)
    }

    /// Java refuses a reset inside an object ("unexpected reset; recursion depth"); one inside an enum
    /// constant's name would also drop the handle the constant is being read into.
    @Test func aResetInsideAnObjectIsRefused() throws {
        let enumDescriptor: [UInt8] = [0x72] + Self.utf("E") + [0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x00, 0x00, 0x78, 0x70]
        let inside: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x7E] + enumDescriptor + [0x79, 0x74] + Self.utf("A")
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: inside))
        }
        #expect(error?.code == .unexpectedTypeCode)
        // Between objects a reset is read, as Java reads it.
        let between: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x79, 0x74] + Self.utf("A")
        #expect(try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: between)).string == "A")
    }

    @Test func enumsNamedByEnumsStopAtTheDepthLimit() {
        // An enum constant whose name is an enum constant whose name is ... 20 000 levels deep.
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x7E, 0x72] + Self.utf("E") + [0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x00, 0x00, 0x78, 0x70]
        for _ in 0..<20_000 { bytes += [0x7E, 0x71, 0x00, 0x7E, 0x00, 0x00] }
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        }
        #expect(error?.code == .limitExceeded)
    }

    /// Elements of all arrays of a stream together are bounded, not only each array's.
    @Test func arrayElementsAreBoundedAcrossTheStream() throws {
        func stream(arrays: Int) -> [UInt8] {
            var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x75, 0x72] + Self.utf("[Ljava.lang.Object;")
            bytes += [0x90, 0xCE, 0x58, 0x9F, 0x10, 0x73, 0x29, 0x6C, 0x02, 0x00, 0x00, 0x78, 0x70]
            bytes += [0x00, 0x00, 0x00, UInt8(arrays)]
            for index in 0..<arrays {
                if index == 0 {
                    bytes += [0x75, 0x72] + Self.utf("[I") + [0x4D, 0xBA, 0x60, 0x26, 0x76, 0xEA, 0xB2, 0xA5, 0x02, 0x00, 0x00, 0x78, 0x70]
                } else {
                    bytes += [0x75, 0x71, 0x00, 0x7E, 0x00, 0x02]  // the [I descriptor
                }
                bytes += [0x00, 0x00, 0x00, 0x06] + [UInt8](repeating: 0, count: 24)
            }
            return bytes
        }
        var limits = JavaReaderLimits.default
        limits.maxTotalElements = 12
        // One Object[] of n elements, then n int[6]: 1 + 6n elements.
        #expect(throws: Never.self) { try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: stream(arrays: 1)), limits: limits) }
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: stream(arrays: 2)), limits: limits)
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func manySmallBlockDataRecordsMergeIntoOne() throws {
        // An object of a writeObject class whose annotation is 100 000 one-byte records.
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72] + Self.utf("example.Blob")
        bytes += [0, 0, 0, 0, 0, 0, 0, 7, JavaConstants.scSerializable | JavaConstants.scWriteMethod, 0x00, 0x00, 0x78, 0x70]
        for index in 0..<100_000 { bytes += [0x77, 0x01, UInt8(truncatingIfNeeded: index)] }
        bytes += [0x78]
        let decoded = try #require(try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes)).object)
        let annotation = try #require(decoded.annotation(of: "example.Blob"))
        guard annotation.count == 1, case .blockData(let merged) = annotation[0] else {
            Issue.record("not one record: \(annotation.count) items")
            return
        }
        #expect(merged == (0..<100_000).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func hierarchyRunsFromTheTopMostSuperclassDown() {
        let top = JavaClassDescriptor(name: "C", serialVersionUID: 3, flags: JavaConstants.scSerializable, fields: [])
        let middle = JavaClassDescriptor(name: "B", serialVersionUID: 2, flags: JavaConstants.scSerializable, fields: [], superDescriptor: top)
        let leaf = JavaClassDescriptor(name: "A", serialVersionUID: 1, flags: JavaConstants.scSerializable, fields: [], superDescriptor: middle)
        #expect(leaf.hierarchy.map(\.name) == ["C", "B", "A"])
        #expect(top.hierarchy.map(\.name) == ["C"])
        #expect(leaf.isSubclass(of: "C") && leaf.isSubclass(of: "A"))
        #expect(!middle.isSubclass(of: "A") && !leaf.isSubclass(of: "D"))
    }

    @Test func aClassThatIsItsOwnSuperclassIsWalkedToTheDepthLimit() throws {
        // Class A (no fields) whose superclass descriptor is a reference to A's own handle.
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72] + Self.utf("A")
        bytes += [0, 0, 0, 0, 0, 0, 0, 1, JavaConstants.scSerializable, 0x00, 0x00, 0x78]
        bytes += [0x71, 0x00, 0x7E, 0x00, 0x00]
        let object = try #require(try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes)).object)
        let hierarchy = object.descriptor.hierarchy
        #expect(hierarchy.count == 64)  // JavaConstants.maxHierarchyDepth
        #expect(hierarchy.allSatisfy { $0 === object.descriptor })
        #expect(object.classData.count == 64)
        #expect(object.descriptor.isSubclass(of: "A") && !object.descriptor.isSubclass(of: "B"))
    }

    @Test func hugeArrayLengthsAreRefusedBeforeAllocating() {
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05]
        bytes += [0x75, 0x72] + Self.utf("[J")
        bytes += [0x78, 0x20, 0x04, 0xB5, 0x12, 0xB1, 0x75, 0x93, 0x02, 0x00, 0x00, 0x78, 0x70]
        bytes += [0x7F, 0xFF, 0xFF, 0xFF]
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes))
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func handleCountIsBounded() throws {
        // An Object[] of 100 distinct strings against a limit of 50 handles.
        var bytes: [UInt8] = [0xAC, 0xED, 0x00, 0x05]
        bytes += [0x75, 0x72] + Self.utf("[Ljava.lang.Object;")
        bytes += [0x90, 0xCE, 0x58, 0x9F, 0x10, 0x73, 0x29, 0x6C, 0x02, 0x00, 0x00, 0x78, 0x70]
        bytes += [0x00, 0x00, 0x00, 100]
        for index in 0..<100 { bytes += [0x74] + Self.utf("s\(index)") }
        #expect(throws: Never.self) { try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes)) }
        var limits = JavaReaderLimits.default
        limits.maxHandles = 50
        let error = #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: ByteBuffer(bytes: bytes), limits: limits)
        }
        #expect(error?.code == .limitExceeded)
    }

    @Test func blockDataRecordsAreMergedAndResplitLikeTheJVM() throws {
        // An object of a writeObject class whose annotation holds 1500 bytes of block data.
        let descriptor = JavaClassDescriptor(
            name: "example.Blob", serialVersionUID: 7, flags: JavaConstants.scSerializable | JavaConstants.scWriteMethod,
            fields: [])
        let payload = (0..<1500).map { UInt8(truncatingIfNeeded: $0) }
        let object = JavaObject(descriptor: descriptor, classData: [
            JavaClassData(descriptor: descriptor, values: [], annotation: [.blockData(payload), .value(.null)]),
        ])
        let encoded = try JavaStreamWriter.encode(.object(object))
        // 1024 bytes in a TC_BLOCKDATALONG record, then 476 in another.
        let bytes = Array(encoded.readableBytesView)
        let firstRecord = bytes.firstIndex(of: JavaConstants.tcBlockDataLong)
        #expect(firstRecord != nil)
        let decoded = try JavaStreamReader.readSingleObject(from: encoded)
        let annotation = try #require(decoded.object?.annotation(of: "example.Blob"))
        guard case .blockData(let merged) = annotation.first else {
            Issue.record("annotation does not start with block data: \(annotation)")
            return
        }
        #expect(merged == payload)
        #expect(annotation.count == 2)
    }

    @Test func sharedObjectsBecomeBackReferences() throws {
        let descriptor = JavaClassDescriptor(name: "example.Pair", serialVersionUID: 1, flags: JavaConstants.scSerializable, fields: [
            JavaField(.object, "a", "Ljava/lang/Object;"), JavaField(.object, "b", "Ljava/lang/Object;"),
        ])
        let shared = JavaString("same")
        let object = JavaObject(descriptor: descriptor, classData: [
            JavaClassData(descriptor: descriptor, values: [.string(shared), .string(shared)]),
        ])
        let encoded = try JavaStreamWriter.encode(.object(object))
        let decoded = try #require(try JavaStreamReader.readSingleObject(from: encoded).object)
        guard case .string(let first)? = decoded.field("a"), case .string(let second)? = decoded.field("b") else {
            Issue.record("fields are not strings")
            return
        }
        #expect(first === second)
        #expect(first.value == "same")
    }

    @Test func selfReferencingExceptionsDecode() throws {
        let throwable = JavaClassDescriptor(
            name: "java.lang.Throwable", serialVersionUID: -3_042_686_055_658_047_285,
            flags: JavaConstants.scSerializable | JavaConstants.scWriteMethod,
            fields: [JavaField(.object, "cause", "Ljava/lang/Throwable;"), JavaField(.object, "detailMessage", "Ljava/lang/String;")])
        let exception = JavaClassDescriptor(
            name: "java.lang.Exception", serialVersionUID: -3_387_516_993_124_229_948, flags: JavaConstants.scSerializable,
            fields: [], superDescriptor: throwable)
        let object = JavaObject(descriptor: exception, classData: [])
        object.setClassData([
            JavaClassData(descriptor: throwable, values: [.object(object), .string(JavaString("boom"))], annotation: []),
            JavaClassData(descriptor: exception, values: []),
        ])
        let encoded = try JavaStreamWriter.encode(.object(object))
        let decoded = try #require(try JavaStreamReader.readSingleObject(from: encoded).object)
        #expect(decoded.field("detailMessage")?.string == "boom")
        #expect(decoded.field("cause")?.object === decoded)
    }

    @Test func modifiedUTF8RoundTripsNulAndSupplementaryCharacters() {
        let text = "a\u{0}b é 😀 ✓"
        let encoded = ModifiedUTF8.encode(text)
        #expect(encoded.contains(0) == false)
        #expect(encoded.count == ModifiedUTF8.encodedLength(text))
        #expect(ModifiedUTF8.decode(encoded) == text)
        #expect(ModifiedUTF8.decode([0xC0]) == nil)
    }

    @Test func longStringsUseTCLongString() throws {
        let text = String(repeating: "x", count: 70_000)
        let encoded = try JavaStreamWriter.encode(.string(JavaString(text)))
        #expect(encoded.getInteger(at: 4, as: UInt8.self) == JavaConstants.tcLongString)
        #expect(try JavaStreamReader.readSingleObject(from: encoded).string == text)
        var limits = JavaReaderLimits.default
        limits.maxStringBytes = 1000
        #expect(throws: JavaSerializationError.self) {
            try JavaStreamReader.readSingleObject(from: encoded, limits: limits)
        }
    }
}
