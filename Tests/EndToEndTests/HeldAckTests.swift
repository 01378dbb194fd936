// Held-back ACKs at connection start (see ListenSocket and
// Reactor.connectToNextServer): one packet fewer on each side of a
// connection, and never a wait for an ACK that is held back.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Held ACKs")
    struct HeldAcks {
        static let attempts = 10

        @Test("a client's first bytes are acknowledged by the bytes back, not by an ACK of their own", .timeLimit(.minutes(1)))
        func clientBytesAcknowledgedByTheReply() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo])
            let request = Payload.random(count: 100, seed: Payload.newSeed())
            var segmentCounts: [UInt32] = []
            for _ in 0..<Self.attempts {
                let client = try proxy.connect(ioTimeout: 5)
                let before = try client.segmentsReceived()  // the SYN-ACK
                try client.sendAll(request)
                expectSameBytes(try client.readExactly(request.count), request, proxy.stderrTail)
                segmentCounts.append(try client.segmentsReceived() - before)
                client.close()
            }
            // A separate ACK would make it two. Allow misses on a busy machine
            // (the delayed ACK's timer, 40 ms, runs out before the echo).
            let oneSegment = segmentCounts.filter { $0 == 1 }.count
            #expect(oneSegment >= Self.attempts / 2, "segments per echo: \(segmentCounts)\n\(proxy.stderrTail)")
        }

        @Test("a server gets the client's first bytes with the handshake's last ACK", .timeLimit(.minutes(1)))
        func serverGetsTheRequestWithTheHandshake() throws {
            let backend = try BackendServer(.segmentCountAtFirstBytes)
            let proxy = try ProxyProcess.forwarding(to: [backend])
            var segmentCounts: [UInt32] = []
            for _ in 0..<Self.attempts {
                let client = try proxy.connect(ioTimeout: 5)
                try client.sendAll(Array("GET / HTTP/1.0\r\n\r\n".utf8))
                let count = try client.readExactly(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                segmentCounts.append(UInt32(littleEndian: count))
                client.close()
            }
            // The SYN, then the request carrying the ACK: 2. A separate ACK
            // makes it 3; so does a request that reached the proxy only
            // after its connect completed, which a busy machine may cause.
            let withTheHandshake = segmentCounts.filter { $0 == 2 }.count
            #expect(withTheHandshake >= Self.attempts / 2, "segments at the request: \(segmentCounts)\n\(proxy.stderrTail)")
        }

        @Test("a server that speaks first sees the connection at once, not when the held ACK's timer ends", .timeLimit(.minutes(1)))
        func serverSpeakingFirstIsNotHeldBack() throws {
            let greeting = Array("220 ready\r\n".utf8)
            let backend = try BackendServer(.greeting(greeting))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            var seconds: [Double] = []
            for _ in 0..<5 {
                let start = monotonicNow()
                let client = try proxy.connect(ioTimeout: 5)
                expectSameBytes(try client.readExactly(greeting.count), greeting, proxy.stderrTail)
                seconds.append(monotonicNow() - start)
                client.close()
            }
            // Held back, the ACK would leave after 200 ms.
            #expect(seconds.sorted()[seconds.count / 2] < 0.1, "seconds to the greeting: \(seconds)\n\(proxy.stderrTail)")
        }

        @Test("a server that writes its reply in two writes under Nagle's algorithm is not held back", .timeLimit(.minutes(1)))
        func serverUnderNagleIsNotHeldBack() throws {
            let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".utf8)
            let body = Array("hello".utf8)
            let backend = try BackendServer(.twoWritesUnderNagle(head: head, body: body))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            var seconds: [Double] = []
            for _ in 0..<Self.attempts {
                let client = try proxy.connect(ioTimeout: 5)
                let start = monotonicNow()
                try client.sendAll(Array("GET / HTTP/1.1\r\n\r\n".utf8))
                expectSameBytes(try client.readExactly(head.count + body.count), head + body, proxy.stderrTail)
                seconds.append(monotonicNow() - start)
                client.close()
            }
            // The body waits for the ACK of the head: held back, that is the
            // delayed ACK's timer, 40 ms or more.
            #expect(seconds.sorted()[seconds.count / 2] < 0.03, "seconds to the reply: \(seconds)\n\(proxy.stderrTail)")
        }
    }
}
