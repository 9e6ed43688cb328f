import NIOCore

/// Reads a Java Object Serialization stream into `JavaValue`s.
///
/// Bounded for untrusted input (`JavaReaderLimits`); on failure nothing is returned and the error
/// names the object path. The reader works on its own copy of the buffer, so a failed read never
/// half-consumes the caller's bytes.
public struct JavaStreamReader {
    private var buffer: ByteBuffer
    private let startIndex: Int
    private let limits: JavaReaderLimits
    private var handles: [JavaValue] = []
    private var depth = 0
    /// `readObject` calls in progress: a reset is read only outside any object, as Java reads it.
    private var objectNesting = 0
    /// Elements of object and primitive arrays read so far (each held as a `JavaValue`).
    private var elementsRead = 0
    private var path: [PathComponent] = []

    /// Where the reader is, for error messages; class names are kept whole and shortened only
    /// when an error is rendered.
    private enum PathComponent {
        case root(className: String)
        case field(String)
        case index(Int)
        case annotation(Int)
        case superclass(className: String)
    }

    /// Creates a reader positioned at the stream header (`AC ED 00 05`).
    public init(buffer: ByteBuffer, limits: JavaReaderLimits = .default) {
        self.buffer = buffer
        self.startIndex = buffer.readerIndex
        self.limits = limits
    }

    /// Bytes not yet consumed.
    public var remainingBytes: Int { buffer.readableBytes }

    /// Decodes the first object of a complete stream; trailing bytes are ignored, as Spark does.
    public static func readSingleObject(
        from buffer: ByteBuffer,
        limits: JavaReaderLimits = .default
    ) throws(JavaSerializationError) -> JavaValue {
        var reader = JavaStreamReader(buffer: buffer, limits: limits)
        try reader.readHeader()
        return try reader.readObject()
    }

    /// Consumes and checks the stream magic and version.
    public mutating func readHeader() throws(JavaSerializationError) {
        let magic = try readInt(UInt16.self)
        guard magic == JavaConstants.streamMagic else {
            throw error(.badMagic, "stream magic is 0x\(String(magic, radix: 16)), expected 0xaced")
        }
        let version = try readInt(UInt16.self)
        guard version == JavaConstants.streamVersion else {
            throw error(.badMagic, "stream version is \(version), expected 5")
        }
    }

    /// Reads one top-level content item: an object or a block-data record.
    public mutating func readContent() throws(JavaSerializationError) -> JavaContent {
        let code = try peekByte()
        if code == JavaConstants.tcBlockData || code == JavaConstants.tcBlockDataLong {
            return .blockData(try readBlockDataRecord())
        }
        return .value(try readObject())
    }

    /// Reads one object (`object` in the grammar), following `TC_RESET`s.
    public mutating func readObject() throws(JavaSerializationError) -> JavaValue {
        objectNesting += 1
        defer { objectNesting -= 1 }
        while true {
            let code = try readByte()
            switch code {
            case JavaConstants.tcNull:
                return .null
            case JavaConstants.tcReference:
                return try readReference()
            case JavaConstants.tcClassDesc:
                return .classDescriptor(try readNewClassDescriptor())
            case JavaConstants.tcProxyClassDesc:
                return .classDescriptor(try readNewProxyClassDescriptor())
            case JavaConstants.tcObject:
                return try readNewObject()
            case JavaConstants.tcString:
                let length = Int(try readInt(UInt16.self))
                return .string(try readNewString(byteCount: length))
            case JavaConstants.tcLongString:
                let length = try readInt(Int64.self)
                guard length >= 0, length <= Int64(limits.maxStringBytes) else {
                    throw error(.limitExceeded, "long string of \(length) bytes exceeds \(limits.maxStringBytes)")
                }
                return .string(try readNewString(byteCount: Int(length)))
            case JavaConstants.tcArray:
                return try readNewArray()
            case JavaConstants.tcEnum:
                return try readNewEnum()
            case JavaConstants.tcClass:
                guard let descriptor = try readClassDescriptor() else {
                    throw error(.invalidDescriptor, "TC_CLASS without a class descriptor")
                }
                let value = JavaValue.classObject(JavaClassObject(descriptor: descriptor))
                try assignHandle(value)
                return value
            case JavaConstants.tcReset:
                // Java: "unexpected reset; recursion depth" inside an object; a reset there would
                // also drop handles the object being read still refers to.
                guard objectNesting == 1 else {
                    throw error(.unexpectedTypeCode, "unexpected reset inside an object (depth \(objectNesting - 1))", offsetAdjust: -1)
                }
                handles.removeAll(keepingCapacity: true)
                continue
            case JavaConstants.tcException:
                throw error(.unsupported, "the stream carries an exception raised while it was written (TC_EXCEPTION)")
            case JavaConstants.tcBlockData, JavaConstants.tcBlockDataLong, JavaConstants.tcEndBlockData:
                throw error(.unexpectedTypeCode, "block data where an object was expected (0x\(hex(code)))")
            default:
                throw error(.unexpectedTypeCode, "unknown type code 0x\(hex(code))", offsetAdjust: -1)
            }
        }
    }

    // MARK: - Objects

    private mutating func readNewObject() throws(JavaSerializationError) -> JavaValue {
        guard let descriptor = try readClassDescriptor() else {
            throw error(.invalidDescriptor, "TC_OBJECT without a class descriptor")
        }
        let object = JavaObject(descriptor: descriptor, classData: [])
        try assignHandle(.object(object))
        try enter()
        if path.isEmpty { path.append(.root(className: descriptor.name)) }

        if descriptor.isExternalizable {
            guard descriptor.flags & JavaConstants.scBlockData != 0 else {
                throw error(.unsupported, "externalizable class \(descriptor.name) written without block data")
            }
            object.externalContents = try readAnnotation()
        } else {
            let hierarchy = descriptor.hierarchy
            var classData: [JavaClassData] = []
            classData.reserveCapacity(hierarchy.count)
            for level in hierarchy {
                if level !== descriptor { path.append(.superclass(className: level.name)) }
                var values: [JavaValue] = []
                values.reserveCapacity(level.fields.count)
                for field in level.fields {
                    path.append(.field(field.name))
                    values.append(try readFieldValue(field))
                    path.removeLast()
                }
                var annotation: [JavaContent]?
                if level.hasWriteMethod {
                    annotation = try readAnnotation()
                }
                if level !== descriptor { path.removeLast() }
                classData.append(JavaClassData(descriptor: level, values: values, annotation: annotation))
            }
            object.classData = classData
        }
        leave()
        return .object(object)
    }

    private mutating func readFieldValue(_ field: JavaField) throws(JavaSerializationError) -> JavaValue {
        switch field.typeCode {
        case .object, .array:
            return try readObject()
        case .byte, .char, .double, .float, .int, .long, .short, .boolean:
            return try readPrimitive(field.typeCode)
        }
    }

    private mutating func readPrimitive(_ code: JavaTypeCode) throws(JavaSerializationError) -> JavaValue {
        switch code {
        case .byte: return .byte(try readInt(Int8.self))
        case .boolean: return .boolean(try readByte() != 0)
        case .char: return .char(try readInt(UInt16.self))
        case .short: return .short(try readInt(Int16.self))
        case .int: return .int(try readInt(Int32.self))
        case .long: return .long(try readInt(Int64.self))
        case .float: return .float(Float(bitPattern: try readInt(UInt32.self)))
        case .double: return .double(Double(bitPattern: try readInt(UInt64.self)))
        case .object, .array: preconditionFailure("not a primitive type code: \(code)")
        }
    }

    /// `objectAnnotation`: contents up to the matching `TC_ENDBLOCKDATA`; adjacent block-data
    /// records are merged into one.
    private mutating func readAnnotation() throws(JavaSerializationError) -> [JavaContent] {
        var items: [JavaContent] = []
        try enter()
        while true {
            let code = try peekByte()
            if code == JavaConstants.tcEndBlockData {
                buffer.moveReaderIndex(forwardBy: 1)
                break
            }
            guard items.count < limits.maxAnnotationItems else {
                throw error(.limitExceeded, "annotation has more than \(limits.maxAnnotationItems) items")
            }
            if code == JavaConstants.tcBlockData || code == JavaConstants.tcBlockDataLong {
                let bytes = try readBlockDataRecord()
                // Appended in place (the merged record taken out of the list first), not copied
                // whole for every record.
                if case .blockData(var merged)? = items.last {
                    items.removeLast()
                    merged.append(contentsOf: bytes)
                    items.append(.blockData(merged))
                } else {
                    items.append(.blockData(bytes))
                }
            } else {
                path.append(.annotation(items.count))
                items.append(.value(try readObject()))
                path.removeLast()
            }
        }
        leave()
        return items
    }

    private mutating func readBlockDataRecord() throws(JavaSerializationError) -> [UInt8] {
        let code = try readByte()
        let length: Int
        if code == JavaConstants.tcBlockData {
            length = Int(try readByte())
        } else {
            let long = try readInt(Int32.self)
            guard long >= 0 else { throw error(.limitExceeded, "negative block data length \(long)") }
            length = Int(long)
        }
        guard let bytes = buffer.readBytes(length: length) else {
            throw error(.truncated, "block data of \(length) bytes, \(buffer.readableBytes) left")
        }
        return bytes
    }

    // MARK: - Class descriptors

    /// `classDesc`: a new descriptor, a reference to one, or null.
    private mutating func readClassDescriptor() throws(JavaSerializationError) -> JavaClassDescriptor? {
        let code = try readByte()
        switch code {
        case JavaConstants.tcNull:
            return nil
        case JavaConstants.tcClassDesc:
            return try readNewClassDescriptor()
        case JavaConstants.tcProxyClassDesc:
            return try readNewProxyClassDescriptor()
        case JavaConstants.tcReference:
            guard case .classDescriptor(let descriptor) = try readReference() else {
                throw error(.invalidHandle, "reference to a non-descriptor where a class descriptor was expected")
            }
            return descriptor
        default:
            throw error(.unexpectedTypeCode, "type code 0x\(hex(code)) where a class descriptor was expected", offsetAdjust: -1)
        }
    }

    private mutating func readNewClassDescriptor() throws(JavaSerializationError) -> JavaClassDescriptor {
        let name = try readUTF()
        let suid = try readInt(Int64.self)
        let descriptor = JavaClassDescriptor(name: name, serialVersionUID: suid, flags: 0, fields: [])
        try assignHandle(.classDescriptor(descriptor))
        try enter()
        let flags = try readByte()
        if flags & JavaConstants.scSerializable != 0, flags & JavaConstants.scExternalizable != 0 {
            throw error(.invalidDescriptor, "class \(name) is both serializable and externalizable")
        }
        descriptor.flags = flags
        let count = Int(try readInt(Int16.self))
        guard count >= 0, count <= limits.maxFields else {
            throw error(.limitExceeded, "class \(name) declares \(count) fields")
        }
        var fields: [JavaField] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let rawCode = try readByte()
            guard let code = JavaTypeCode(rawValue: rawCode) else {
                throw error(.invalidDescriptor, "class \(name) has a field with type code 0x\(hex(rawCode))")
            }
            let fieldName = try readUTF()
            var signature: String?
            if !code.isPrimitive {
                guard case .string(let string) = try readObject() else {
                    throw error(.invalidDescriptor, "field \(name).\(fieldName) has no type signature string")
                }
                signature = string.value
            }
            fields.append(JavaField(code, fieldName, signature))
        }
        descriptor.fields = fields
        descriptor.annotation = try readAnnotation()
        descriptor.superDescriptor = try readClassDescriptor()
        leave()
        return descriptor
    }

    private mutating func readNewProxyClassDescriptor() throws(JavaSerializationError) -> JavaClassDescriptor {
        let descriptor = JavaClassDescriptor(proxyInterfaces: [])
        try assignHandle(.classDescriptor(descriptor))
        try enter()
        let count = Int(try readInt(Int32.self))
        guard count >= 0, count <= limits.maxFields else {
            throw error(.limitExceeded, "proxy class with \(count) interfaces")
        }
        var interfaces: [String] = []
        for _ in 0..<count { interfaces.append(try readUTF()) }
        descriptor.proxyInterfaces = interfaces
        descriptor.annotation = try readAnnotation()
        descriptor.superDescriptor = try readClassDescriptor()
        leave()
        return descriptor
    }

    // MARK: - Strings, arrays, enums, references

    private mutating func readNewString(byteCount: Int) throws(JavaSerializationError) -> JavaString {
        guard byteCount <= limits.maxStringBytes else {
            throw error(.limitExceeded, "string of \(byteCount) bytes exceeds \(limits.maxStringBytes)")
        }
        guard let view = buffer.readSlice(length: byteCount) else {
            throw error(.truncated, "string of \(byteCount) bytes, \(buffer.readableBytes) left")
        }
        guard let value = view.readableBytesView.withContiguousStorageIfAvailable({ ModifiedUTF8.decode($0) })
            ?? ModifiedUTF8.decode(view.readableBytesView)
        else {
            throw error(.malformedString, "string bytes are not modified UTF-8")
        }
        let string = JavaString(value)
        try assignHandle(.string(string))
        return string
    }

    private mutating func readNewArray() throws(JavaSerializationError) -> JavaValue {
        guard let descriptor = try readClassDescriptor() else {
            throw error(.invalidDescriptor, "TC_ARRAY without a class descriptor")
        }
        let name = descriptor.name.utf8
        guard name.count >= 2, name.first == UInt8(ascii: "["),
              let elementCode = JavaTypeCode(rawValue: name[name.index(after: name.startIndex)])
        else {
            throw error(.invalidDescriptor, "array class name \(descriptor.name) is not an array type")
        }
        let array = JavaArray(descriptor: descriptor, elements: .objects([]))
        try assignHandle(.array(array))
        let count = Int(try readInt(Int32.self))
        guard count >= 0, count <= limits.maxArrayLength else {
            throw error(.limitExceeded, "array of \(count) elements exceeds \(limits.maxArrayLength)")
        }
        if elementCode != .byte {
            // Each element is held as a value many times its size on the wire: bound them all.
            elementsRead += count
            guard elementsRead <= limits.maxTotalElements else {
                throw error(.limitExceeded, "arrays of more than \(limits.maxTotalElements) elements in one stream")
            }
        }
        try enter()
        switch elementCode {
        case .byte:
            guard let bytes = buffer.readBytes(length: count) else {
                throw error(.truncated, "byte array of \(count) bytes, \(buffer.readableBytes) left")
            }
            array.elements = .bytes(bytes)
        case .object, .array:
            // Every element takes at least one byte: refuse counts the stream cannot hold.
            guard count <= buffer.readableBytes else {
                throw error(.truncated, "array of \(count) objects, \(buffer.readableBytes) bytes left")
            }
            var values: [JavaValue] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                path.append(.index(index))
                values.append(try readObject())
                path.removeLast()
            }
            array.elements = .objects(values)
        case .char, .double, .float, .int, .long, .short, .boolean:
            guard count * elementCode.primitiveSize <= buffer.readableBytes else {
                throw error(.truncated, "array of \(count) primitives, \(buffer.readableBytes) bytes left")
            }
            var values: [JavaValue] = []
            values.reserveCapacity(count)
            for _ in 0..<count { values.append(try readPrimitive(elementCode)) }
            array.elements = .primitives(elementCode, values)
        }
        leave()
        return .array(array)
    }

    private mutating func readNewEnum() throws(JavaSerializationError) -> JavaValue {
        guard let descriptor = try readClassDescriptor() else {
            throw error(.invalidDescriptor, "TC_ENUM without a class descriptor")
        }
        let slot = handles.count
        try assignHandle(.null)
        try enter()
        guard case .string(let name) = try readObject() else {
            throw error(.wrongType, "enum constant of \(descriptor.name) has no name string")
        }
        leave()
        let value = JavaValue.enumConstant(JavaEnumConstant(descriptor: descriptor, name: name))
        handles[slot] = value
        return value
    }

    private mutating func readReference() throws(JavaSerializationError) -> JavaValue {
        let raw = try readInt(Int32.self)
        let index = Int(raw) - Int(JavaConstants.baseWireHandle)
        guard index >= 0, index < handles.count else {
            throw error(.invalidHandle, "reference to handle 0x\(String(raw, radix: 16)) of \(handles.count)")
        }
        return handles[index]
    }

    private mutating func assignHandle(_ value: JavaValue) throws(JavaSerializationError) {
        guard handles.count < limits.maxHandles else {
            throw error(.limitExceeded, "more than \(limits.maxHandles) handles")
        }
        handles.append(value)
    }

    // MARK: - Primitive reads

    private mutating func enter() throws(JavaSerializationError) {
        depth += 1
        guard depth <= limits.maxDepth else {
            throw error(.limitExceeded, "nesting deeper than \(limits.maxDepth)")
        }
    }

    private mutating func leave() { depth -= 1 }

    private mutating func readByte() throws(JavaSerializationError) -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else {
            throw error(.truncated, "stream ends where a byte was expected")
        }
        return byte
    }

    private func peekByte() throws(JavaSerializationError) -> UInt8 {
        guard let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
            throw error(.truncated, "stream ends where a type code was expected")
        }
        return byte
    }

    private mutating func readInt<T: FixedWidthInteger>(_: T.Type) throws(JavaSerializationError) -> T {
        guard let value = buffer.readInteger(endianness: .big, as: T.self) else {
            throw error(.truncated, "stream ends inside a \(MemoryLayout<T>.size)-byte number")
        }
        return value
    }

    private mutating func readUTF() throws(JavaSerializationError) -> String {
        let length = Int(try readInt(UInt16.self))
        guard let view = buffer.readSlice(length: length) else {
            throw error(.truncated, "UTF string of \(length) bytes, \(buffer.readableBytes) left")
        }
        guard let value = ModifiedUTF8.decode(view.readableBytesView) else {
            throw error(.malformedString, "name bytes are not modified UTF-8")
        }
        return value
    }

    // MARK: - Errors

    private func error(
        _ code: JavaSerializationError.Code,
        _ message: String,
        offsetAdjust: Int = 0
    ) -> JavaSerializationError {
        JavaSerializationError(
            code, message,
            path: renderPath(),
            offset: buffer.readerIndex - startIndex + offsetAdjust
        )
    }

    private func renderPath() -> String {
        var text = ""
        for component in path {
            switch component {
            case .root(let name): text += simpleName(name)
            case .field(let name): text += "." + name
            case .index(let index): text += "[\(index)]"
            case .annotation(let index): text += "<\(index)>"
            case .superclass(let name): text += "(" + simpleName(name) + ")"
            }
        }
        return text
    }

    private func simpleName(_ className: String) -> String {
        if let dollar = className.lastIndex(of: "$"), className.index(after: dollar) != className.endIndex {
            return String(className[className.index(after: dollar)...])
        }
        if let dot = className.lastIndex(of: ".") { return String(className[className.index(after: dot)...]) }
        return className
    }

    private func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
