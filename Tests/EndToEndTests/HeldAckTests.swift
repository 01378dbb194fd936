// ACKs held back towards the server at connection start (see
// Reactor.connectToNextServer): one packet fewer per connection, and never a
// wait for an ACK that is held back.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Held ACKs")
    struct HeldAcks {
        static let attempts = 10
        /// Below the 40 ms a held-back ACK takes at least (the kernel's least
        /// delayed-ACK time), with the most room for a busy machine.
        static let heldAckSeconds = 0.038
        static let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

        @Test("a server gets the client's first bytes with the handshake's last ACK", .timeLimit(.minutes(1)))
        func serverGetsTheRequestWithTheHandshake() throws {
            let backend = try BackendServer(.segmentCountAtFirstBytes)
            let proxy = try ProxyProcess.forwarding(to: [backend])
            var segmentCounts: [UInt32] = []
            for _ in 0..<Self.attempts {
                // The request waits for the proxy to accept: had the proxy's
                // connect completed first, the ACK would leave on its own.
                #expect(proxy.freeze(), "the proxy did not stop\n\(proxy.stderrTail)")
                let client = try proxy.connect(ioTimeout: 5)
                try client.sendAll(Self.request)
                proxy.signal(SIGCONT)
                let count = try client.readExactly(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                segmentCounts.append(UInt32(littleEndian: count))
                client.close()
            }
            // The SYN, then the request carrying the ACK: 2. A separate ACK makes it 3.
            let withTheHandshake = segmentCounts.filter { $0 == 2 }.count
            #expect(withTheHandshake >= Self.attempts - 1, "segments at the request: \(segmentCounts)\n\(proxy.stderrTail)")
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

        /// A short write under Nagle's algorithm waits for the ACK of the one
        /// before; a held-back ACK comes only when the delayed-ACK timer ends,
        /// 40 ms or more. `requestPause`: the request goes in two writes with
        /// that pause between (nil: one write).
        @Test("a server that writes its reply in two writes under Nagle's algorithm is not held back",
              .timeLimit(.minutes(1)), arguments: [nil, 0.002])
        func serverUnderNagleIsNotHeldBack(requestPause: Double?) throws {
            let head = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n".utf8)
            let body = Array("hello".utf8)
            let backend = try BackendServer(.replyUnderNagle(afterReading: Self.request.count, writes: [head, body]))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            let seconds = try Self.timeRequests(through: proxy, pause: requestPause, replyBytes: head.count + body.count)
            #expect(seconds.sorted()[seconds.count / 2] < Self.heldAckSeconds, "seconds to the reply: \(seconds)\n\(proxy.stderrTail)")
        }

        /// The upload's segments leave within 40 ms of the connect, some only
        /// as the server's window opens: each one puts the server socket
        /// back to holding its ACKs (see `Reactor.serverSpoke`).
        @Test("a server that answers an upload in two writes under Nagle's algorithm is not held back", .timeLimit(.minutes(1)))
        func serverAnsweringAnUploadUnderNagleIsNotHeldBack() throws {
            let upload = Payload.random(count: 1 << 20, seed: Payload.newSeed())
            let head = Array("HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\n".utf8)
            let body = Array("saved".utf8)
            let backend = try BackendServer(.replyUnderNagle(afterReading: upload.count, writes: [head, body]))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            var gaps: [Double] = []
            for _ in 0..<2 * Self.attempts {
                let client = try proxy.connect(ioTimeout: 10)
                for start in stride(from: 0, to: upload.count, by: 16 * 1024) {
                    try client.sendAll(Array(upload[start..<min(start + 16 * 1024, upload.count)]))
                }
                expectSameBytes(try client.readExactly(head.count), head, proxy.stderrTail)
                let headArrived = monotonicNow()
                expectSameBytes(try client.readExactly(body.count), body, proxy.stderrTail)
                gaps.append(monotonicNow() - headArrived)
                client.close()
            }
            // The body waits for the ACK of the head: held back, 40 ms or more.
            let heldBack = gaps.filter { $0 >= Self.heldAckSeconds }.count
            #expect(heldBack <= 2, "seconds from the head to the body: \(gaps)\n\(proxy.stderrTail)")
        }

        @Test("a client that sends its request in two short writes under Nagle's algorithm is not held back", .timeLimit(.minutes(1)))
        func clientUnderNagleIsNotHeldBack() throws {
            let reply = Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)
            let backend = try BackendServer(.replyUnderNagle(afterReading: Self.request.count, writes: [reply]))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            let seconds = try Self.timeRequests(through: proxy, pause: 0, replyBytes: reply.count, clientNagle: true)
            #expect(seconds.sorted()[seconds.count / 2] < Self.heldAckSeconds, "seconds to the reply: \(seconds)\n\(proxy.stderrTail)")
        }

        /// Seconds from the request's first write to the whole reply, one new
        /// connection per attempt. With `pause`, the request goes in two
        /// writes that far apart.
        static func timeRequests(through proxy: ProxyProcess, pause: Double?, replyBytes: Int,
                                 clientNagle: Bool = false) throws -> [Double] {
            var seconds: [Double] = []
            for _ in 0..<attempts {
                let client = try proxy.connect(ioTimeout: 5)
                if clientNagle { client.useNagle() }
                let start = monotonicNow()
                if let pause {
                    let half = request.count / 2
                    try client.sendAll(Array(request[..<half]))
                    if pause > 0 { sleep(seconds: pause) }
                    try client.sendAll(Array(request[half...]))
                } else {
                    try client.sendAll(request)
                }
                _ = try client.readExactly(replyBytes)
                seconds.append(monotonicNow() - start)
                client.close()
            }
            return seconds
        }
    }
}
