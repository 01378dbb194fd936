// Low-level POSIX socket plumbing shared by the test backends and the test client:
// loopback addresses, errno errors, timeouts, free ports, joinable threads.
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An errno-carrying failure of one socket call.
struct SocketError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    var isTimeout: Bool { code == EAGAIN || code == EWOULDBLOCK }
    var description: String { "\(operation): \(String(cString: strerror(code))) (errno \(code))" }
}

/// A numeric loopback address and port. `description` is the config-file spelling
/// (`127.0.0.1:8080`, `[::1]:8080`).
struct Endpoint: CustomStringConvertible, Hashable, Sendable {
    var host: String
    var port: UInt16

    var isIPv6: Bool { host.contains(":") }
    var family: Int32 { isIPv6 ? AF_INET6 : AF_INET }
    var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    static func loopback(_ port: UInt16) -> Endpoint { Endpoint(host: "127.0.0.1", port: port) }

    /// Calls `body` with this endpoint as a `sockaddr`.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) throws -> R {
        if isIPv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &sin6.sin6_addr) == 1 else {
                throw SocketError("inet_pton(\(host))", code: EINVAL)
            }
            return try withUnsafePointer(to: &sin6) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &sin.sin_addr) == 1 else {
                throw SocketError("inet_pton(\(host))", code: EINVAL)
            }
            return try withUnsafePointer(to: &sin) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}

enum Sockets {
    /// A new close-on-exec TCP socket (close-on-exec so the proxy child never inherits it).
    static func tcpSocket(family: Int32) throws -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        return fd
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    /// TCP segments `fd` has received, from TCP_INFO; nil on error. glibc's
    /// `struct tcp_info` stops before `tcpi_segs_in`, so it is read at its
    /// offset in the kernel's (append-only) layout, linux/tcp.h.
    static func segmentsReceived(_ fd: Int32) -> UInt32? {
        let segmentsInOffset = 140
        var info = [UInt8](repeating: 0, count: 256)
        var length = socklen_t(info.count)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0,
              Int(length) >= segmentsInOffset + 4 else { return nil }
        return info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: segmentsInOffset, as: UInt32.self) }
    }

    /// Sets SO_RCVTIMEO and SO_SNDTIMEO, so no blocking call on `fd` hangs longer than `seconds`.
    static func setTimeouts(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        if tv.tv_sec == 0 && tv.tv_usec == 0 { tv.tv_usec = 1000 }  // 0 would mean "block forever"
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    static func localPort(_ fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { throw SocketError("getsockname") }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { ptr -> UInt16 in
            if family == AF_INET6 {
                return ptr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return ptr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// Ports `freePort` has handed out. They are free until the test binds
    /// them (or counts on their refusing connections), and the kernel may give
    /// a free port to the next bind to port 0: that bind must not have them.
    private static let handedOut = Mutex<Set<UInt16>>([])

    /// A socket bound to `endpoint` (port 0 = any free port not handed out by
    /// `freePort`), not yet listening.
    static func bound(_ endpoint: Endpoint, receiveBuffer: Int32? = nil) throws -> (fd: Int32, endpoint: Endpoint) {
        guard endpoint.port == 0 else { return try bindOnce(endpoint, receiveBuffer: receiveBuffer) }
        // A port handed out stays bound (so the next try gets another) until one is found.
        var skipped: [Int32] = []
        defer { skipped.forEach { close($0) } }
        for _ in 0..<64 {
            let candidate = try bindOnce(endpoint, receiveBuffer: receiveBuffer)
            guard handedOut.withLock({ $0.contains(candidate.endpoint.port) }) else { return candidate }
            skipped.append(candidate.fd)
        }
        throw SocketError("bind \(endpoint): 64 ports in a row handed out already", code: EADDRINUSE)
    }

    private static func bindOnce(_ endpoint: Endpoint, receiveBuffer: Int32?) throws -> (fd: Int32, endpoint: Endpoint) {
        let fd = try tcpSocket(family: endpoint.family)
        setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if let receiveBuffer { setOption(fd, SOL_SOCKET, SO_RCVBUF, receiveBuffer) }
        if endpoint.isIPv6 { setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
        do {
            let rc = try endpoint.withSockaddr { bind(fd, $0, $1) }
            guard rc == 0 else { throw SocketError("bind \(endpoint)") }
            return (fd, Endpoint(host: endpoint.host, port: try localPort(fd)))
        } catch {
            close(fd)
            throw error
        }
    }

    /// A loopback port that nothing listens on right now (bind port 0, read it, close);
    /// no later bind to port 0 in these tests gets it.
    static func freePort(host: String = "127.0.0.1") throws -> UInt16 {
        let (fd, endpoint) = try bound(Endpoint(host: host, port: 0))
        handedOut.withLock { _ = $0.insert(endpoint.port) }
        close(fd)
        return endpoint.port
    }

    /// A loopback endpoint that refuses connections (a "dead server").
    static func closedEndpoint(host: String = "127.0.0.1") throws -> Endpoint {
        Endpoint(host: host, port: try freePort(host: host))
    }

    /// Bytes waiting in the send and receive queues of every TCP connection
    /// (not listening socket) with a local or remote port among `ports`,
    /// from /proc/net/tcp and tcp6: `tx_queue:rx_queue`, in hex, is the
    /// fifth field. Sent but unacknowledged bytes would count twice, so read
    /// it once the connections are quiet.
    static func queuedBytes(ofConnectionsOnPorts ports: Set<UInt16>) -> Int {
        let listening = "0A"
        var total = 0
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            ProcFile.forEachLine(table) { line in
                let fields = line.split(separator: " ")
                guard fields.count > 4, fields[0] != "sl", fields[3] != listening else { return true }
                let endpointPorts = fields[1...2].compactMap { $0.split(separator: ":").last.flatMap { UInt16($0, radix: 16) } }
                if endpointPorts.contains(where: ports.contains) {
                    total += fields[4].split(separator: ":").compactMap { Int($0, radix: 16) }.reduce(0, +)
                }
                return true
            }
        }
        return total
    }

    /// Whether `host` (e.g. "::1") is configured on this machine: can a socket bind to it?
    static func canBind(host: String) -> Bool {
        guard let (fd, _) = try? bound(Endpoint(host: host, port: 0)) else { return false }
        close(fd)
        return true
    }
}

/// A lock-protected value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// A body run on its own thread, joinable with a timeout.
final class Worker<T>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<T, Error>?

    init(name: String = "e2e-worker", stackSize: Int = 512 * 1024, _ body: @escaping () throws -> T) {
        let thread = Thread { [self] in
            outcome = Result { try body() }
            finished.signal()
        }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    /// The body's outcome, or nil if it had not finished within `timeout` seconds.
    func join(timeout: Double) -> Result<T, Error>? {
        guard finished.wait(timeout: .now() + timeout) == .success else { return nil }
        finished.signal()  // stay joinable
        return outcome
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

extension Worker {
    /// The body's value; throws its error, or `TimeoutError` if it did not finish in time.
    func value(timeout: Double, _ what: String = "worker") throws -> T {
        guard let outcome = join(timeout: timeout) else { throw TimeoutError(what: what) }
        return try outcome.get()
    }
}

/// Monotonic seconds, for deadlines and elapsed times.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func sleep(seconds: Double) {
    usleep(UInt32(seconds * 1_000_000))
}

/// Polls `condition` every `interval` seconds until it holds (true) or `timeout` seconds pass (false).
func waitUntil(timeout: Double, interval: Double = 0.01, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicNow() + timeout
    while !condition() {
        if monotonicNow() > deadline { return false }
        sleep(seconds: interval)
    }
    return true
}
