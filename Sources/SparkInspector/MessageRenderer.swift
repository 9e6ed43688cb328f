import JavaSerialization
import SparkModel

/// Renders a typed `SparkMessage` as a list of fields, named as the model (and Spark) names them.
///
/// Walks the model values by reflection so every message the codec learns is printed without a
/// change here. Endpoint references print as their URL (`spark://Worker@127.0.0.1:7078`),
/// addresses as `host:port`, states by name, Scala maps (lists of string-keyed pairs) as records.
/// A message of an unknown class is rendered from its Java graph.
public enum MessageRenderer {
    /// Nesting bound; the model is shallow, so this only guards against surprises.
    static let maxDepth = 32

    /// The fields of `message`; `unknownRenderer` prints unknown classes.
    public static func render(_ message: SparkMessage, unknownRenderer: JavaValueRenderer = JavaValueRenderer()) -> RenderedValue {
        if case .unknown(_, let preserved) = message {
            if let object = preserved.storage as? JavaObject {
                return unknownRenderer.render(.object(object))
            }
            return .fields([])
        }
        guard let payload = Mirror(reflecting: message).children.first?.value else {
            // A case without fields (`MasterInStandby`, `DecommissionWorker`, ...).
            return .fields([])
        }
        let rendered = value(payload, depth: 0)
        if case .record = rendered { return rendered }
        // A bare value such as the `Boolean` reply.
        return .fields([.init("value", rendered)])
    }

    static func value(_ subject: Any, depth: Int) -> RenderedValue {
        guard depth < maxDepth else { return .elided("nesting exceeds \(maxDepth) levels") }
        switch subject {
        case let reference as RpcEndpointRef: return .symbol(reference.description)
        case let address as RpcEndpointAddress: return .symbol(address.description)
        case let address as RpcAddress: return .symbol(address.hostPort)
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int8: return .int(Int64(number))
        case let number as Int16: return .int(Int64(number))
        case let number as Int32: return .int(Int64(number))
        case let number as Int64: return .int(number)
        case let number as Int: return .int(Int64(number))
        case let number as UInt8: return .int(Int64(number))
        case let number as UInt16: return .int(Int64(number))
        case let number as UInt32: return .int(Int64(number))
        case let number as UInt64: return .int(Int64(clamping: number))
        case let number as Float: return .double(Double(number))
        case let number as Double: return .double(number)
        default: break
        }
        let mirror = Mirror(reflecting: subject)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return .null }
            return value(wrapped, depth: depth)
        case .struct, .class:
            var fields: [RenderedValue.Field] = []
            for child in mirror.children {
                guard let label = child.label, !isPreserved(child.value) else { continue }
                fields.append(.init(label, value(child.value, depth: depth + 1)))
            }
            return .fields(fields)
        case .enum:
            guard let child = mirror.children.first else { return .symbol(String(describing: subject)) }
            return .fields([.init(child.label ?? "value", value(child.value, depth: depth + 1))])
        case .tuple:
            return .items(mirror.children.map { value($0.value, depth: depth + 1) })
        case .collection, .set:
            let elements = mirror.children.map(\.value)
            // Scala maps are modelled as ordered lists of (key, value) pairs; string keys make a record.
            if String(describing: type(of: subject)).hasPrefix("Array<(String, ") {
                return .fields(elements.compactMap { element -> RenderedValue.Field? in
                    let pair = Mirror(reflecting: element).children.map(\.value)
                    guard pair.count == 2, let key = pair[0] as? String else { return nil }
                    return .init(key, value(pair[1], depth: depth + 1))
                })
            }
            return .items(elements.map { value($0, depth: depth + 1) })
        case .dictionary:
            let fields = mirror.children.compactMap { entry -> RenderedValue.Field? in
                let pair = Mirror(reflecting: entry.value).children.map(\.value)
                guard pair.count == 2 else { return nil }
                return .init(String(describing: pair[0]), value(pair[1], depth: depth + 1))
            }
            return .fields(fields.sorted { $0.name < $1.name })
        case .foreignReference, nil:
            return .symbol(String(describing: subject))
        @unknown default:
            return .symbol(String(describing: subject))
        }
    }

    /// The graph a model value keeps for relaying; not part of the message's fields.
    private static func isPreserved(_ value: Any) -> Bool {
        value is PreservedObject || type(of: value) == Optional<PreservedObject>.self
    }
}
