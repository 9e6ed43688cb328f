/// The pcap link types the inspector can take apart down to IP.
public enum LinkLayer: Sendable, Equatable {
    /// `LINKTYPE_NULL`: BSD loopback, a 4-byte address family in the capturing host's byte order.
    case null
    /// `LINKTYPE_ETHERNET` (EN10MB), with optional 802.1Q / 802.1ad tags.
    case ethernet
    /// `LINKTYPE_RAW` (101, and the DLT values 12 and 14 some systems write): a bare IP packet.
    case rawIP
    /// `LINKTYPE_LINUX_SLL`: Linux "any" device cooked header, 16 bytes.
    case linuxSLL
    /// `LINKTYPE_LINUX_SLL2`: the 20-byte successor.
    case linuxSLL2

    /// The link type of a pcap global header (its low 16 bits; the rest carries FCS information).
    public init?(linkType: UInt32) {
        switch linkType & 0xFFFF {
        case 0: self = .null
        case 1: self = .ethernet
        case 12, 14, 101: self = .rawIP
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        default: return nil
        }
    }

    /// The name tcpdump uses.
    public var name: String {
        switch self {
        case .null: "NULL"
        case .ethernet: "EN10MB"
        case .rawIP: "RAW"
        case .linuxSLL: "LINUX_SLL"
        case .linuxSLL2: "LINUX_SLL2"
        }
    }
}
