import Crypto

enum ConstantTime {
    /// Compares two byte strings in time that depends on their lengths only, never on where they differ.
    static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) { difference |= left ^ right }
        return difference == 0
    }

    /// Compares two secrets of any lengths without revealing either length: both are hashed first
    /// (SHA-256) and the digests compared in constant time.
    static func digestsEqual(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        let left = SHA256.hash(data: Array(lhs))
        let right = SHA256.hash(data: Array(rhs))
        return equals(Array(left), Array(right))
    }
}
