import CURing
import Glibc

/// Opens a listening TCP socket with SO_REUSEPORT, so that every reactor
/// binds its own socket on the same address and the kernel spreads new
/// connections across them.
enum ListenSocket {
    static let backlog: Int32 = 4096

    static func open(_ address: SocketAddress) throws -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket for \(address)", errno: errno) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size))
        // Accepted sockets inherit TCP_NODELAY: one syscall per client saved.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            // [::]:P and 0.0.0.0:P are separate binds in the config language. A bind on
            // [::ffff:a.b.c.d] is for IPv4 clients of a.b.c.d, which V6ONLY would refuse,
            // so it is turned off for it, whatever net.ipv6.bindv6only says.
            var v6Only: Int32 = address.isIPv4Mapped ? 0 : 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6Only, socklen_t(MemoryLayout<Int32>.size))
        }
        guard bind(fd, address.pointer, address.length) == 0 else {
            let error = errno
            close(fd)
            throw SocketError("bind \(address)", errno: error)
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw SocketError("listen \(address)", errno: error)
        }
        return fd
    }
}

struct SocketError: Error, CustomStringConvertible {
    let operation: String
    let errno: Int32
    init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
