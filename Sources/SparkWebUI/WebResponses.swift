import HTTPTypes
import Hummingbird
import NIOCore
import SparkModel

/// Responses the web UIs send: pages, JSON, plain text, redirects and error pages.
public enum WebResponses {
    /// An HTML page of ours, with a content security policy that allows nothing but inline style
    /// and the kill confirmation.
    public static func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html;charset=utf-8"
        headers[.contentSecurityPolicy] = WebPage.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// A JSON document printed as Spark prints it.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json;charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.prettyPrinted)))
    }

    public static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain;charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A redirect; `location` may be relative (RFC 9110 §10.2.2).
    public static func redirect(to location: String, status: HTTPResponse.Status = .seeOther) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.contentType] = "text/plain;charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "See \(location)\n")))
    }

    /// A short error page with a way back to `home`.
    public static func errorPage(_ status: HTTPResponse.Status, title: String, message: String, home: String? = nil) -> Response {
        var content: Markup = "<p class=\"note\">\(message)</p>\n"
        if let home { content += "<p>\(WebPage.link("Back to the master", href: home))</p>\n" }
        return html(WebPage.document(title: title, heading: .text(title), content: content), status: status)
    }

    /// `../` repeated to climb from the directory of `path` to the root (`./` at the root).
    public static func pathToRoot(from path: String) -> String {
        let directory = path.hasSuffix("/") ? path : String(path[...(path.lastIndex(of: "/") ?? path.startIndex)])
        let depth = directory.split(separator: "/", omittingEmptySubsequences: true).count
        return depth == 0 ? "./" : String(repeating: "../", count: depth)
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = HTTPField.Name("Content-Security-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}

/// `application/x-www-form-urlencoded` data: a POST body or a query string.
public struct FormData: Sendable, Equatable {
    public var fields: [(String, String)]

    public init(_ encoded: String) {
        fields = encoded.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            return (name, parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// The first value of `name`.
    public subscript(_ name: String) -> String? { fields.first { $0.0 == name }?.1 }

    public static func == (lhs: FormData, rhs: FormData) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0 == $1 }
    }

    /// `+` is a space, `%XX` a byte; malformed escapes stay as written; bytes are read as UTF-8.
    static func decode(_ text: Substring) -> String {
        guard text.contains(where: { $0 == "+" || $0 == "%" }) else { return String(text) }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < utf8.count, let high = hex(utf8[index + 1]), let low = hex(utf8[index + 2]) {
                bytes.append(high << 4 | low)
                index += 2
            } else {
                bytes.append(byte)
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
