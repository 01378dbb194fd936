// Backend servers that run inside the test process, on threads, with blocking POSIX
// sockets on loopback. Every backend counts the connections it accepted, so any of
// them serves as the "counting" server.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class BackendServer: @unchecked Sendable {
    enum Behavior {
        /// Echoes every byte. On EOF from the peer it finishes echoing, then shuts
        /// down its write side (half-close passed back).
        case echo
        /// Accepts and holds connections, never reads a byte.
        case sink
        /// Sends `greeting` as soon as a connection is accepted, then echoes.
        case greeting([UInt8])
        /// Sends `reply` and its EOF in one TCP segment (corked until the
        /// shutdown), then waits for the peer to close.
        case replyThenEOF([UInt8])
        /// Sends without end, never reads: a download the client may never take.
        /// The stream is 32-bit big-endian words counting up from 0 (`floodStream`).
        case flood
        /// Reads `upload` bytes first, then sends the `.flood` stream in 1 KiB
        /// chunks with a short pause after each: a download the proxy reads in
        /// chunks shorter than its buffers, so recv/send carry it, never splice.
        case trickleAfterUpload(Int)
        /// The `.flood` stream without end, in 700-byte pieces, each followed
        /// by a write to a side connection of the backend's own: the pieces
        /// then lie apart in memory, so a splice takes a pipe slot for each
        /// and fills a pipe by slots long before its byte capacity.
        case scatteredFlood
        /// Reads `afterReading` bytes of an upload, answers `answer`, waits
        /// until the peer has acknowledged all of it, then closes without
        /// reading the rest: with unread bytes, its kernel sends a reset
        /// (a server refusing an upload too large, say).
        case answerThenReset(afterReading: Int, answer: [UInt8])
        /// Sends `count` bytes of the `.flood` stream, waits until the peer
        /// has acknowledged all of them, then resets the connection (SO_LINGER 0).
        case floodThenReset(Int)
        /// Waits for the first bytes, then answers with the number of TCP
        /// segments the connection had received by then (the SYN counts),
        /// 4 bytes little-endian, and echoes.
        case segmentCountAtFirstBytes
        /// Reads `afterReading` bytes, then answers with `writes`, one write
        /// each, with Nagle's algorithm on (no TCP_NODELAY), and echoes: a
        /// short write waits for the ACK of the one before.
        case replyUnderNagle(afterReading: Int, writes: [[UInt8]])
    }

    /// Where the server listens (with the real port).
    let endpoint: Endpoint
    var behavior: Behavior { core.behavior }

    /// What the threads share. The threads hold the core, not the server, so the server's
    /// deinit runs (and stops everything) as soon as the test drops it.
    private let core: Core

    /// - Parameters:
    ///   - host: numeric loopback address ("127.0.0.1" or "::1").
    ///   - port: 0 picks a free port.
    ///   - receiveBuffer: SO_RCVBUF for accepted sockets (small for a sink that should fill up fast).
    init(_ behavior: Behavior, host: String = "127.0.0.1", port: UInt16 = 0, receiveBuffer: Int32? = nil) throws {
        let (fd, endpoint) = try Sockets.bound(Endpoint(host: host, port: port), receiveBuffer: receiveBuffer)
        guard listen(fd, 1024) == 0 else {
            let error = SocketError("listen \(endpoint)")
            close(fd)
            throw error
        }
        self.endpoint = endpoint
        core = Core(behavior: behavior, listenFD: fd)
        core.start(name: "backend-accept-\(endpoint.port)")
    }

    deinit { core.stop() }

    /// Connections accepted so far.
    var acceptedConnections: Int { core.state.withLock { $0.accepted } }

    /// Connections accepted and not yet closed by this server.
    var openConnections: Int { core.state.withLock { $0.open.count } }

    /// Waits (bounded) until no flood or trickle send has made progress for
    /// `quiet` seconds: everything between this server and its clients is full.
    @discardableResult
    func waitForSendsToStall(quiet: Double, timeout: Double) -> Bool {
        waitUntil(timeout: timeout) {
            core.state.withLock { $0.lastSendProgress.map { monotonicNow() - $0 >= quiet } ?? false }
        }
    }

    /// Waits (bounded) until at least `count` connections have been accepted.
    @discardableResult
    func waitForAccepted(_ count: Int, timeout: Double = 5) -> Bool {
        waitUntil(timeout: timeout) { acceptedConnections >= count }
    }

    /// The first `count` bytes of a `.flood` connection's stream (`count` a multiple of 4).
    static func floodStream(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        fillFloodWords(&bytes, from: 0)
        return bytes
    }

    fileprivate static func fillFloodWords(_ block: inout [UInt8], from first: UInt32) {
        block.withUnsafeMutableBytes { raw in
            for index in 0..<raw.count / 4 {
                raw.storeBytes(of: (first &+ UInt32(truncatingIfNeeded: index)).bigEndian,
                               toByteOffset: 4 * index, as: UInt32.self)
            }
        }
    }

    /// Stops accepting, wakes and ends every connection handler, closes all sockets.
    /// Idempotent; bounded.
    func stop() { core.stop() }

    private final class Core: @unchecked Sendable {
        struct State {
            var stopping = false
            var accepted = 0
            var open: Set<Int32> = []  // accepted sockets not yet closed
            var lastSendProgress: Double?  // when a flood or trickle send last went through
        }

        let behavior: Behavior
        let listenFD: Int32
        let state = Locked(State())
        private let handlers = DispatchGroup()
        private var acceptLoop: Worker<Void>?
        /// Safety net: no loop of a forgotten backend runs longer than this.
        private static let maxLifetime: Double = 300
        private static let pollInterval: Double = 0.1

        init(behavior: Behavior, listenFD: Int32) {
            self.behavior = behavior
            self.listenFD = listenFD
        }

        func start(name: String) {
            acceptLoop = Worker(name: name) { [self] in runAcceptLoop() }
        }

        func stop() {
            let first = state.withLock { s -> Bool in
                if s.stopping { return false }
                s.stopping = true
                // Wake handlers blocked in recv/send; they close their own sockets. Done under
                // the lock: a handler removes its fd from `open` (under the lock) before closing
                // it, so no fd here can have been closed and reused.
                for fd in s.open { shutdown(fd, Int32(SHUT_RDWR)) }
                return true
            }
            guard first else { return }
            _ = acceptLoop?.join(timeout: 5)
            _ = handlers.wait(timeout: .now() + 5)
            close(listenFD)
            // Sink connections have no handler: close what is left.
            let leftovers = state.withLock { s -> Set<Int32> in
                let fds = s.open
                s.open.removeAll()
                return fds
            }
            for fd in leftovers { close(fd) }
        }

        private var isStopping: Bool { state.withLock { $0.stopping } }

        private func runAcceptLoop() {
            let deadline = monotonicNow() + Self.maxLifetime
            while !isStopping && monotonicNow() < deadline {
                var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, Int32(Self.pollInterval * 1000)) > 0 else { continue }
                let fd = accept(listenFD, nil, nil)
                guard fd >= 0 else { continue }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // accept4 is not imported; no proxy child inherits it
                let registered = state.withLock { s -> Bool in
                    if s.stopping { return false }
                    s.accepted += 1
                    s.open.insert(fd)
                    return true
                }
                guard registered else {
                    close(fd)
                    return
                }
                Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
                switch behavior {
                case .sink:
                    continue  // held until stop()
                case .echo:
                    startHandler(fd) { $0.greetThenEcho($1, greeting: []) }
                case .greeting(let greeting):
                    startHandler(fd) { $0.greetThenEcho($1, greeting: greeting) }
                case .replyThenEOF(let reply):
                    startHandler(fd) { $0.replyThenEOF($1, reply: reply) }
                case .flood:
                    startHandler(fd) { $0.flood($1, blockBytes: 64 * 1024, pauseMicroseconds: 0) }
                case .scatteredFlood:
                    startHandler(fd) { $0.scatteredFlood($1) }
                case .answerThenReset(let upload, let answer):
                    startHandler(fd) { core, fd in
                        if core.receive(fd, count: upload), core.sendAll(fd, answer) { core.waitUntilAcknowledged(fd) }
                    }
                case .floodThenReset(let count):
                    startHandler(fd) { core, fd in
                        var stream = BackendServer.floodStream(count: count)[...]
                        while !stream.isEmpty {
                            let block = Array(stream.prefix(64 * 1024))
                            guard core.sendAll(fd, block) else { return }
                            stream = stream.dropFirst(block.count)
                        }
                        core.waitUntilAcknowledged(fd)
                        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    }
                case .segmentCountAtFirstBytes:
                    startHandler(fd) { core, fd in
                        guard core.waitForBytes(fd), let count = Sockets.segmentsReceived(fd) else { return }
                        if core.sendAll(fd, withUnsafeBytes(of: count.littleEndian) { Array($0) }) { core.echo(fd) }
                    }
                case .replyUnderNagle(let request, let writes):
                    startHandler(fd) { core, fd in
                        guard core.receive(fd, count: request) else { return }
                        Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 0)
                        if writes.allSatisfy({ core.sendAll(fd, $0) }) { core.echo(fd) }
                    }
                case .trickleAfterUpload(let upload):
                    startHandler(fd) { core, fd in
                        if core.receive(fd, count: upload) {
                            core.flood(fd, blockBytes: 1024, pauseMicroseconds: 100)
                        }
                    }
                }
            }
        }

        /// Runs `serve` on its own thread for an accepted connection, then closes it.
        private func startHandler(_ fd: Int32, serve: @escaping @Sendable (Core, Int32) -> Void) {
            handlers.enter()
            _ = Worker(name: "backend-conn-\(fd)") { [self] in
                defer { handlers.leave() }
                Sockets.setTimeouts(fd, seconds: Self.pollInterval)
                serve(self, fd)
                state.withLock { _ = $0.open.remove(fd) }
                close(fd)
            }
        }

        private func greetThenEcho(_ fd: Int32, greeting: [UInt8]) {
            if sendAll(fd, greeting) { echo(fd) }
        }

        private func replyThenEOF(_ fd: Int32, reply: [UInt8]) {
            Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_CORK, 1)
            if sendAll(fd, reply) {
                shutdown(fd, Int32(SHUT_WR))  // the FIN joins the corked reply
                echo(fd)  // nothing is expected: reads until the peer closes
            }
        }

        /// Sends the counting stream in blocks of `blockBytes` (a multiple of 4),
        /// pausing after each, until an error (the peer closed) or stop().
        private func flood(_ fd: Int32, blockBytes: Int, pauseMicroseconds: UInt32) {
            let wordsPerBlock = UInt32(blockBytes / 4)
            var block = [UInt8](repeating: 0, count: blockBytes)
            var first: UInt32 = 0
            let deadline = monotonicNow() + Self.maxLifetime
            repeat {
                BackendServer.fillFloodWords(&block, from: first)
                first &+= wordsPerBlock
                guard monotonicNow() < deadline, sendAll(fd, block) else { return }
                state.withLock { $0.lastSendProgress = monotonicNow() }
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            } while true
        }

        /// `.scatteredFlood`: the side connection is on loopback, drained by a thread.
        private func scatteredFlood(_ fd: Int32) {
            guard let (listener, side) = try? Sockets.bound(Endpoint.loopback(0)), listen(listener, 1) == 0,
                  let sideOut = try? Sockets.tcpSocket(family: AF_INET),
                  (try? side.withSockaddr { connect(sideOut, $0, $1) }) == 0
            else { return }
            let sideIn = accept(listener, nil, nil)
            close(listener)
            Sockets.setOption(sideOut, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let drain = Worker(name: "backend-side-\(fd)") {
                var sink = [UInt8](repeating: 0, count: 64 * 1024)
                while sink.withUnsafeMutableBytes({ recv(sideIn, $0.baseAddress, $0.count, 0) }) > 0 {}
            }
            var piece = [UInt8](repeating: 0, count: 700)
            let filler = [UInt8](repeating: 0x2A, count: 300)
            var first: UInt32 = 0
            let deadline = monotonicNow() + Self.maxLifetime
            repeat {
                BackendServer.fillFloodWords(&piece, from: first)
                first &+= UInt32(piece.count / 4)
                guard monotonicNow() < deadline, sendAll(fd, piece), sendAll(sideOut, filler) else { break }
                state.withLock { $0.lastSendProgress = monotonicNow() }
            } while true
            shutdown(sideOut, Int32(SHUT_RDWR))
            _ = drain.join(timeout: 5)
            close(sideOut)
            close(sideIn)
        }

        /// Waits (up to 5 s) until the peer has acknowledged every byte sent.
        private func waitUntilAcknowledged(_ fd: Int32) {
            let deadline = monotonicNow() + 5
            var unacknowledged: Int32 = 1
            while ioctl(fd, UInt(TIOCOUTQ), &unacknowledged) == 0, unacknowledged > 0, monotonicNow() < deadline {
                usleep(1000)
            }
        }

        /// Waits (up to 5 s) until `fd` has bytes to read; false if it has none by then or ends.
        private func waitForBytes(_ fd: Int32) -> Bool {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var available: Int32 = 0
            return poll(&pfd, 1, 5000) > 0 && ioctl(fd, UInt(FIONREAD), &available) == 0 && available > 0
        }

        /// Reads and drops `count` bytes; false on EOF, an error or stop().
        private func receive(_ fd: Int32, count: Int) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var left = count
            while left > 0 {
                if isStopping { return false }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, left), 0) }
                if n > 0 {
                    left -= n
                } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    return false
                }
            }
            return true
        }

        /// Echoes until EOF (then half-closes), an error, or stop().
        private func echo(_ fd: Int32) {
            let deadline = monotonicNow() + Self.maxLifetime
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while !isStopping && monotonicNow() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    guard sendAll(fd, Array(buffer[0..<n])) else { return }
                } else if n == 0 {
                    shutdown(fd, Int32(SHUT_WR))  // everything echoed: pass the half-close back
                    return
                } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                    return
                }
            }
        }

        /// Sends everything, retrying on timeouts until stop(); false on error or stop.
        private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                if isStopping { return false }
                let n = bytes.withUnsafeBytes {
                    send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    offset += n
                } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
                    return false
                }
            }
            return true
        }
    }
}

/// A server that never completes a handshake: its accept queue (backlog 0)
/// is filled by connections of its own and never drained, so the kernel
/// drops every further SYN and a connect to it hangs until it times out.
final class StalledServer {
    let endpoint: Endpoint
    private let listenFD: Int32
    private var fillers: [Int32] = []

    init() throws {
        let (fd, endpoint) = try Sockets.bound(Endpoint(host: "127.0.0.1", port: 0))
        guard listen(fd, 0) == 0 else {
            close(fd)
            throw SocketError("listen \(endpoint)")
        }
        listenFD = fd
        self.endpoint = endpoint
        // Non-blocking connects: the ones after the queue is full would hang.
        for _ in 0..<3 {
            let filler = try Sockets.tcpSocket(family: AF_INET)
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            _ = try endpoint.withSockaddr { connect(filler, $0, $1) }
            fillers.append(filler)
        }
        sleep(seconds: 0.05)  // let the handshakes that fit land in the queue
    }

    deinit {
        for fd in fillers { close(fd) }
        close(listenFD)
    }
}
