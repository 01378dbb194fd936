import Balancing
import Glibc

extension ClientKey {
    /// The key of a connected socket's peer address (one getpeername, paid
    /// only by pools that hash the client address). An IPv4 client reached
    /// over an IPv6 socket (::ffff:a.b.c.d) hashes as its IPv4 address.
    init(peerOf fd: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let known = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard known else {
            self.init(ipv4: 0)
            return
        }
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(ipv4: UInt32(bigEndian: address.sin_addr.s_addr))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            if let ipv4 = address.sin6_addr.mappedIPv4 {
                self.init(ipv4: ipv4)
                return
            }
            let (high, low) = withUnsafeBytes(of: address.sin6_addr) {
                (UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)),
                 UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
            self.init(ipv6: high, low)
        default:
            self.init(ipv4: 0)
        }
    }
}
