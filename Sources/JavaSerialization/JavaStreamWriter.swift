import NIOCore

/// Writes `JavaValue`s as a Java Object Serialization stream, laid out as `ObjectOutputStream`
/// lays it out: handles by identity, class descriptors shared by class name, field type
/// signatures shared by value, block data in records of at most 1024 bytes.
public struct JavaStreamWriter {
    public private(set) var buffer: ByteBuffer
    private var handlesByIdentity: [ObjectIdentifier: Int32] = [:]
    private var descriptorHandles: [String: Int32] = [:]
    private var signatureHandles: [String: Int32] = [:]
    private var valueStringHandles: [String: Int32] = [:]
    private var nextHandle: Int32 = 0
    /// When set, equal strings are written once and referenced after, as a JVM does for strings
    /// that are the same instance (literals, and values copied from one field to another).
    public var sharesEqualStrings = false
    // Objects written so far stay alive, so identities cannot be reused mid-stream.
    private var retained: [AnyObject] = []

    public init(buffer: ByteBuffer = ByteBuffer(), sharesEqualStrings: Bool = false) {
        self.buffer = buffer
        self.sharesEqualStrings = sharesEqualStrings
    }

    /// Encodes a complete stream holding one object.
    public static func encode(
        _ value: JavaValue, into buffer: inout ByteBuffer, sharesEqualStrings: Bool = false
    ) throws(JavaSerializationError) {
        var writer = JavaStreamWriter(buffer: buffer, sharesEqualStrings: sharesEqualStrings)
        buffer = ByteBuffer()
        writer.writeHeader()
        try writer.writeObject(value)
        buffer = writer.buffer
    }

    /// Encodes a complete stream holding one object into a new buffer.
    public static func encode(_ value: JavaValue) throws(JavaSerializationError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(value, into: &buffer)
        return buffer
    }

    public mutating func writeHeader() {
        buffer.writeInteger(JavaConstants.streamMagic)
        buffer.writeInteger(JavaConstants.streamVersion)
    }

    /// Writes one object (`object` in the grammar).
    public mutating func writeObject(_ value: JavaValue) throws(JavaSerializationError) {
        switch value {
        case .null:
            buffer.writeInteger(JavaConstants.tcNull)
        case .string(let string):
            if writeReferenceIfKnown(string) { return }
            if sharesEqualStrings, let handle = valueStringHandles[string.value] {
                writeReference(handle)
                return
            }
            let handle = writeNewString(string.value)
            if sharesEqualStrings { valueStringHandles[string.value] = handle }
            handlesByIdentity[ObjectIdentifier(string)] = handle
            retained.append(string)
        case .object(let object):
            if writeReferenceIfKnown(object) { return }
            try writeNewObject(object)
        case .array(let array):
            if writeReferenceIfKnown(array) { return }
            try writeNewArray(array)
        case .enumConstant(let constant):
            if writeReferenceIfKnown(constant) { return }
            buffer.writeInteger(JavaConstants.tcEnum)
            try writeClassDescriptor(constant.descriptor)
            remember(constant)
            try writeObject(.string(constant.name))
        case .classObject(let classObject):
            if writeReferenceIfKnown(classObject) { return }
            buffer.writeInteger(JavaConstants.tcClass)
            try writeClassDescriptor(classObject.descriptor)
            remember(classObject)
        case .classDescriptor(let descriptor):
            try writeClassDescriptor(descriptor)
        case .boolean, .byte, .char, .short, .int, .long, .float, .double:
            throw JavaSerializationError(.wrongType, "a primitive cannot be written as an object: \(value)")
        }
    }

    // MARK: - Objects

    private mutating func writeNewObject(_ object: JavaObject) throws(JavaSerializationError) {
        buffer.writeInteger(JavaConstants.tcObject)
        try writeClassDescriptor(object.descriptor)
        remember(object)
        if object.descriptor.isExternalizable {
            try writeAnnotation(object.externalContents ?? [])
            return
        }
        let hierarchy = object.descriptor.hierarchy
        guard hierarchy.count == object.classData.count else {
            throw JavaSerializationError(
                .invalidDescriptor,
                "\(object.className) has \(hierarchy.count) classes in its hierarchy but \(object.classData.count) class data",
                path: object.className)
        }
        for (level, data) in zip(hierarchy, object.classData) {
            guard level.fields.count == data.values.count else {
                throw JavaSerializationError(
                    .invalidDescriptor,
                    "\(level.name) declares \(level.fields.count) fields but \(data.values.count) values are given",
                    path: object.className)
            }
            for (field, value) in zip(level.fields, data.values) {
                do {
                    try writeFieldValue(value, as: field)
                } catch {
                    var wrapped = error
                    wrapped.path = wrapped.path.isEmpty ? "\(level.name).\(field.name)" : "\(field.name).\(wrapped.path)"
                    throw wrapped
                }
            }
            if level.hasWriteMethod {
                try writeAnnotation(data.annotation ?? [])
            }
        }
    }

    private mutating func writeFieldValue(_ value: JavaValue, as field: JavaField) throws(JavaSerializationError) {
        switch (field.typeCode, value) {
        case (.boolean, .boolean(let v)): buffer.writeInteger(UInt8(v ? 1 : 0))
        case (.byte, .byte(let v)): buffer.writeInteger(v)
        case (.char, .char(let v)): buffer.writeInteger(v)
        case (.short, .short(let v)): buffer.writeInteger(v)
        case (.int, .int(let v)): buffer.writeInteger(v)
        case (.long, .long(let v)): buffer.writeInteger(v)
        case (.float, .float(let v)): buffer.writeInteger(v.bitPattern)
        case (.double, .double(let v)): buffer.writeInteger(v.bitPattern)
        case (.object, _), (.array, _):
            try writeObject(value)
        default:
            throw JavaSerializationError(.wrongType, "field \(field.name) of type \(Character(UnicodeScalar(field.typeCode.rawValue))) given \(value)")
        }
    }

    private mutating func writeAnnotation(_ contents: [JavaContent]) throws(JavaSerializationError) {
        for item in contents {
            switch item {
            case .blockData(let bytes):
                writeBlockData(bytes)
            case .value(let value):
                try writeObject(value)
            }
        }
        buffer.writeInteger(JavaConstants.tcEndBlockData)
    }

    private mutating func writeBlockData(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let length = min(JavaConstants.maxBlockDataRecord, bytes.count - offset)
            if length <= 0xFF {
                buffer.writeInteger(JavaConstants.tcBlockData)
                buffer.writeInteger(UInt8(length))
            } else {
                buffer.writeInteger(JavaConstants.tcBlockDataLong)
                buffer.writeInteger(Int32(length))
            }
            buffer.writeBytes(bytes[offset..<(offset + length)])
            offset += length
        }
    }

    // MARK: - Descriptors

    private mutating func writeClassDescriptor(_ descriptor: JavaClassDescriptor?) throws(JavaSerializationError) {
        guard let descriptor else {
            buffer.writeInteger(JavaConstants.tcNull)
            return
        }
        if let interfaces = descriptor.proxyInterfaces {
            if writeReferenceIfKnown(descriptor) { return }
            buffer.writeInteger(JavaConstants.tcProxyClassDesc)
            remember(descriptor)
            buffer.writeInteger(Int32(interfaces.count))
            for name in interfaces { writeUTF(name) }
        } else {
            if let handle = descriptorHandles[descriptor.name] {
                writeReference(handle)
                return
            }
            buffer.writeInteger(JavaConstants.tcClassDesc)
            writeUTF(descriptor.name)
            buffer.writeInteger(descriptor.serialVersionUID)
            descriptorHandles[descriptor.name] = assignHandle()
            buffer.writeInteger(descriptor.flags)
            buffer.writeInteger(Int16(descriptor.fields.count))
            for field in descriptor.fields {
                buffer.writeInteger(field.typeCode.rawValue)
                writeUTF(field.name)
                if !field.isPrimitive {
                    guard let signature = field.signature else {
                        throw JavaSerializationError(
                            .invalidDescriptor, "reference field \(descriptor.name).\(field.name) has no type signature")
                    }
                    if let handle = signatureHandles[signature] {
                        writeReference(handle)
                    } else {
                        signatureHandles[signature] = writeNewString(signature)
                    }
                }
            }
        }
        try writeAnnotation(descriptor.annotation)
        try writeClassDescriptor(descriptor.superDescriptor)
    }

    // MARK: - Strings and arrays

    @discardableResult
    private mutating func writeNewString(_ string: String) -> Int32 {
        let length = ModifiedUTF8.encodedLength(string)
        if length <= 0xFFFF {
            buffer.writeInteger(JavaConstants.tcString)
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(JavaConstants.tcLongString)
            buffer.writeInteger(Int64(length))
        }
        writeModifiedUTF8(string, length: length)
        return assignHandle()
    }

    private mutating func writeNewArray(_ array: JavaArray) throws(JavaSerializationError) {
        buffer.writeInteger(JavaConstants.tcArray)
        try writeClassDescriptor(array.descriptor)
        remember(array)
        buffer.writeInteger(Int32(array.count))
        switch array.elements {
        case .bytes(let bytes):
            buffer.writeBytes(bytes)
        case .primitives(let code, let values):
            let field = JavaField(code, "element")
            for value in values { try writeFieldValue(value, as: field) }
        case .objects(let values):
            for value in values { try writeObject(value) }
        }
    }

    private mutating func writeUTF(_ string: String) {
        let length = ModifiedUTF8.encodedLength(string)
        buffer.writeInteger(UInt16(truncatingIfNeeded: length))
        writeModifiedUTF8(string, length: length)
    }

    private mutating func writeModifiedUTF8(_ string: String, length: Int) {
        // Only NUL (one byte more) and supplementary characters (two more) differ from UTF-8,
        // so equal lengths mean identical bytes.
        if length == string.utf8.count {
            buffer.writeString(string)
        } else {
            buffer.writeBytes(ModifiedUTF8.encode(string))
        }
    }

    // MARK: - Handles

    private mutating func assignHandle() -> Int32 {
        defer { nextHandle += 1 }
        return JavaConstants.baseWireHandle + nextHandle
    }

    private mutating func remember(_ object: AnyObject) {
        handlesByIdentity[ObjectIdentifier(object)] = assignHandle()
        retained.append(object)
    }

    private mutating func writeReferenceIfKnown(_ object: AnyObject) -> Bool {
        guard let handle = handlesByIdentity[ObjectIdentifier(object)] else { return false }
        writeReference(handle)
        return true
    }

    private mutating func writeReference(_ handle: Int32) {
        buffer.writeInteger(JavaConstants.tcReference)
        buffer.writeInteger(handle)
    }
}
