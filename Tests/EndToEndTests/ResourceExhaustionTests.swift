// SPEC §3 Limits: running out of file descriptors or provided buffers slows
// accepting down; it never crashes the proxy or stalls it for good.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Resource exhaustion")
    struct ResourceExhaustion {
        @Test("out of file descriptors: clients are turned away or wait, the proxy survives and serves again",
              .timeLimit(.minutes(1)))
        func fileDescriptorsRunOut() throws {
            let echo = try BackendServer(.echo)
            // 48 descriptors: a few for the ring, signals and the listener, then two per connection.
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 1"], fileDescriptorLimit: 48)
            var clients: [TestClient] = []
            for _ in 0..<60 {
                clients.append(try proxy.connect(ioTimeout: 2))
            }
            var served = 0
            for (index, client) in clients.enumerated() {
                if let echoed = try? client.roundTrip([UInt8(index)], timeout: 0.5), echoed == [UInt8(index)] {
                    served += 1
                }
            }
            #expect(served > 0, "no connection was served under the descriptor limit\n\(proxy.stderrTail)")
            #expect(served < clients.count, "all \(clients.count) connections served: the limit was never reached")
            #expect(proxy.isAlive, "the proxy died out of descriptors\n\(proxy.stderrTail)")
            #expect(proxy.stderrText.contains("accept paused") || proxy.stderrText.contains("cannot open a socket"),
                    "no sign of descriptor exhaustion in the log\n\(proxy.stderrTail)")

            for client in clients { client.close() }
            sleep(seconds: 0.5)
            try expectServedAgain(proxy)
        }

        @Test("out of provided buffers: 40 busy connections share 16 small buffers, every byte arrives, nothing stalls",
              .timeLimit(.minutes(1)))
        func buffersRunOut() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: [echo], global: ["workers 1", "buffer-size 1k", "buffers 16"])
            let payloads = (0..<40).map { Payload.random(count: 256 * 1024, seed: UInt64(100 + $0)) }
            let clients = try proxy.expectConcurrentEchoes(payloads, "16 buffers", timeout: 30)
            #expect(proxy.isAlive, "the proxy died short of buffers\n\(proxy.stderrTail)")
            for client in clients { client.close() }
            try expectServedAgain(proxy)
        }

        private func expectServedAgain(_ proxy: ProxyProcess, at endpoint: Endpoint? = nil) throws {
            let payload = Payload.random(count: 100_000, seed: 9)
            let client = try proxy.connect(endpoint, ioTimeout: 5)
            do {
                expectSameBytes(try client.roundTrip(payload, timeout: 10), payload, "after exhaustion\n\(proxy.stderrTail)")
            } catch {
                Issue.record("no service after exhaustion: \(error)\n\(proxy.stderrTail)")
            }
        }
    }
}
