import JavaSerialization
import SparkModel

/// Reads model values out of decoded Java object graphs, accepting every runtime shape a JVM
/// may pick for a Scala type (both Scala 2.12 and 2.13) and ignoring serialVersionUIDs.
enum JavaGraphDecoder {
    typealias Failure = SparkProtocolError

    static func object(_ value: JavaValue, _ what: String) throws(Failure) -> JavaObject {
        guard case .object(let object) = value else {
            throw Failure(.wrongType, "\(what) is \(describe(value)), expected an object")
        }
        return object
    }

    static func field(_ object: JavaObject, _ name: String) throws(Failure) -> JavaValue {
        guard let value = object.field(name) else {
            throw Failure(.missingField, "\(object.className) has no field \(name)", path: name)
        }
        return value
    }

    static func string(_ object: JavaObject, _ name: String) throws(Failure) -> String {
        let value = try field(object, name)
        guard case .string(let string) = value else {
            throw Failure(.wrongType, "field is \(describe(value)), expected a string", path: name)
        }
        return string.value
    }

    static func nullableString(_ object: JavaObject, _ name: String) throws(Failure) -> String? {
        let value = try field(object, name)
        switch value {
        case .null: return nil
        case .string(let string): return string.value
        default: throw Failure(.wrongType, "field is \(describe(value)), expected a string", path: name)
        }
    }

    static func int(_ object: JavaObject, _ name: String) throws(Failure) -> Int32 {
        let value = try field(object, name)
        guard case .int(let int) = value else {
            throw Failure(.wrongType, "field is \(describe(value)), expected an int", path: name)
        }
        return int
    }

    static func long(_ object: JavaObject, _ name: String) throws(Failure) -> Int64 {
        let value = try field(object, name)
        guard case .long(let long) = value else {
            throw Failure(.wrongType, "field is \(describe(value)), expected a long", path: name)
        }
        return long
    }

    static func double(_ object: JavaObject, _ name: String) throws(Failure) -> Double {
        let value = try field(object, name)
        guard case .double(let double) = value else {
            throw Failure(.wrongType, "field is \(describe(value)), expected a double", path: name)
        }
        return double
    }

    static func bool(_ object: JavaObject, _ name: String) throws(Failure) -> Bool {
        let value = try field(object, name)
        guard case .boolean(let bool) = value else {
            throw Failure(.wrongType, "field is \(describe(value)), expected a boolean", path: name)
        }
        return bool
    }

    // MARK: - Scala singletons, Option, boxes

    /// The module class name when `value` is a Scala `object` (either flavour), else `nil`.
    static func moduleName(_ value: JavaValue) -> String? {
        guard case .object(let object) = value else { return nil }
        if object.className == "scala.runtime.ModuleSerializationProxy",
           case .classObject(let moduleClass)? = object.field("moduleClass") {
            return moduleClass.descriptor.name
        }
        if object.className.hasSuffix("$") { return object.className }
        return nil
    }

    /// `Some(x)` → x, `None` or null → nil.
    static func option(_ value: JavaValue, _ what: String) throws(Failure) -> JavaValue? {
        switch value {
        case .null:
            return nil
        case .object(let object) where object.className == "scala.Some":
            return try field(object, "value")
        default:
            if moduleName(value) == "scala.None$" { return nil }
            throw Failure(.wrongType, "\(what) is \(describe(value)), expected a scala.Option")
        }
    }

    static func optionString(_ object: JavaObject, _ name: String) throws(Failure) -> String? {
        do throws(Failure) {
            guard let inner = try option(try field(object, name), name) else { return nil }
            guard case .string(let string) = inner else {
                throw Failure(.wrongType, "Some holds \(describe(inner)), expected a string")
            }
            return string.value
        } catch {
            throw error.within(name)
        }
    }

    static func optionInt(_ object: JavaObject, _ name: String) throws(Failure) -> Int32? {
        do throws(Failure) {
            guard let inner = try option(try field(object, name), name) else { return nil }
            return try boxedInt(inner)
        } catch {
            throw error.within(name)
        }
    }

    static func boxedInt(_ value: JavaValue) throws(Failure) -> Int32 {
        guard case .object(let object) = value else {
            throw Failure(.wrongType, "\(describe(value)) is not a boxed integer")
        }
        switch object.field("value") {
        case .int(let int)?: return int
        case .long(let long)?: return Int32(clamping: long)
        case .short(let short)?: return Int32(short)
        default: throw Failure(.wrongType, "\(object.className) is not a boxed integer")
        }
    }

    static func boxedBool(_ value: JavaValue) throws(Failure) -> Bool {
        guard case .object(let object) = value, object.className == "java.lang.Boolean",
              case .boolean(let bool)? = object.field("value")
        else { throw Failure(.wrongType, "\(describe(value)) is not a java.lang.Boolean") }
        return bool
    }

    /// The id of a `scala.Enumeration` value.
    static func enumerationId(_ value: JavaValue, _ what: String) throws(Failure) -> Int32 {
        guard case .object(let object) = value, object.descriptor.isSubclass(of: "scala.Enumeration$Value") else {
            throw Failure(.wrongType, "\(what) is \(describe(value)), expected a scala.Enumeration value")
        }
        guard case .int(let id)? = object.field("i") else {
            throw Failure(.wrongType, "\(what) (\(object.className)) has no integer id")
        }
        return id
    }

    static func enumeration<State: RawRepresentable>(
        _ object: JavaObject, _ name: String, as _: State.Type
    ) throws(Failure) -> State where State.RawValue == Int32 {
        let id: Int32
        do throws(Failure) {
            id = try enumerationId(try field(object, name), name)
        } catch {
            throw error.within(name)
        }
        guard let state = State(rawValue: id) else {
            throw Failure(.badValue, "unknown \(State.self) id \(id)", path: name)
        }
        return state
    }

    // MARK: - Collections

    /// The most cells of a Scala list, or nodes of a 2.12 `Vector`, read for one sequence; Spark's
    /// messages carry a few (arguments, options, ids).
    static let maximumListCells = 1_000_000

    /// The elements of any Scala or Java sequence shape.
    static func sequence(_ value: JavaValue, _ what: String) throws(Failure) -> [JavaValue] {
        switch value {
        case .null:
            throw Failure(.wrongType, "\(what) is null, expected a sequence")
        case .array(let array):
            if case .objects(let values) = array.elements { return values }
            throw Failure(.wrongType, "\(what) is a primitive array, expected a sequence of objects")
        case .object(let object):
            return try sequence(object, what)
        default:
            if let module = moduleName(value), module.hasSuffix("Nil$") || module.hasSuffix("Empty$") { return [] }
            throw Failure(.wrongType, "\(what) is \(describe(value)), expected a sequence")
        }
    }

    private static func sequence(_ object: JavaObject, _ what: String) throws(Failure) -> [JavaValue] {
        switch object.className {
        case "scala.collection.generic.DefaultSerializationProxy":
            return try proxyElements(object, what)
        case "scala.collection.immutable.List$SerializationProxy":
            return annotationObjects(object).filter { moduleName($0) != "scala.collection.immutable.ListSerializeEnd$" }
        case "scala.collection.immutable.$colon$colon":
            var elements: [JavaValue] = []
            var current: JavaObject? = object
            while let cell = current, cell.className.hasSuffix("$colon$colon") {
                guard elements.count < maximumListCells else { throw Failure(.badValue, "\(what) is a list that does not end") }
                // A cell has its two fields (`head`, `next` or 2.12's `tl`) and next to nothing else to
                // look through.
                guard cell.classData.count <= 8, cell.classData.reduce(0, { $0 + $1.descriptor.fields.count }) <= 4 else {
                    throw Failure(.wrongType, "\(what) is a list cell of an unknown shape")
                }
                elements.append(cell.field("head") ?? .null)
                current = (cell.field("next") ?? cell.field("tl"))?.object
            }
            return elements
        case "scala.collection.immutable.Nil$":
            return []
        case "java.util.Collections$EmptyList":
            return []
        case "scala.collection.immutable.Vector":
            return try vector212(object, what)
        default:
            if moduleName(.object(object)).map({ $0.hasSuffix("Nil$") }) == true { return [] }
            // ArraySeq / WrappedArray / mutable.ArraySeq / ArrayBuffer / ArrayList-like: an object array field.
            for data in object.classData.reversed() {
                for (index, field) in data.descriptor.fields.enumerated() where field.typeCode == .array {
                    if case .array(let array) = data.values[index], case .objects(var values) = array.elements {
                        if let size = object.field("size0") ?? object.field("length"), case .int(let count) = size,
                           count >= 0, Int(count) <= values.count {
                            values.removeLast(values.count - Int(count))
                        }
                        return values
                    }
                }
            }
            throw Failure(.wrongType, "\(what) is a \(object.className), which is not a known sequence shape")
        }
    }

    /// Scala 2.12's `Vector`: a radix tree of `display0...display5` arrays; elements are the leaves
    /// in order between `startIndex` and `endIndex`.
    private static func vector212(_ object: JavaObject, _ what: String) throws(Failure) -> [JavaValue] {
        guard case .int(let depth)? = object.field("depth"), case .int(let start)? = object.field("startIndex"),
              case .int(let end)? = object.field("endIndex"), (0...6).contains(depth), start >= 0, end >= start
        else { throw Failure(.wrongType, "\(what) is a malformed scala.collection.immutable.Vector") }
        guard depth > 0 else { return [] }
        guard case .array(let root)? = object.field("display\(depth - 1)") else {
            throw Failure(.wrongType, "\(what) is a Vector without its root array")
        }
        var leaves: [JavaValue] = []
        // Nodes may be shared (references to one array): every visit counts, not only leaves.
        var visits = 0
        func collect(_ array: JavaArray, level: Int32) throws(Failure) {
            guard case .objects(let values) = array.elements else { throw Failure(.wrongType, "\(what) has a primitive Vector node") }
            for value in values {
                visits += 1
                guard visits <= maximumListCells else { throw Failure(.badValue, "\(what) is a Vector of more than \(maximumListCells) nodes") }
                if level == 0 {
                    leaves.append(value)
                } else if case .array(let child) = value {
                    try collect(child, level: level - 1)
                }
                guard leaves.count <= Int(end) else { return }
            }
        }
        try collect(root, level: depth - 1)
        guard Int(end) <= leaves.count else { throw Failure(.wrongType, "\(what) is a Vector shorter than its end index") }
        return Array(leaves[Int(start)..<Int(end)])
    }

    /// Key/value pairs of any Scala map shape.
    static func map(_ value: JavaValue, _ what: String) throws(Failure) -> [(JavaValue, JavaValue)] {
        try map(value, what, wrappers: 0)
    }

    /// `Map.withDefault` wraps at most this many times before the entries (`sys.env` is one).
    static let maximumMapWrappers = 8

    private static func map(_ value: JavaValue, _ what: String, wrappers: Int) throws(Failure) -> [(JavaValue, JavaValue)] {
        if let module = moduleName(value), module.contains("Empty") { return [] }
        guard case .object(let object) = value else {
            throw Failure(.wrongType, "\(what) is \(describe(value)), expected a map")
        }
        let name = object.className
        switch name {
        case "scala.collection.generic.DefaultSerializationProxy":
            return try proxyElements(object, what).map { entry throws(Failure) in try pair(entry, what) }
        case "scala.collection.immutable.HashMap$SerializationProxy", "scala.collection.mutable.HashMap":
            return try alternatingPairs(annotationObjects(object), what)
        case "scala.collection.immutable.Map$WithDefault", "scala.collection.Map$WithDefault", "scala.collection.mutable.Map$WithDefault":
            // `withDefault` (spark-submit's `sys.env`): the entries are the underlying map's; the
            // default function only answers missing keys.
            guard wrappers < maximumMapWrappers else { throw Failure(.badValue, "\(what) nests Map.withDefault too deeply") }
            guard let underlying = object.field("underlying") else {
                throw Failure(.missingField, "\(what) (\(name)) lacks its underlying map")
            }
            return try map(underlying, what, wrappers: wrappers + 1)
        default:
            if let arity = name.last?.wholeNumberValue, name.hasPrefix("scala.collection.immutable.Map$Map"), (1...4).contains(arity) {
                var pairs: [(JavaValue, JavaValue)] = []
                for index in 1...arity {
                    guard let key = object.field(endingWith: "key\(index)"), let value = object.field(endingWith: "value\(index)") else {
                        throw Failure(.missingField, "\(what) (\(name)) lacks entry \(index)")
                    }
                    pairs.append((key, value))
                }
                return pairs
            }
            throw Failure(.wrongType, "\(what) is a \(name), which is not a known map shape")
        }
    }

    private static func pair(_ value: JavaValue, _ what: String) throws(Failure) -> (JavaValue, JavaValue) {
        guard case .object(let tuple) = value, let first = tuple.field("_1"), let second = tuple.field("_2") else {
            throw Failure(.wrongType, "\(what) has an entry \(describe(value)), expected a scala.Tuple2")
        }
        return (first, second)
    }

    private static func alternatingPairs(_ values: [JavaValue], _ what: String) throws(Failure) -> [(JavaValue, JavaValue)] {
        guard values.count % 2 == 0 else { throw Failure(.badValue, "\(what) has an odd number of keys and values") }
        return stride(from: 0, to: values.count, by: 2).map { (values[$0], values[$0 + 1]) }
    }

    /// Elements written by `DefaultSerializationProxy.writeObject`: a size, then the elements,
    /// then (for an unknown size) the `SerializeEnd` marker.
    private static func proxyElements(_ object: JavaObject, _ what: String) throws(Failure) -> [JavaValue] {
        let values = annotationObjects(object)
        guard let last = values.last, moduleName(last) == "scala.collection.generic.SerializeEnd$" else {
            return values
        }
        return Array(values.dropLast())
    }

    private static func annotationObjects(_ object: JavaObject) -> [JavaValue] {
        var values: [JavaValue] = []
        for data in object.classData {
            for item in data.annotation ?? [] {
                if case .value(let value) = item { values.append(value) }
            }
        }
        return values
    }

    static func stringSequence(_ object: JavaObject, _ name: String) throws(Failure) -> [String] {
        do throws(Failure) {
            return try sequence(try field(object, name), name).enumerated().map { (index, value) throws(Failure) in
                guard case .string(let string) = value else {
                    throw Failure(.wrongType, "element is \(describe(value)), expected a string", path: "[\(index)]")
                }
                return string.value
            }
        } catch {
            throw error.within(name)
        }
    }

    static func stringKeyedMap<Value>(
        _ object: JavaObject, _ name: String, _ transform: (JavaValue) throws(Failure) -> Value
    ) throws(Failure) -> [(String, Value)] {
        do throws(Failure) {
            return try map(try field(object, name), name).map { entry throws(Failure) in
                guard case .string(let key) = entry.0 else {
                    throw Failure(.wrongType, "key is \(describe(entry.0)), expected a string")
                }
                do throws(Failure) {
                    return (key.value, try transform(entry.1))
                } catch {
                    throw error.within("[\"\(key.value)\"]")
                }
            }
        } catch {
            throw error.within(name)
        }
    }

    // MARK: - Spark values

    static func rpcAddress(_ value: JavaValue, _ what: String) throws(Failure) -> RpcAddress {
        let object = try object(value, what)
        return RpcAddress(host: try string(object, "host"), port: try int(object, "port"))
    }

    static func endpointRef(_ value: JavaValue, _ what: String) throws(Failure) -> RpcEndpointRef {
        do throws(Failure) {
            let ref = try object(value, what)
            let address = try object(try field(ref, "endpointAddress"), "endpointAddress")
            let name = try string(address, "name")
            let rpcAddressValue = try field(address, "rpcAddress")
            let rpcAddress = rpcAddressValue.isNull ? nil : try rpcAddress(rpcAddressValue, "rpcAddress")
            var timeout = RpcTimeout.default
            if let timeoutObject = ref.field("defaultAskTimeout")?.object,
               let duration = timeoutObject.field("duration")?.object,
               case .long(let length)? = duration.field("length") {
                var seconds = length
                // The peer chooses the length: a product past Int64 saturates (Scala's FiniteDuration
                // could not hold it either).
                func times(_ factor: Int64) -> Int64 {
                    let (product, overflow) = length.multipliedReportingOverflow(by: factor)
                    return overflow ? (length < 0 ? .min : .max) : product
                }
                if case .enumConstant(let unit)? = duration.field("unit") {
                    switch unit.name.value {
                    case "MILLISECONDS": seconds = length / 1000
                    case "MINUTES": seconds = times(60)
                    case "MICROSECONDS": seconds = length / 1_000_000
                    case "NANOSECONDS": seconds = length / 1_000_000_000
                    case "HOURS": seconds = times(3600)
                    case "DAYS": seconds = times(86_400)
                    default: break
                    }
                }
                timeout = RpcTimeout(seconds: seconds, property: timeoutObject.field("timeoutProp")?.string ?? timeout.property)
            }
            return RpcEndpointRef(address: RpcEndpointAddress(rpcAddress: rpcAddress, name: name), askTimeout: timeout)
        } catch {
            throw error.within(what)
        }
    }

    static func exception(_ value: JavaValue, _ what: String) throws(Failure) -> JavaExceptionInfo {
        let object = try object(value, what)
        guard object.descriptor.isSubclass(of: "java.lang.Throwable") else {
            throw Failure(.wrongType, "\(what) is a \(object.className), expected a Throwable")
        }
        return JavaExceptionInfo(className: object.className, message: object.field("detailMessage")?.string)
    }

    static func describe(_ value: JavaValue) -> String {
        switch value {
        case .null: "null"
        case .boolean: "a boolean"
        case .byte: "a byte"
        case .char: "a char"
        case .short: "a short"
        case .int: "an int"
        case .long: "a long"
        case .float: "a float"
        case .double: "a double"
        case .string: "a string"
        case .object(let object): "a \(object.className)"
        case .array(let array): "an array \(array.descriptor.name)"
        case .enumConstant(let constant): "enum \(constant.descriptor.name).\(constant.name.value)"
        case .classObject(let classObject): "class \(classObject.descriptor.name)"
        case .classDescriptor(let descriptor): "descriptor \(descriptor.name)"
        }
    }
}
