import Foundation
import SparkModel
import SparkTestKit

/// Compares JSON documents by structure: object keys and value kinds, recursively; values are ignored.
enum JSONShape {
    enum Kind: String { case object, array, string, number, null }

    static func kind(_ value: Any) -> Kind {
        if value is NSNull { return .null }
        if value is [String: Any] { return .object }
        if value is [Any] { return .array }
        if value is String { return .string }
        if value is NSNumber { return .number }
        return .null
    }

    /// Differences between `actual` and `expected` (empty when the shapes agree). Arrays are
    /// compared element by element against the expected array's first element, when both have one;
    /// an empty expected object stands for a map (resources by name) and accepts any keys.
    static func differences(_ actual: Any, _ expected: Any, path: String = "$") -> [String] {
        let actualKind = kind(actual)
        let expectedKind = kind(expected)
        guard actualKind == expectedKind else { return ["\(path): \(actualKind.rawValue), expected \(expectedKind.rawValue)"] }
        switch actualKind {
        case .object:
            let a = actual as! [String: Any]
            let e = expected as! [String: Any]
            // An empty object in a sample is a map with no entries (resources by name): any keys fit.
            if e.isEmpty { return [] }
            var result: [String] = []
            let missing = Set(e.keys).subtracting(a.keys).sorted()
            let extra = Set(a.keys).subtracting(e.keys).sorted()
            if !missing.isEmpty { result.append("\(path): missing \(missing)") }
            if !extra.isEmpty { result.append("\(path): extra \(extra)") }
            for key in Set(a.keys).intersection(e.keys).sorted() {
                result += differences(a[key]!, e[key]!, path: "\(path).\(key)")
            }
            return result
        case .array:
            let a = actual as! [Any]
            let e = expected as! [Any]
            guard let template = e.first else { return [] }
            return a.enumerated().flatMap { index, element in differences(element, template, path: "\(path)[\(index)]") }
        case .string, .number, .null:
            return []
        }
    }

    static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    static func sample(_ name: String) throws -> Any {
        let url = TestEnvironment.protocolFile("samples/\(name)")
        return try parse(try String(contentsOf: url, encoding: .utf8))
    }
}
