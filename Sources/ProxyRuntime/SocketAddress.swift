import CURing
import Glibc
import ProxyConfig

/// A resolved socket address in stable heap memory: connect submissions point
/// at it until the kernel has read it, so it must not move.
public final class SocketAddress: @unchecked Sendable, CustomStringConvertible {
    let storage: UnsafeMutablePointer<sockaddr_storage>
    let length: socklen_t
    public let description: String

    var family: Int32 { Int32(storage.pointee.ss_family) }

    /// An IPv6 address of the form ::ffff:a.b.c.d, standing for IPv4 a.b.c.d.
    var isIPv4Mapped: Bool {
        family == AF_INET6 && UnsafeRawPointer(storage).load(as: sockaddr_in6.self).sin6_addr.mappedIPv4 != nil
    }

    var pointer: UnsafePointer<sockaddr> {
        UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr.self)
    }

    private init(copying address: UnsafePointer<sockaddr>, length: socklen_t, description: String) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: sockaddr_storage())
        UnsafeMutableRawPointer(storage).copyMemory(from: address, byteCount: Int(length))
        self.length = length
        self.description = description
    }

    deinit { storage.deallocate() }

    /// Resolves `endpoint` (a literal address or a host name) to its first
    /// TCP address. Throws a message fit for an operator when it cannot.
    public static func resolve(_ endpoint: Endpoint) throws(ResolveError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &results)
        guard status == 0, let first = results, let address = first.pointee.ai_addr else {
            throw ResolveError(endpoint: endpoint, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(results) }
        return SocketAddress(copying: address, length: first.pointee.ai_addrlen, description: endpoint.description)
    }
}

extension SocketAddress {
    /// Why `endpoint` does not resolve, or nil when it does: the check
    /// `ConfigLoader` makes of every server address before the proxy starts.
    public static func unresolvableReason(_ endpoint: Endpoint) -> String? {
        do {
            _ = try resolve(endpoint)
            return nil
        } catch {
            return error.reason
        }
    }
}

public struct ResolveError: Error, CustomStringConvertible {
    public let endpoint: Endpoint
    public let reason: String
    public var description: String { "cannot resolve \(endpoint): \(reason)" }
}
