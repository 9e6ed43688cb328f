extension JavaObject {
    /// The value of field `name`, searching from the most derived class upwards.
    public func field(_ name: String) -> JavaValue? {
        for data in classData.reversed() {
            if let index = data.descriptor.fields.firstIndex(where: { $0.name == name }) {
                return data.values[index]
            }
        }
        return nil
    }

    /// The value of the first field whose name ends with `suffix` (Scala's mangled private fields).
    public func field(endingWith suffix: String) -> JavaValue? {
        for data in classData.reversed() {
            if let index = data.descriptor.fields.firstIndex(where: { $0.name == suffix || $0.name.hasSuffix("$" + suffix) }) {
                return data.values[index]
            }
        }
        return nil
    }

    /// The `writeObject` annotation of the class named `className` in this object's hierarchy.
    public func annotation(of className: String) -> [JavaContent]? {
        classData.first { $0.descriptor.name == className }?.annotation
    }
}

extension JavaValue {
    /// The object, when this value is one.
    public var object: JavaObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The string, when this value is one.
    public var string: String? {
        if case .string(let string) = self { return string.value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The Java class name of a reference value.
    public var className: String? {
        switch self {
        case .object(let object): object.className
        case .array(let array): array.descriptor.name
        case .enumConstant(let constant): constant.descriptor.name
        case .string: "java.lang.String"
        case .classObject: "java.lang.Class"
        case .classDescriptor: "java.io.ObjectStreamClass"
        case .null, .boolean, .byte, .char, .short, .int, .long, .float, .double: nil
        }
    }
}
