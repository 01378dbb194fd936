/// A client's IP address (never its port) reduced to a stable 64-bit hash,
/// for the algorithms that keep a client on the same server.
public struct ClientKey: Sendable, Equatable {
    public let hash: UInt64

    /// `address`: the IPv4 address as a number (1.2.3.4 is 0x01020304).
    public init(ipv4 address: UInt32) {
        hash = StableHash.mix(UInt64(address))
    }

    /// `high` and `low`: the 16 bytes of an IPv6 address, big-endian, as two halves.
    public init(ipv6 high: UInt64, _ low: UInt64) {
        hash = StableHash.mix(StableHash.mix(high) ^ low)
    }
}
