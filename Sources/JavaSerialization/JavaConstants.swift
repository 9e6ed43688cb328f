/// Constants of the Java Object Serialization stream protocol (`java.io.ObjectStreamConstants`).
public enum JavaConstants {
    public static let streamMagic: UInt16 = 0xACED
    public static let streamVersion: UInt16 = 5
    public static let baseWireHandle: Int32 = 0x7E_0000

    public static let tcNull: UInt8 = 0x70
    public static let tcReference: UInt8 = 0x71
    public static let tcClassDesc: UInt8 = 0x72
    public static let tcObject: UInt8 = 0x73
    public static let tcString: UInt8 = 0x74
    public static let tcArray: UInt8 = 0x75
    public static let tcClass: UInt8 = 0x76
    public static let tcBlockData: UInt8 = 0x77
    public static let tcEndBlockData: UInt8 = 0x78
    public static let tcReset: UInt8 = 0x79
    public static let tcBlockDataLong: UInt8 = 0x7A
    public static let tcException: UInt8 = 0x7B
    public static let tcLongString: UInt8 = 0x7C
    public static let tcProxyClassDesc: UInt8 = 0x7D
    public static let tcEnum: UInt8 = 0x7E

    public static let scWriteMethod: UInt8 = 0x01
    public static let scSerializable: UInt8 = 0x02
    public static let scExternalizable: UInt8 = 0x04
    public static let scBlockData: UInt8 = 0x08
    public static let scEnum: UInt8 = 0x10

    /// Longest class hierarchy followed; real Spark messages use at most four levels.
    static let maxHierarchyDepth = 64
    /// `ObjectOutputStream` flushes block data in records of at most this many bytes.
    static let maxBlockDataRecord = 1024
}
