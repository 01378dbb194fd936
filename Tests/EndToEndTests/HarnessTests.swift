// The harness checked on its own: test client against test backends, no proxy.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Harness (client and backends without the proxy)")
    struct Harness {
        @Test("echo backend returns 8 MiB byte-exact", .timeLimit(.minutes(1)))
        func echoLarge() throws {
            let echo = try BackendServer(.echo)
            let payload = Payload.random(count: 8 << 20, seed: 42)
            let client = try TestClient(echo.endpoint)
            expectSameBytes(try client.roundTrip(payload), payload, "direct echo")
            #expect(echo.acceptedConnections == 1)
        }

        @Test("echo backend passes a half-close back after the echo", .timeLimit(.minutes(1)))
        func echoHalfClose() throws {
            let echo = try BackendServer(.echo)
            let payload = Payload.random(count: 300_000, seed: 7)
            let client = try TestClient(echo.endpoint)
            let reader = Worker { try client.readUntilEOF() }
            try client.sendAll(payload)
            try client.shutdownWrite()
            expectSameBytes(try reader.value(timeout: 20), payload, "direct half-close")
        }

        @Test("greeting backend greets, then echoes", .timeLimit(.minutes(1)))
        func greeting() throws {
            let server = try BackendServer(.greeting(Array("hello\n".utf8)))
            let client = try TestClient(server.endpoint)
            #expect(try client.readExactly(6) == Array("hello\n".utf8))
            #expect(try client.roundTrip([1, 2, 3]) == [1, 2, 3])
        }

        @Test("sink backend never reads: the sender stalls", .timeLimit(.minutes(1)))
        func sink() throws {
            let sink = try BackendServer(.sink, receiveBuffer: 64 * 1024)
            let client = try TestClient(sink.endpoint, ioTimeout: 0.5)
            let chunk = Payload.random(count: 1 << 20, seed: 1)
            var sent = 0
            for _ in 0..<64 {
                let n = try client.send(chunk)
                sent += n
                if n < chunk.count { break }
            }
            #expect(sent < 32 << 20, "sent \(sent) bytes to a sink that never reads")
            #expect(sink.waitForAccepted(1))
        }

        @Test("backends count accepted connections; stop closes them", .timeLimit(.minutes(1)))
        func countingAndStop() throws {
            let echo = try BackendServer(.echo)
            let clients = try (0..<5).map { _ in try TestClient(echo.endpoint) }
            #expect(echo.waitForAccepted(5))
            #expect(echo.acceptedConnections == 5)
            echo.stop()
            for client in clients {
                #expect(client.waitForClose(timeout: 2).isClosed)
            }
            #expect(throws: (any Error).self) { try TestClient(echo.endpoint, connectTimeout: 1) }
        }

        @Test("dropping the last reference to a backend stops it", .timeLimit(.minutes(1)))
        func deinitStops() throws {
            var echo: BackendServer? = try BackendServer(.echo)
            let endpoint = echo!.endpoint
            let client = try TestClient(endpoint)
            #expect(try client.roundTrip([9]) == [9])
            echo = nil
            #expect(client.waitForClose(timeout: 2).isClosed)
            #expect(throws: (any Error).self) { try TestClient(endpoint, connectTimeout: 1) }
        }

        @Test("a closed endpoint refuses connections", .timeLimit(.minutes(1)))
        func closedEndpoint() throws {
            let dead = try Sockets.closedEndpoint()
            #expect(throws: (any Error).self) { try TestClient(dead, connectTimeout: 1) }
        }

        /// A refused connect once closed its socket twice: in the catch of
        /// the init, and again in deinit, which runs when a class's init
        /// throws after setting every property. A descriptor another thread
        /// opened between the two was closed under it: in the drain tests a
        /// backend's connection, whose client then got an EOF and no bytes.
        @Test("a refused connect closes its socket once: what other threads open meanwhile stays open",
              .timeLimit(.minutes(1)))
        func refusedConnectClosesOnce() throws {
            let dead = try Sockets.closedEndpoint()
            let done = Locked(false)
            let opener = Worker(name: "descriptor-opener") { () -> Int in
                var lost = 0
                while !done.current {
                    var ends: [Int32] = [-1, -1]
                    guard pipe(&ends) == 0 else { continue }
                    var opened = stat()
                    fstat(ends[0], &opened)
                    sched_yield()
                    var now = stat()
                    if fstat(ends[0], &now) != 0 || now.st_ino != opened.st_ino { lost += 1 }
                    close(ends[0])
                    close(ends[1])
                }
                return lost
            }
            let until = monotonicNow() + 1
            for _ in 0..<50_000 where monotonicNow() < until { _ = try? TestClient(dead, connectTimeout: 1) }
            done.withLock { $0 = true }
            #expect(try opener.value(timeout: 10, "descriptor opener") == 0,
                    "descriptors of another thread were closed by failed connects")
        }

        /// A round trip that timed out used to leave its reader looping:
        /// once the caller closed the socket, the reader's next recv read
        /// from whatever socket got the number next.
        @Test("a round trip that times out stops its reader: a socket opened after the close keeps its bytes",
              .timeLimit(.minutes(1)))
        func timedOutRoundTripStopsItsReader() throws {
            let trickle = try BackendServer(.trickleAfterUpload(1))
            let client = try TestClient(trickle.endpoint)
            #expect(throws: TimeoutError.self) {
                try client.roundTrip([1], expecting: 64 << 20, timeout: 0.3)
            }
            let number = client.fd
            client.close()
            var pair: [Int32] = [-1, -1]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
            defer { pair.forEach { close($0) } }
            try #require(pair.contains(number), "the socket pair did not get the number \(number) of the closed socket")
            let (reused, other) = pair[0] == number ? (pair[0], pair[1]) : (pair[1], pair[0])
            var sent: UInt8 = 42
            #expect(send(other, &sent, 1, 0) == 1)
            sleep(seconds: 0.2)
            var received: UInt8 = 0
            #expect(recv(reused, &received, 1, Int32(MSG_DONTWAIT)) == 1 && received == 42,
                    "the byte sent to the new socket was read by someone else")
        }

        @Test("waitForClose tells an idle open connection from a closed one", .timeLimit(.minutes(1)))
        func waitForClose() throws {
            let echo = try BackendServer(.echo)
            let client = try TestClient(echo.endpoint)
            #expect(client.waitForClose(timeout: 0.2) == .timeout)
            try client.shutdownWrite()
            #expect(client.waitForClose(timeout: 2) == .eof)
        }
    }
}
