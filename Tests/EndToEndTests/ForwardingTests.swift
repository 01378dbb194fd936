// SPEC §3 Forwarding: bytes unchanged and in order, any size; concurrency; half-close.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Forwarding")
    struct Forwarding {
        static let sizes = [0, 1, 1000, 64 * 1024, 1024 * 1024 + 17, 8 * 1024 * 1024]

        @Test("a random payload comes back byte-exact", .timeLimit(.minutes(1)), arguments: sizes)
        func echoPayload(size: Int) throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo])
            let seed = Payload.newSeed()
            let payload = Payload.random(count: size, seed: seed)
            let client = try proxy.connect(ioTimeout: 15)
            let received = try client.roundTrip(payload, timeout: 45)
            expectSameBytes(received, payload, "size \(size), seed \(seed)\n\(proxy.stderrTail)")
            // Nothing more arrives, and the connection stays open.
            let after = client.waitForClose(timeout: 0.2)
            #expect(after == .timeout, "after the echo: \(after)\n\(proxy.stderrTail)")
            #expect(echo.acceptedConnections == 1)
        }

        @Test("300 concurrent connections each echo a distinct 64 KiB payload", .timeLimit(.minutes(1)))
        func concurrentConnections() throws {
            let count = 300
            let size = 64 * 1024
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["max-connections 1000"])
            let baseSeed = Payload.newSeed()
            // All connections open at once before any traffic.
            let clients = try (0..<count).map { _ in try proxy.connect(ioTimeout: 20) }
            let exchanges = clients.enumerated().map { index, client in
                Worker(name: "conn-\(index)") { () throws -> String? in
                    let payload = Payload.random(count: size, seed: baseSeed &+ UInt64(index))
                    return Payload.mismatch(expected: payload, actual: try client.roundTrip(payload, timeout: 40))
                }
            }
            let deadline = monotonicNow() + 45
            var failures: [String] = []
            for (index, exchange) in exchanges.enumerated() {
                switch exchange.join(timeout: max(0, deadline - monotonicNow())) {
                case nil: failures.append("#\(index): timed out")
                case .failure(let error): failures.append("#\(index): \(error)")
                case .success(let mismatch?): failures.append("#\(index): \(mismatch)")
                case .success(nil): break
                }
            }
            #expect(
                failures.isEmpty,
                "\(failures.count) of \(count) connections failed (seed \(baseSeed)), first: \(failures.prefix(5))\n\(proxy.stderrTail)")
            #expect(echo.acceptedConnections == count)
        }

        @Test("half-close: after the client shuts down writing it gets the whole echo, then EOF", .timeLimit(.minutes(1)))
        func halfClose() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo])
            let seed = Payload.newSeed()
            let payload = Payload.random(count: 256 * 1024 + 3, seed: seed)
            let client = try proxy.connect(ioTimeout: 10)
            let reader = Worker { try client.readUntilEOF() }
            try client.sendAll(payload)
            try client.shutdownWrite()
            let received = try reader.value(timeout: 20, "echo and EOF after the client's half-close")
            expectSameBytes(received, payload, "seed \(seed)\n\(proxy.stderrTail)")
        }

        // Connection: close traffic: the proxy holds back the last bytes before
        // an EOF it has already seen, so the FIN leaves in the same segment.
        @Test("a reply and the server's EOF that arrive together reach the client as one segment", .timeLimit(.minutes(1)))
        func replyAndEOFInOneSegment() throws {
            let reply = Payload.random(count: 1273, seed: Payload.newSeed())
            let backend = try BackendServer(.replyThenEOF(reply))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            let attempts = 10
            var segmentCounts: [UInt32] = []
            for _ in 0..<attempts {
                let client = try proxy.connect(ioTimeout: 10)
                let before = try client.segmentsReceived()  // the SYN-ACK
                let received = try client.readUntilEOF()
                expectSameBytes(received, reply, proxy.stderrTail)
                segmentCounts.append(try client.segmentsReceived() - before)
                client.close()
            }
            // Data and FIN apart would be two segments. Reply and EOF reach
            // the proxy in one segment, so one completion batch holds both;
            // allow a few misses for scheduling on a busy machine.
            let merged = segmentCounts.filter { $0 == 1 }.count
            #expect(merged >= attempts / 2, "segments per reply+EOF: \(segmentCounts)\n\(proxy.stderrTail)")
        }
    }
}
