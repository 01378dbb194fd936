// A blocking TCP client for the tests. Every call is bounded by SO_RCVTIMEO/SO_SNDTIMEO.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum ClientError: Error, CustomStringConvertible {
    case timeout(String)
    case closedEarly(received: Int, expected: Int)
    case tooMuchData(limit: Int)
    case socket(SocketError)

    var description: String {
        switch self {
        case .timeout(let what): return "timed out: \(what)"
        case .closedEarly(let received, let expected):
            return "connection closed after \(received) of \(expected) expected bytes"
        case .tooMuchData(let limit): return "more than \(limit) bytes before EOF"
        case .socket(let error): return error.description
        }
    }
}

final class TestClient: @unchecked Sendable {
    let fd: Int32
    let endpoint: Endpoint
    private let closed = Locked(false)

    /// How a connection ended, as seen by a read.
    enum CloseOutcome: Equatable, CustomStringConvertible {
        case eof
        case reset
        case data(Int)  // bytes arrived instead of a close
        case timeout  // still open
        case error(Int32)

        /// EOF or reset: the peer closed the connection.
        var isClosed: Bool { self == .eof || self == .reset }

        var description: String {
            switch self {
            case .eof: return "EOF"
            case .reset: return "reset"
            case .data(let n): return "\(n) bytes of data"
            case .timeout: return "still open (timeout)"
            case .error(let code): return "error \(String(cString: strerror(code)))"
            }
        }
    }

    /// Connects within `connectTimeout`; afterwards every blocking call is bounded by `ioTimeout`.
    /// `source`: the local address to connect from (any port), e.g. "127.0.0.7".
    /// `receiveBuffer`: SO_RCVBUF, set before connecting so that the window
    /// offered to the proxy stays that small.
    init(_ endpoint: Endpoint, from source: String? = nil, receiveBuffer: Int32? = nil,
         connectTimeout: Double = 5, ioTimeout: Double = 10) throws {
        self.endpoint = endpoint
        fd = try Sockets.tcpSocket(family: endpoint.family)
        if let receiveBuffer { Sockets.setOption(fd, SOL_SOCKET, SO_RCVBUF, receiveBuffer) }
        do {
            if let source {
                let local = Endpoint(host: source, port: 0)
                guard try local.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
                    throw ClientError.socket(SocketError("bind \(source)"))
                }
            }
            try connect(timeout: connectTimeout)
        } catch {
            // Once only: deinit runs too, as the init throws with every property set.
            close()
            throw error
        }
        Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        Sockets.setTimeouts(fd, seconds: ioTimeout)
    }

    deinit { close() }

    private func connect(timeout: Double) throws {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = try endpoint.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            guard errno == EINPROGRESS else { throw ClientError.socket(SocketError("connect \(endpoint)")) }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { throw ClientError.timeout("connect \(endpoint)") }
            var error: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len)
            guard error == 0 else { throw ClientError.socket(SocketError("connect \(endpoint)", code: error)) }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }

    /// Changes the bound on every later blocking call.
    func setTimeout(_ seconds: Double) { Sockets.setTimeouts(fd, seconds: seconds) }

    /// Nagle's algorithm back on (clients here start with TCP_NODELAY).
    func useNagle() { Sockets.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 0) }

    /// Shrinks the kernel send buffer (makes a stalled peer visible sooner).
    func setSendBuffer(_ bytes: Int32) { Sockets.setOption(fd, SOL_SOCKET, SO_SNDBUF, bytes) }

    /// Sends every byte or throws (timeout: the peer stopped reading).
    func sendAll(_ bytes: [UInt8]) throws {
        let sent = try send(bytes)
        guard sent == bytes.count else { throw ClientError.timeout("send: \(sent) of \(bytes.count) bytes sent") }
    }

    /// Sends as much as possible until the send timeout fires; returns the bytes sent.
    /// Throws only on a real error (reset, broken pipe).
    func send(_ bytes: [UInt8]) throws -> Int {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return offset
            } else {
                throw ClientError.socket(SocketError("send"))
            }
        }
        return offset
    }

    /// Reads exactly `count` bytes; throws on EOF before that, timeout or error.
    func readExactly(_ count: Int) throws -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count)
        var buffer = [UInt8](repeating: 0, count: min(max(count, 1), 256 * 1024))
        while result.count < count {
            let want = min(buffer.count, count - result.count)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, want, 0) }
            if n > 0 {
                result.append(contentsOf: buffer[0..<n])
            } else if n == 0 {
                throw ClientError.closedEarly(received: result.count, expected: count)
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw ClientError.timeout("read: \(result.count) of \(count) bytes received")
            } else {
                throw ClientError.socket(SocketError("recv after \(result.count) of \(count) bytes"))
            }
        }
        return result
    }

    /// Reads until EOF (at most `limit` bytes); throws on timeout or error.
    func readUntilEOF(limit: Int = 64 * 1024 * 1024) throws -> [UInt8] {
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                result.append(contentsOf: buffer[0..<n])
                if result.count > limit { throw ClientError.tooMuchData(limit: limit) }
            } else if n == 0 {
                return result
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw ClientError.timeout("read until EOF: \(result.count) bytes received, no EOF")
            } else {
                throw ClientError.socket(SocketError("recv after \(result.count) bytes"))
            }
        }
    }

    /// TCP segments this socket has received (`Sockets.segmentsReceived`).
    func segmentsReceived() throws -> UInt32 {
        guard let count = Sockets.segmentsReceived(fd) else {
            throw ClientError.socket(SocketError("getsockopt TCP_INFO"))
        }
        return count
    }

    /// Half-close: no more bytes from this side.
    func shutdownWrite() throws {
        guard shutdown(fd, Int32(SHUT_WR)) == 0 else { throw ClientError.socket(SocketError("shutdown(SHUT_WR)")) }
    }

    /// Waits up to `timeout` for the peer to close; does not consume more than one read's worth.
    func waitForClose(timeout: Double) -> CloseOutcome {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, Int32(timeout * 1000))
        if ready == 0 { return .timeout }
        if ready < 0 { return .error(errno) }
        var byte = [UInt8](repeating: 0, count: 4096)
        let n = byte.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == 0 { return .eof }
        if n > 0 { return .data(n) }
        if errno == ECONNRESET || errno == EPIPE { return .reset }
        if errno == EAGAIN || errno == EWOULDBLOCK { return .timeout }
        return .error(errno)
    }

    /// Sends `payload` while a second thread reads `expectedCount` bytes back (so
    /// large payloads cannot deadlock on full buffers); returns what was read.
    func roundTrip(_ payload: [UInt8], expecting expectedCount: Int? = nil, timeout: Double = 30) throws -> [UInt8] {
        let count = expectedCount ?? payload.count
        let reader = Worker(name: "client-reader") { [self] in try readExactly(count) }
        var sendError: Error?
        do { try sendAll(payload) } catch { sendError = error }
        guard let outcome = reader.join(timeout: timeout) else {
            // The reader stops before this returns: once the caller closes
            // the socket, its number goes to the next one opened, which a
            // reader still looping would read from.
            shutdown(fd, Int32(SHUT_RDWR))
            _ = reader.join(timeout: 30)
            throw TimeoutError(what: "reading \(count) bytes back")
        }
        let received = try outcome.get()
        if let sendError { throw sendError }
        return received
    }

    /// Closes with a reset (SO_LINGER 0) instead of a FIN, as a crashed client would.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Closes the socket (idempotent).
    func close() {
        let first = closed.withLock { c -> Bool in
            defer { c = true }
            return !c
        }
        if first { Glibc.close(fd) }
    }
}
