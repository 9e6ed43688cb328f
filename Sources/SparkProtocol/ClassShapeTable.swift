import JavaSerialization

/// How one class serializes in one Spark build: SUID, stream flags, fields in stream order and
/// its serializable superclass.
public struct ClassShape: Sendable {
    public var className: String
    public var serialVersionUID: Int64
    public var flags: UInt8
    public var superclass: String?
    public var fields: [JavaField]

    public init(_ className: String, suid: Int64, flags: UInt8, superclass: String?, fields: [JavaField]) {
        self.className = className
        self.serialVersionUID = suid
        self.flags = flags
        self.superclass = superclass
        self.fields = fields
    }
}

/// The class shapes of one Spark build (generated from its jars, see `protocol/shapes/`), with
/// ready-made class descriptors.
public final class ClassShapeTable: Sendable {
    public let sparkVersion: String
    public let shapes: [String: ClassShape]
    private let descriptors: [String: JavaClassDescriptor]

    public init(sparkVersion: String, shapes: [ClassShape]) {
        self.sparkVersion = sparkVersion
        var byName: [String: ClassShape] = [:]
        for shape in shapes { byName[shape.className] = shape }
        self.shapes = byName
        var built: [String: JavaClassDescriptor] = [:]
        func build(_ name: String, depth: Int) -> JavaClassDescriptor? {
            if let existing = built[name] { return existing }
            guard let shape = byName[name], depth < 32 else { return nil }
            let parent = shape.superclass.flatMap { build($0, depth: depth + 1) }
            let descriptor = JavaClassDescriptor(
                name: shape.className, serialVersionUID: shape.serialVersionUID, flags: shape.flags,
                fields: shape.fields, superDescriptor: parent)
            built[name] = descriptor
            return descriptor
        }
        for shape in shapes { _ = build(shape.className, depth: 0) }
        self.descriptors = built
    }

    /// The descriptor (with its superclass chain) of `className`.
    public func descriptor(_ className: String) throws(SparkProtocolError) -> JavaClassDescriptor {
        guard let descriptor = descriptors[className] else {
            throw SparkProtocolError(.unknownClass, "no serialization shape for \(className) in Spark \(sparkVersion)")
        }
        return descriptor
    }

    public func serialVersionUID(_ className: String) -> Int64? { shapes[className]?.serialVersionUID }
}
