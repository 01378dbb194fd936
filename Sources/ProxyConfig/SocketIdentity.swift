import Glibc

/// What a bind address is to the kernel: its address bytes and port, the
/// same for every way of writing it. `[::1]`, `[0:0:0:0:0:0:0:1]` and `[::A]`
/// against `[::a]` are one address; so are `[::ffff:127.0.0.1]` and
/// `127.0.0.1`, since a mapped bind takes that address's IPv4 clients. With
/// SO_REUSEPORT a second bind of the same address would not fail: the
/// kernel would split the clients between the two listeners.
struct SocketIdentity: Hashable {
    let address: [UInt8]
    let port: UInt16

    /// Nil for a host name (binds take literal addresses only).
    init?(_ endpoint: Endpoint) {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        if inet_pton(AF_INET, endpoint.host, &ipv4) == 1 {
            address = withUnsafeBytes(of: ipv4) { Array($0) }
        } else if inet_pton(AF_INET6, endpoint.host, &ipv6) == 1 {
            address = ipv6.mappedIPv4.map { withUnsafeBytes(of: $0.bigEndian) { Array($0) } }
                ?? withUnsafeBytes(of: ipv6) { Array($0) }
        } else {
            return nil
        }
        port = endpoint.port
    }
}

extension in6_addr {
    /// a.b.c.d as a number when this address is ::ffff:a.b.c.d, else nil.
    public var mappedIPv4: UInt32? {
        withUnsafeBytes(of: self) { bytes in
            guard bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
            return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        }
    }
}
