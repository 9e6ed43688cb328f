import JavaSerialization
import SparkModel

/// Builds the Java object graph of one outgoing message in the shapes a Spark line's JVM writes.
///
/// One builder per stream: like `ObjectOutputStream`, it shares Scala singletons (modules,
/// enumeration values, `None`, `Nil`, the empty map) within the stream.
struct JavaGraphBuilder {
    let version: SparkVersion
    private var modules: [String: JavaValue] = [:]
    private var enumValues: [String: JavaValue] = [:]
    private let cache = InstanceCache()

    /// Values a JVM holds as one shared instance: the interned `""` literal and the boxed
    /// integers of `Integer.valueOf`'s cache (-128...127).
    private final class InstanceCache {
        var emptyString: JavaString?
        var integers: [Int32: JavaValue] = [:]
    }

    init(version: SparkVersion) {
        self.version = version
    }

    var flavor: ScalaFlavor { version.flavor }

    func descriptor(_ className: String) throws(SparkProtocolError) -> JavaClassDescriptor {
        try version.table.descriptor(className)
    }

    /// An object of `className` with the named field values; absent fields get Java defaults.
    func object(
        _ className: String,
        _ values: [String: JavaValue] = [:],
        annotations: [String: [JavaContent]] = [:]
    ) throws(SparkProtocolError) -> JavaValue {
        let descriptor = try descriptor(className)
        var used = 0
        var classData: [JavaClassData] = []
        for level in descriptor.hierarchy {
            var levelValues: [JavaValue] = []
            levelValues.reserveCapacity(level.fields.count)
            for field in level.fields {
                if let value = values[field.name] {
                    used += 1
                    levelValues.append(value)
                } else {
                    levelValues.append(Self.defaultValue(field.typeCode))
                }
            }
            let annotation: [JavaContent]? = level.hasWriteMethod ? (annotations[level.name] ?? []) : nil
            classData.append(JavaClassData(descriptor: level, values: levelValues, annotation: annotation))
        }
        guard used == values.count else {
            let known = Set(descriptor.hierarchy.flatMap { $0.fields.map(\.name) })
            let unknown = values.keys.filter { !known.contains($0) }.sorted()
            throw SparkProtocolError(.missingField, "\(className) in Spark \(version.version) has no fields \(unknown)")
        }
        return .object(JavaObject(descriptor: descriptor, classData: classData))
    }

    static func defaultValue(_ code: JavaTypeCode) -> JavaValue {
        switch code {
        case .byte: .byte(0)
        case .char: .char(0)
        case .double: .double(0)
        case .float: .float(0)
        case .int: .int(0)
        case .long: .long(0)
        case .short: .short(0)
        case .boolean: .boolean(false)
        case .object, .array: .null
        }
    }

    // MARK: - Java values

    func string(_ value: String) -> JavaValue {
        guard value.isEmpty else { return .string(JavaString(value)) }
        if let shared = cache.emptyString { return .string(shared) }
        let shared = JavaString("")
        cache.emptyString = shared
        return .string(shared)
    }

    func optionalString(_ value: String?) -> JavaValue { value.map { string($0) } ?? .null }

    func boxedInt(_ value: Int32) throws(SparkProtocolError) -> JavaValue {
        if let cached = cache.integers[value] { return cached }
        let boxed = try object("java.lang.Integer", ["value": .int(value)])
        if (-128...127).contains(value) { cache.integers[value] = boxed }
        return boxed
    }

    func boolean(_ value: Bool) throws(SparkProtocolError) -> JavaValue {
        try object("java.lang.Boolean", ["value": .boolean(value)])
    }

    func stringArray(_ values: [String]) throws(SparkProtocolError) -> JavaValue {
        .array(JavaArray(descriptor: try descriptor("[Ljava.lang.String;"), elements: .objects(values.map { string($0) })))
    }

    func objectArray(_ values: [JavaValue]) throws(SparkProtocolError) -> JavaValue {
        .array(JavaArray(descriptor: try descriptor("[Ljava.lang.Object;"), elements: .objects(values)))
    }

    // MARK: - Scala singletons

    /// A Scala `object` (case object or module), shared within the stream.
    mutating func module(_ className: String) throws(SparkProtocolError) -> JavaValue {
        if let existing = modules[className] { return existing }
        let value: JavaValue
        switch flavor {
        case .scala213:
            // writeReplace → ModuleSerializationProxy(classOf[X$]).
            let moduleClass = JavaValue.classObject(JavaClassObject(descriptor: try descriptor(className)))
            value = try object("scala.runtime.ModuleSerializationProxy", ["moduleClass": moduleClass])
        case .scala212:
            // The module itself; its field values are discarded by readResolve.
            let descriptor = try descriptor(className)
            let classData = descriptor.hierarchy.map { level in
                JavaClassData(
                    descriptor: level,
                    values: level.fields.map { Self.defaultValue($0.typeCode) },
                    annotation: level.hasWriteMethod ? [] : nil)
            }
            value = .object(JavaObject(descriptor: descriptor, classData: classData))
        }
        modules[className] = value
        return value
    }

    mutating func none() throws(SparkProtocolError) -> JavaValue { try module("scala.None$") }

    mutating func some(_ value: JavaValue) throws(SparkProtocolError) -> JavaValue {
        try object("scala.Some", ["value": value])
    }

    mutating func option(_ value: JavaValue?) throws(SparkProtocolError) -> JavaValue {
        if let value { return try some(value) }
        return try none()
    }

    mutating func optionString(_ value: String?) throws(SparkProtocolError) -> JavaValue {
        try option(value.map { string($0) })
    }

    mutating func optionInt(_ value: Int32?) throws(SparkProtocolError) -> JavaValue {
        guard let value else { return try none() }
        return try some(try boxedInt(value))
    }

    /// A value of a Scala `Enumeration` (`scala.Enumeration$Val` with `name = null`), shared per stream.
    mutating func enumValue(_ enumeration: String, id: Int32) throws(SparkProtocolError) -> JavaValue {
        let key = "\(enumeration)#\(id)"
        if let existing = enumValues[key] { return existing }
        let outer = try module(enumeration)
        let value = try object("scala.Enumeration$Val", [
            "$outer": outer,
            "scala$Enumeration$$outerEnum": outer,
            "i": .int(id),
            "name": .null,
        ])
        enumValues[key] = value
        return value
    }

    // MARK: - Scala collections

    /// An immutable `List` (the runtime class Spark's `Seq` fields carry).
    mutating func list(_ elements: [JavaValue]) throws(SparkProtocolError) -> JavaValue {
        // `Nil` is a singleton: every empty list in a stream is the same object.
        if elements.isEmpty, let shared = modules["scala.collection.immutable.Nil$"] { return shared }
        let value = try newList(elements)
        if elements.isEmpty { modules["scala.collection.immutable.Nil$"] = value }
        return value
    }

    private mutating func newList(_ elements: [JavaValue]) throws(SparkProtocolError) -> JavaValue {
        switch flavor {
        case .scala213:
            let factory = try object("scala.collection.IterableFactory$ToFactory", [
                "factory": try module("scala.collection.immutable.List$"),
            ])
            var annotation: [JavaContent] = []
            if elements.isEmpty {
                annotation.append(.blockData(Self.int32Bytes(0)))
            } else {
                // A `::` does not know its size without walking it: -1, elements, end marker.
                annotation.append(.blockData(Self.int32Bytes(-1)))
                annotation += elements.map { .value($0) }
                annotation.append(.value(try module("scala.collection.generic.SerializeEnd$")))
            }
            return try object(
                "scala.collection.generic.DefaultSerializationProxy", ["factory": factory],
                annotations: ["scala.collection.generic.DefaultSerializationProxy": annotation])
        case .scala212:
            var annotation: [JavaContent] = elements.map { .value($0) }
            annotation.append(.value(try module("scala.collection.immutable.ListSerializeEnd$")))
            return try object(
                "scala.collection.immutable.List$SerializationProxy", [:],
                annotations: ["scala.collection.immutable.List$SerializationProxy": annotation])
        }
    }

    mutating func stringList(_ elements: [String]) throws(SparkProtocolError) -> JavaValue {
        try list(elements.map { string($0) })
    }

    /// An array-backed sequence of references, as `Command.javaOpts` (`sparkJavaOpts ++ extraJavaOpts`)
    /// arrives: Scala 2.13's immutable `ArraySeq$ofRef`; Scala 2.12's `WrappedArray ++` builds a
    /// `mutable.ArraySeq` (what Spark 3.5's driver sends, seen in its capture).
    mutating func arraySeq(_ elements: [JavaValue]) throws(SparkProtocolError) -> JavaValue {
        switch flavor {
        case .scala213:
            return try object("scala.collection.immutable.ArraySeq$ofRef", ["unsafeArray": try objectArray(elements)])
        case .scala212:
            return try object(
                "scala.collection.mutable.ArraySeq", ["length": .int(Int32(clamping: elements.count)), "array": try objectArray(elements)])
        }
    }

    /// An immutable `Map` in the shape Scala picks for its size.
    mutating func immutableMap(_ entries: [(JavaValue, JavaValue)]) throws(SparkProtocolError) -> JavaValue {
        switch entries.count {
        case 0:
            return try module("scala.collection.immutable.Map$EmptyMap$")
        case 1...4:
            let className = "scala.collection.immutable.Map$Map\(entries.count)"
            var values: [String: JavaValue] = [:]
            for (index, entry) in entries.enumerated() {
                let keyName = "key\(index + 1)"
                let valueName = "value\(index + 1)"
                values[mangledMapField(className, keyName)] = entry.0
                values[mangledMapField(className, valueName)] = entry.1
            }
            return try object(className, values)
        default:
            switch flavor {
            case .scala213:
                let factory = try object("scala.collection.MapFactory$ToFactory", [
                    "factory": try module("scala.collection.immutable.HashMap$"),
                ])
                var annotation: [JavaContent] = [.blockData(Self.int32Bytes(Int32(entries.count)))]
                for entry in entries {
                    annotation.append(.value(try tuple(entry.0, entry.1)))
                }
                return try object(
                    "scala.collection.generic.DefaultSerializationProxy", ["factory": factory],
                    annotations: ["scala.collection.generic.DefaultSerializationProxy": annotation])
            case .scala212:
                var annotation: [JavaContent] = [.blockData(Self.int32Bytes(Int32(entries.count)))]
                for entry in entries {
                    annotation.append(.value(entry.0))
                    annotation.append(.value(entry.1))
                }
                return try object(
                    "scala.collection.immutable.HashMap$SerializationProxy", [:],
                    annotations: ["scala.collection.immutable.HashMap$SerializationProxy": annotation])
            }
        }
    }

    private func mangledMapField(_ className: String, _ name: String) -> String {
        // Scala 2.13 mangles Map2..Map4's private fields; Map1's are plain.
        if flavor == .scala213, !className.hasSuffix("Map1") {
            return String(className.map { $0 == "." ? "$" : $0 }) + "$$" + name
        }
        return name
    }

    /// A `scala.collection.mutable.HashMap` (Spark's `Command.environment`).
    mutating func mutableHashMap(_ entries: [(JavaValue, JavaValue)]) throws(SparkProtocolError) -> JavaValue {
        switch flavor {
        case .scala213:
            var tableLength: Int32 = 16
            while Double(entries.count) > Double(tableLength) * 0.75 { tableLength *= 2 }
            let factory = try object("scala.collection.mutable.HashMap$DeserializationFactory", [
                "loadFactor": .double(0.75), "tableLength": .int(tableLength),
            ])
            var annotation: [JavaContent] = [.blockData(Self.int32Bytes(Int32(entries.count)))]
            for entry in entries {
                annotation.append(.value(try tuple(entry.0, entry.1)))
            }
            return try object(
                "scala.collection.generic.DefaultSerializationProxy", ["factory": factory],
                annotations: ["scala.collection.generic.DefaultSerializationProxy": annotation])
        case .scala212:
            var header = Self.int32Bytes(750) + Self.int32Bytes(Int32(entries.count))
            header += Self.int32Bytes(4) + [0]
            var annotation: [JavaContent] = [.blockData(header)]
            for entry in entries {
                annotation.append(.value(entry.0))
                annotation.append(.value(entry.1))
            }
            return try object(
                "scala.collection.mutable.HashMap", [:],
                annotations: ["scala.collection.mutable.HashMap": annotation])
        }
    }

    func tuple(_ first: JavaValue, _ second: JavaValue) throws(SparkProtocolError) -> JavaValue {
        try object("scala.Tuple2", ["_1": first, "_2": second])
    }

    static func int32Bytes(_ value: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: value)
        return [UInt8(bits >> 24), UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits)]
    }

    // MARK: - Spark RPC values

    func rpcAddress(_ address: RpcAddress, host: JavaValue? = nil) throws(SparkProtocolError) -> JavaValue {
        try object("org.apache.spark.rpc.RpcAddress", ["host": host ?? string(address.host), "port": .int(address.port)])
    }

    /// A `NettyRpcEndpointRef`, with the ask timeout the JVM dereferences. `host` is the string
    /// instance to use for the address's host when the sender shares it with another field.
    func endpointRef(_ ref: RpcEndpointRef, host: JavaValue? = nil) throws(SparkProtocolError) -> JavaValue {
        let duration = try object("scala.concurrent.duration.FiniteDuration", [
            "length": .long(ref.askTimeout.seconds),
            "unit": .enumConstant(JavaEnumConstant(
                descriptor: try descriptor("java.util.concurrent.TimeUnit"), name: JavaString("SECONDS"))),
        ])
        let timeout = try object("org.apache.spark.rpc.RpcTimeout", [
            "duration": duration, "timeoutProp": string(ref.askTimeout.property),
        ])
        let address = try object("org.apache.spark.rpc.RpcEndpointAddress", [
            "name": string(ref.address.name),
            "rpcAddress": try ref.address.rpcAddress.map { address throws(SparkProtocolError) in
                try rpcAddress(address, host: address.host == host?.string ? host : nil)
            } ?? .null,
            "toString": string(ref.address.description),
        ])
        return try object("org.apache.spark.rpc.netty.NettyRpcEndpointRef", [
            "defaultAskTimeout": timeout, "endpointAddress": address,
        ])
    }

    /// A `java.lang.Exception` (or a subclass with the same shape) with a message and no stack.
    mutating func exception(_ info: JavaExceptionInfo) throws(SparkProtocolError) -> JavaValue {
        let className = version.table.shapes[info.className] == nil ? "java.lang.Exception" : info.className
        let descriptor = try descriptor(className)
        let object = JavaObject(descriptor: descriptor, classData: [])
        // Spark's own exceptions are built with an explicit null cause; a plain Java exception's
        // cause refers to itself, Java's encoding of "no cause".
        let isSparkException = className == "org.apache.spark.SparkException"
        var classData: [JavaClassData] = []
        for level in descriptor.hierarchy {
            var values: [JavaValue] = []
            for field in level.fields {
                switch (level.name, field.name) {
                case ("java.lang.Throwable", "cause"): values.append(isSparkException ? .null : .object(object))
                case ("java.lang.Throwable", "detailMessage"): values.append(optionalString(info.message))
                case ("java.lang.Throwable", "stackTrace"):
                    values.append(.array(JavaArray(
                        descriptor: try self.descriptor("[Ljava.lang.StackTraceElement;"), elements: .objects([]))))
                case ("java.lang.Throwable", "suppressedExceptions"):
                    values.append(try self.object("java.util.Collections$EmptyList"))
                case ("org.apache.spark.SparkException", "context"):
                    values.append(.array(JavaArray(
                        descriptor: try self.descriptor("[Lorg.apache.spark.QueryContext;"), elements: .objects([]))))
                case ("org.apache.spark.SparkException", "errorClass"), ("org.apache.spark.SparkException", "sqlState"):
                    values.append(try none())
                case ("org.apache.spark.SparkException", "messageParameters"):
                    values.append(try immutableMap([]))
                default: values.append(Self.defaultValue(field.typeCode))
                }
            }
            classData.append(JavaClassData(descriptor: level, values: values, annotation: level.hasWriteMethod ? [] : nil))
        }
        object.setClassData(classData)
        return .object(object)
    }
}
