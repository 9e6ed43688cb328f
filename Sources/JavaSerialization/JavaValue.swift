/// The typed value model of a Java Object Serialization stream.
///
/// Objects, strings, arrays, enum constants and class descriptors are reference types, so the
/// sharing a stream expresses with `TC_REFERENCE` survives decoding and is reproduced on encoding
/// (the writer assigns handles by identity, as `ObjectOutputStream` does).
public enum JavaValue: Sendable {
    case null
    case boolean(Bool)
    case byte(Int8)
    case char(UInt16)
    case short(Int16)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case string(JavaString)
    case object(JavaObject)
    case array(JavaArray)
    case enumConstant(JavaEnumConstant)
    /// A `java.lang.Class` instance (`TC_CLASS`).
    case classObject(JavaClassObject)
    /// A bare class descriptor appearing as stream content.
    case classDescriptor(JavaClassDescriptor)
}

/// A `java.lang.String` with identity, so back-references are preserved.
public final class JavaString: Sendable, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { value }
}

/// One field of a class descriptor.
public struct JavaField: Sendable, Equatable {
    /// The JVM type code: `B C D F I J S Z` for primitives, `L` or `[` for references.
    public var typeCode: JavaTypeCode
    public var name: String
    /// The JVM type signature for reference fields, e.g. `Ljava/lang/String;`.
    public var signature: String?

    public init(_ typeCode: JavaTypeCode, _ name: String, _ signature: String? = nil) {
        self.typeCode = typeCode
        self.name = name
        self.signature = signature
    }

    public var isPrimitive: Bool { typeCode.isPrimitive }
}

/// Field and array element type codes.
public enum JavaTypeCode: UInt8, Sendable, Equatable {
    case byte = 0x42 // B
    case char = 0x43 // C
    case double = 0x44 // D
    case float = 0x46 // F
    case int = 0x49 // I
    case long = 0x4A // J
    case short = 0x53 // S
    case boolean = 0x5A // Z
    case object = 0x4C // L
    case array = 0x5B // [

    public var isPrimitive: Bool {
        switch self {
        case .object, .array: false
        case .byte, .char, .double, .float, .int, .long, .short, .boolean: true
        }
    }

    /// Size in bytes of a primitive value of this type.
    var primitiveSize: Int {
        switch self {
        case .byte, .boolean: 1
        case .char, .short: 2
        case .int, .float: 4
        case .long, .double: 8
        case .object, .array: 0
        }
    }
}

/// A class descriptor (`TC_CLASSDESC` or `TC_PROXYCLASSDESC`).
public final class JavaClassDescriptor: @unchecked Sendable, CustomStringConvertible {
    // Mutated only while a reader or builder constructs it; immutable once published.
    public let name: String
    public let serialVersionUID: Int64
    public internal(set) var flags: UInt8
    public internal(set) var fields: [JavaField]
    public internal(set) var annotation: [JavaContent]
    public internal(set) var superDescriptor: JavaClassDescriptor?
    /// Interface names of a dynamic proxy class descriptor; `nil` for ordinary classes.
    public internal(set) var proxyInterfaces: [String]?

    public init(
        name: String,
        serialVersionUID: Int64,
        flags: UInt8,
        fields: [JavaField],
        superDescriptor: JavaClassDescriptor? = nil,
        annotation: [JavaContent] = []
    ) {
        self.name = name
        self.serialVersionUID = serialVersionUID
        self.flags = flags
        self.fields = fields
        self.annotation = annotation
        self.superDescriptor = superDescriptor
        self.proxyInterfaces = nil
    }

    init(proxyInterfaces: [String]) {
        self.name = "$Proxy"
        self.serialVersionUID = 0
        self.flags = JavaConstants.scSerializable
        self.fields = []
        self.annotation = []
        self.superDescriptor = nil
        self.proxyInterfaces = proxyInterfaces
    }

    public var hasWriteMethod: Bool { flags & JavaConstants.scWriteMethod != 0 }
    public var isSerializable: Bool { flags & JavaConstants.scSerializable != 0 }
    public var isExternalizable: Bool { flags & JavaConstants.scExternalizable != 0 }
    public var isEnum: Bool { flags & JavaConstants.scEnum != 0 }

    /// The hierarchy from the top-most serializable superclass down to this class (at most
    /// `JavaConstants.maxHierarchyDepth` levels). One allocation: the chain is counted, then filled
    /// from the end.
    public var hierarchy: [JavaClassDescriptor] {
        var chain = Array(repeating: self, count: hierarchyDepth)
        var current: JavaClassDescriptor? = self
        var index = chain.count
        while index > 0, let descriptor = current {
            index -= 1
            chain[index] = descriptor
            current = descriptor.superDescriptor
        }
        return chain
    }

    /// How many levels `hierarchy` has.
    var hierarchyDepth: Int {
        var depth = 0
        var current: JavaClassDescriptor? = self
        while let descriptor = current, depth < JavaConstants.maxHierarchyDepth {
            depth += 1
            current = descriptor.superDescriptor
        }
        return depth
    }

    /// Whether this class or one of its superclasses has the given name (walks the chain; no array).
    public func isSubclass(of className: String) -> Bool {
        var current: JavaClassDescriptor? = self
        var depth = 0
        while let descriptor = current, depth < JavaConstants.maxHierarchyDepth {
            if descriptor.name == className { return true }
            current = descriptor.superDescriptor
            depth += 1
        }
        return false
    }

    public var description: String { "\(name) (suid \(serialVersionUID))" }
}

/// The data one class of an object's hierarchy contributed.
public struct JavaClassData: Sendable {
    public var descriptor: JavaClassDescriptor
    /// Values in descriptor field order.
    public var values: [JavaValue]
    /// What a `writeObject` method wrote after the default fields; `nil` when the class has none.
    public var annotation: [JavaContent]?

    public init(descriptor: JavaClassDescriptor, values: [JavaValue], annotation: [JavaContent]? = nil) {
        self.descriptor = descriptor
        self.values = values
        self.annotation = annotation
    }
}

/// An element of an annotation: either block data or an object.
public enum JavaContent: Sendable {
    case blockData([UInt8])
    case value(JavaValue)
}

/// A serialized object (`TC_OBJECT`).
public final class JavaObject: @unchecked Sendable {
    // Mutated only while a reader or builder constructs it; immutable once published.
    public let descriptor: JavaClassDescriptor
    /// One entry per class in the hierarchy, top-most superclass first.
    public internal(set) var classData: [JavaClassData]
    /// Contents of an externalizable object written with block data.
    public internal(set) var externalContents: [JavaContent]?

    public init(descriptor: JavaClassDescriptor, classData: [JavaClassData]) {
        self.descriptor = descriptor
        self.classData = classData
        self.externalContents = nil
    }

    public var className: String { descriptor.name }
}

/// A serialized array (`TC_ARRAY`).
public final class JavaArray: @unchecked Sendable {
    public let descriptor: JavaClassDescriptor
    public internal(set) var elements: Elements

    public enum Elements: Sendable {
        /// `byte[]` kept compact.
        case bytes([UInt8])
        /// Any other primitive array, each element a primitive `JavaValue`.
        case primitives(JavaTypeCode, [JavaValue])
        /// Object arrays.
        case objects([JavaValue])
    }

    public init(descriptor: JavaClassDescriptor, elements: Elements) {
        self.descriptor = descriptor
        self.elements = elements
    }

    public var count: Int {
        switch elements {
        case .bytes(let bytes): bytes.count
        case .primitives(_, let values): values.count
        case .objects(let values): values.count
        }
    }
}

/// A Java enum constant (`TC_ENUM`).
public final class JavaEnumConstant: Sendable {
    public let descriptor: JavaClassDescriptor
    public let name: JavaString

    public init(descriptor: JavaClassDescriptor, name: JavaString) {
        self.descriptor = descriptor
        self.name = name
    }
}

/// A `java.lang.Class` value (`TC_CLASS`).
public final class JavaClassObject: Sendable {
    public let descriptor: JavaClassDescriptor
    public init(descriptor: JavaClassDescriptor) { self.descriptor = descriptor }
}

extension JavaObject {
    /// Sets the class data of an object under construction (for self-referencing graphs).
    public func setClassData(_ classData: [JavaClassData]) {
        self.classData = classData
    }
}
