/// A failed ZooKeeper operation, with ZooKeeper's own numeric error code (`KeeperException.Code`).
///
/// Server errors arrive in the reply header; `connectionLoss`, `sessionExpired` and
/// `badArguments` are also raised on the client side, as the Java client does.
public struct ZooKeeperError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A ZooKeeper error code; `rawValue` is the number on the wire.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let ok = Code(rawValue: 0)
        public static let systemError = Code(rawValue: -1)
        public static let runtimeInconsistency = Code(rawValue: -2)
        public static let dataInconsistency = Code(rawValue: -3)
        /// Client side: the connection to the server was lost; the operation may or may not have happened.
        public static let connectionLoss = Code(rawValue: -4)
        public static let marshallingError = Code(rawValue: -5)
        public static let unimplemented = Code(rawValue: -6)
        public static let operationTimeout = Code(rawValue: -7)
        public static let badArguments = Code(rawValue: -8)
        public static let unknownSession = Code(rawValue: -12)
        public static let newConfigNoQuorum = Code(rawValue: -13)
        public static let reconfigInProgress = Code(rawValue: -14)
        public static let apiError = Code(rawValue: -100)
        public static let noNode = Code(rawValue: -101)
        public static let noAuth = Code(rawValue: -102)
        public static let badVersion = Code(rawValue: -103)
        public static let noChildrenForEphemerals = Code(rawValue: -108)
        public static let nodeExists = Code(rawValue: -110)
        public static let notEmpty = Code(rawValue: -111)
        public static let sessionExpired = Code(rawValue: -112)
        public static let invalidCallback = Code(rawValue: -113)
        public static let invalidACL = Code(rawValue: -114)
        public static let authFailed = Code(rawValue: -115)
        public static let sessionMoved = Code(rawValue: -118)
        public static let notReadOnly = Code(rawValue: -119)
        public static let ephemeralOnLocalSession = Code(rawValue: -120)
        public static let noWatcher = Code(rawValue: -121)
        public static let requestTimeout = Code(rawValue: -122)
        public static let reconfigDisabled = Code(rawValue: -123)
        public static let sessionClosedRequireSaslAuth = Code(rawValue: -124)
        public static let quotaExceeded = Code(rawValue: -125)
        public static let throttledOp = Code(rawValue: -127)

        /// The `KeeperException.Code` name, e.g. `NONODE`.
        public var name: String {
            // Codes are open-ended (newer servers add some), so unknown numbers get a generic name.
            switch rawValue {
            case 0: "OK"
            case -1: "SYSTEMERROR"
            case -2: "RUNTIMEINCONSISTENCY"
            case -3: "DATAINCONSISTENCY"
            case -4: "CONNECTIONLOSS"
            case -5: "MARSHALLINGERROR"
            case -6: "UNIMPLEMENTED"
            case -7: "OPERATIONTIMEOUT"
            case -8: "BADARGUMENTS"
            case -12: "UNKNOWNSESSION"
            case -13: "NEWCONFIGNOQUORUM"
            case -14: "RECONFIGINPROGRESS"
            case -100: "APIERROR"
            case -101: "NONODE"
            case -102: "NOAUTH"
            case -103: "BADVERSION"
            case -108: "NOCHILDRENFOREPHEMERALS"
            case -110: "NODEEXISTS"
            case -111: "NOTEMPTY"
            case -112: "SESSIONEXPIRED"
            case -113: "INVALIDCALLBACK"
            case -114: "INVALIDACL"
            case -115: "AUTHFAILED"
            case -118: "SESSIONMOVED"
            case -119: "NOTREADONLY"
            case -120: "EPHEMERALONLOCALSESSION"
            case -121: "NOWATCHER"
            case -122: "REQUESTTIMEOUT"
            case -123: "RECONFIGDISABLED"
            case -124: "SESSIONCLOSEDREQUIRESASLAUTH"
            case -125: "QUOTAEXCEEDED"
            case -127: "THROTTLEDOP"
            default: "CODE(\(rawValue))"
            }
        }

        public var description: String { "\(name) (\(rawValue))" }
    }

    public var code: Code
    public var message: String
    /// The path the operation was about, as the caller wrote it (without the chroot).
    public var path: String?
    /// For a failed `multi`: every operation's result (the failing one carries its code).
    public var multiResults: [MultiResult]?

    public init(_ code: Code, _ message: String = "", path: String? = nil, multiResults: [MultiResult]? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.multiResults = multiResults
    }

    public var description: String {
        var text = "ZooKeeper \(code)"
        if let path { text += " for \(path)" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }
}
