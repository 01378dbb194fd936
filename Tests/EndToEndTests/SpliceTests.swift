// Bulk flows switch to splicing through pooled pipes: bytes must stay exact,
// and a pipe reused after an aborted transfer must never replay old bytes.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Splicing")
    struct Splicing {
        @Test("clients reset mid-transfer leave nothing behind for later connections", .timeLimit(.minutes(1)))
        func resetMidTransferNeverLeaksIntoLaterConnections() throws {
            let echo = try BackendServer(.echo)
            // One reactor: every connection draws on the same pipe pool.
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 1"])
            for round in 0..<8 {
                let aborted = try proxy.connect(ioTimeout: 2)
                let bulk = Payload.random(count: 4 << 20, seed: UInt64(1000 + round))
                _ = try? aborted.send(Array(bulk[0..<(3 << 20)]))
                _ = try? aborted.readExactly(256 * 1024)  // the flow back is splicing by now
                aborted.reset()

                let next = try proxy.connect(ioTimeout: 10)
                let payload = Payload.random(count: 2 << 20, seed: UInt64(2000 + round))
                do {
                    expectSameBytes(try next.roundTrip(payload, timeout: 20), payload,
                                    "round \(round): the connection after a reset\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("round \(round): \(error)\n\(proxy.stderrTail)")
                }
                next.close()
            }
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        @Test("bulk both ways at once on 8 connections, byte-exact", .timeLimit(.minutes(1)))
        func bulkBothWays() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 2"])
            let payloads = (0..<8).map { Payload.random(count: 6 << 20, seed: UInt64(300 + $0)) }
            try proxy.expectConcurrentEchoes(payloads, "bulk", timeout: 40)
        }
    }
}
