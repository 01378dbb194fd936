// SPEC §3: memory per connection is bounded; a slow reader stops the proxy reading the fast side.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Back-pressure")
    struct BackPressure {
        @Test("a backend that never reads stalls the client; the proxy's memory stays bounded", .timeLimit(.minutes(1)))
        func sinkStallsClient() throws {
            let offered = 1 << 30  // 1 GiB
            let rssBound = 256 << 20
            let sentBound = 256 << 20
            let pushFor = 20.0

            let sink = try BackendServer(.sink, receiveBuffer: 64 * 1024)
            let proxy = try ProxyProcess.forwarding(to: [sink], global: ["buffer-size 16k", "buffers 256"])
            let client = try TestClient(proxy.front, ioTimeout: 2)  // a send blocked 2 s returns: stall
            let chunk = Payload.random(count: 1 << 20, seed: Payload.newSeed())

            var sent = 0
            var stalled = false
            let startRSS = try #require(proxy.residentBytes, "cannot read VmRSS of the proxy")
            var maxRSS = startRSS
            let deadline = monotonicNow() + pushFor
            while sent < offered && monotonicNow() < deadline {
                let n = try client.send(chunk)
                sent += n
                maxRSS = max(maxRSS, proxy.residentBytes ?? 0)
                if n < chunk.count {
                    stalled = true
                    break
                }
            }
            sleep(seconds: 1)
            maxRSS = max(maxRSS, proxy.residentBytes ?? 0)

            let summary = "sent \(sent >> 20) MiB of 1024 in ≤\(Int(pushFor)) s, stalled: \(stalled), proxy RSS \(startRSS >> 20) MiB at start, \(maxRSS >> 20) MiB max"
            #expect(sink.acceptedConnections == 1, "the proxy never connected to the sink; \(summary)\n\(proxy.stderrTail)")
            #expect(proxy.isRunning, "the proxy died; \(summary)\n\(proxy.stderrTail)")
            #expect(stalled, "the client's send never blocked: \(summary)\n\(proxy.stderrTail)")
            #expect(sent < sentBound, "the proxy kept reading from the client: \(summary)\n\(proxy.stderrTail)")
            #expect(maxRSS < rssBound, "proxy memory not bounded: \(summary)\n\(proxy.stderrTail)")
        }
    }
}
