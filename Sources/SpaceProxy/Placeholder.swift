import Crypto
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOPosix
import ServiceLifecycle

enum SpaceProxyImportCheck {
    static let check: HTTPField.Name = .authorization
}
