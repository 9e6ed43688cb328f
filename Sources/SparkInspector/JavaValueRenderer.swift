import JavaSerialization

/// Renders any decoded Java object graph generically: class names, every field of every class in
/// the hierarchy, arrays, `writeObject` block data as bytes, enum constants.
///
/// Each object and array gets a number the first time it is printed; meeting it again (a shared
/// reference or a cycle) prints a back-reference to that number instead. Nesting deeper than
/// `maxDepth` is elided, so hostile or cyclic graphs always terminate.
public struct JavaValueRenderer: Sendable {
    /// Nesting of objects and arrays printed before elision.
    public var maxDepth: Int
    /// Elements rendered per array; the rest are counted as omitted.
    public var maxElements: Int
    /// Bytes kept per byte array or block-data record.
    public var maxBytes: Int

    /// A renderer with the given bounds.
    public init(maxDepth: Int = 32, maxElements: Int = 1000, maxBytes: Int = 4096) {
        self.maxDepth = maxDepth
        self.maxElements = maxElements
        self.maxBytes = maxBytes
    }

    /// Renders `value` and everything it reaches.
    public func render(_ value: JavaValue) -> RenderedValue {
        var walk = Walk(limits: self)
        return walk.value(value, depth: 0)
    }

    /// The last component of a JVM class name: `DeployMessages$RegisterWorker` → `RegisterWorker`.
    public static func simpleName(_ className: String) -> String {
        var name = Substring(className)
        if name.hasSuffix("$"), name.count > 1 { name = name.dropLast() }
        if let dot = name.lastIndex(of: ".") { name = name[name.index(after: dot)...] }
        if let dollar = name.lastIndex(of: "$"), dollar != name.index(before: name.endIndex) {
            name = name[name.index(after: dollar)...]
        }
        return String(name)
    }

    private struct Walk {
        let limits: JavaValueRenderer
        var ids: [ObjectIdentifier: Int] = [:]
        var nextId = 1

        mutating func value(_ value: JavaValue, depth: Int) -> RenderedValue {
            switch value {
            case .null: return .null
            case .boolean(let flag): return .bool(flag)
            case .byte(let number): return .int(Int64(number))
            case .short(let number): return .int(Int64(number))
            case .int(let number): return .int(Int64(number))
            case .long(let number): return .int(number)
            case .char(let unit): return .string(Unicode.Scalar(unit).map { String(Character($0)) } ?? "\\u\(String(unit, radix: 16))")
            case .float(let number): return .double(Double(number))
            case .double(let number): return .double(number)
            case .string(let string): return .string(string.value)
            case .enumConstant(let constant): return .symbol("\(constant.descriptor.name).\(constant.name.value)")
            case .classObject(let object): return .symbol("class \(object.descriptor.name)")
            case .classDescriptor(let descriptor): return .symbol("class descriptor \(descriptor.name)")
            case .object(let object): return self.object(object, depth: depth)
            case .array(let array): return self.array(array, depth: depth)
            }
        }

        /// A fresh number for an object met for the first time, or what to print in its place.
        private enum Identity {
            case new(Int)
            case marker(RenderedValue)
        }

        private mutating func identify(_ object: AnyObject, className: String, depth: Int) -> Identity {
            let key = ObjectIdentifier(object)
            if let id = ids[key] { return .marker(.reference(className: className, id: id)) }
            guard depth < limits.maxDepth else {
                return .marker(.elided("\(className): nesting exceeds \(limits.maxDepth) levels"))
            }
            let id = nextId
            nextId += 1
            ids[key] = id
            return .new(id)
        }

        private mutating func object(_ object: JavaObject, depth: Int) -> RenderedValue {
            let id: Int
            switch identify(object, className: object.className, depth: depth) {
            case .new(let assigned): id = assigned
            case .marker(let marker): return marker
            }
            var fields: [RenderedValue.Field] = []
            var seen: Set<String> = []
            for data in object.classData {
                let owner = JavaValueRenderer.simpleName(data.descriptor.name)
                for (field, fieldValue) in zip(data.descriptor.fields, data.values) {
                    // A subclass may declare a field its superclass also has: qualify the later one.
                    let name = seen.insert(field.name).inserted ? field.name : "\(owner).\(field.name)"
                    fields.append(.init(name, value(fieldValue, depth: depth + 1)))
                }
                if let annotation = data.annotation, !annotation.isEmpty {
                    fields.append(.init("@writeObject(\(owner))", contents(annotation, depth: depth + 1)))
                }
            }
            if let external = object.externalContents {
                fields.append(.init("@writeExternal", contents(external, depth: depth + 1)))
            }
            return .record(className: object.className, id: id, fields: fields)
        }

        private mutating func array(_ array: JavaArray, depth: Int) -> RenderedValue {
            let className = array.descriptor.name
            let id: Int
            switch identify(array, className: className, depth: depth) {
            case .new(let assigned): id = assigned
            case .marker(let marker): return marker
            }
            switch array.elements {
            case .bytes(let bytes):
                return .bytes(.byteArray, shown: Array(bytes.prefix(limits.maxBytes)), total: bytes.count, id: id)
            case .primitives(_, let values), .objects(let values):
                let shown = values.prefix(limits.maxElements).map { value($0, depth: depth + 1) }
                return .list(className: className, id: id, elements: shown, omitted: values.count - shown.count)
            }
        }

        private mutating func contents(_ contents: [JavaContent], depth: Int) -> RenderedValue {
            guard depth < limits.maxDepth else {
                return .elided("annotation: nesting exceeds \(limits.maxDepth) levels")
            }
            let shown = contents.prefix(limits.maxElements).map { content -> RenderedValue in
                switch content {
                case .blockData(let bytes):
                    return .bytes(.blockData, shown: Array(bytes.prefix(limits.maxBytes)), total: bytes.count, id: nil)
                case .value(let item):
                    return value(item, depth: depth)
                }
            }
            return .list(className: nil, id: nil, elements: shown, omitted: contents.count - shown.count)
        }
    }
}
