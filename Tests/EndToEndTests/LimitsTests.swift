// SPEC §3 Limits: listener max-connections; idle-timeout.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Limits")
    struct Limits {
        @Test("listener max-connections 2: a third client is closed at once; a freed slot is reusable", .timeLimit(.minutes(1)))
        func maxConnections() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], listener: ["max-connections 2"])
            let held = try (0..<2).map { index -> TestClient in
                let client = try proxy.connect(ioTimeout: 5)
                #expect(try client.roundTrip([UInt8(index)]) == [UInt8(index)])
                return client
            }

            let third = try proxy.connect(ioTimeout: 5)
            let outcome = third.waitForClose(timeout: 2)
            #expect(outcome.isClosed, "third connection past max-connections 2: \(outcome)\n\(proxy.stderrTail)")
            third.close()

            // The held ones are undisturbed.
            for (index, client) in held.enumerated() {
                #expect(try client.roundTrip([7, UInt8(index)]) == [7, UInt8(index)])
            }

            // Free one slot completely (both directions ended), then a new client works.
            try held[0].shutdownWrite()
            #expect(try held[0].readUntilEOF().isEmpty)
            held[0].close()
            sleep(seconds: 0.3)
            let fourth = try proxy.connect(ioTimeout: 5)
            let payload = Payload.random(count: 10_000, seed: 4)
            do {
                expectSameBytes(try fourth.roundTrip(payload), payload, "after a slot was freed\n\(proxy.stderrTail)")
            } catch {
                Issue.record("new connection after a slot was freed: \(error)\n\(proxy.stderrTail)")
            }
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        @Test("idle-timeout 500ms: a silent connection is closed, a chatty one survives", .timeLimit(.minutes(1)))
        func idleTimeout() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], listener: ["idle-timeout 500ms"])

            // Silent after one exchange: closed by the proxy after ~0.5 s, surely within 2 s.
            let silent = try proxy.connect(ioTimeout: 2)
            let lastTraffic = monotonicNow()  // the proxy's last activity comes after this
            #expect(try silent.roundTrip([1]) == [1])
            let outcome = silent.waitForClose(timeout: 4)
            let idleFor = monotonicNow() - lastTraffic
            #expect(outcome.isClosed, "silent connection after \(idleFor) s: \(outcome)\n\(proxy.stderrTail)")
            #expect(idleFor < 2.0, "silent connection closed only after \(idleFor) s")
            #expect(idleFor > 0.4, "silent connection closed after \(idleFor) s, before the 500ms idle-timeout")
            sleep(seconds: 0.2)
            #expect(proxy.isAlive, "the proxy died closing the idle connection\n\(proxy.stderrTail)")

            // A byte every 100 ms, echoed, for 1.6 s: never idle for 500 ms.
            let chatty = try proxy.connect(ioTimeout: 2)
            let start = monotonicNow()
            var exchanged = 0
            do {
                while monotonicNow() - start < 1.6 {
                    #expect(try chatty.roundTrip([UInt8(exchanged & 0xFF)]) == [UInt8(exchanged & 0xFF)])
                    exchanged += 1
                    sleep(seconds: 0.1)
                }
                #expect(try chatty.roundTrip([42]) == [42])
            } catch {
                Issue.record(
                    "chatty connection failed after \(monotonicNow() - start) s, \(exchanged) exchanges: \(error)\n\(proxy.stderrTail)")
            }
        }

        /// How the client fills a stalled connection, and so which operation
        /// of the proxy's is left waiting on the sink when the idle-timeout hits.
        enum StallPath: String, CaseIterable, CustomTestStringConvertible {
            /// Megabyte writes: full buffers in a row switch the flow to
            /// splicing, so a write splice's poll waits.
            case splice
            /// 4 KiB writes, spaced: reads stay short of a 64 KiB buffer, the
            /// flow stays on recv/send, so a send waits.
            case send
            var testDescription: String { rawValue }
        }

        @Test("idle-timeout 2s closes a connection stalled on a backend that never reads",
              .timeLimit(.minutes(1)), arguments: StallPath.allCases)
        func idleTimeoutWithStalledOperation(path: StallPath) throws {
            // The proxy's operation towards the sink stays in flight for ever:
            // closing the connection must cancel it, or the client is never let go.
            let sink = try BackendServer(.sink, receiveBuffer: 64 * 1024)
            let proxy = try ProxyProcess.forwarding(to: [sink], global: ["buffer-size 64k"], listener: ["idle-timeout 2s"])
            let client = try proxy.connect(ioTimeout: 0.5)  // a send blocked 0.5 s returns: stall
            let chunk = Payload.random(count: path == .splice ? 1 << 20 : 4096, seed: 11)
            var stalled = false
            var sent = 0
            let deadline = monotonicNow() + 30
            while !stalled && monotonicNow() < deadline {
                let n = try client.send(chunk)
                sent += n
                stalled = n < chunk.count
                if path == .send { sleep(seconds: 0.0002) }
            }
            #expect(stalled, "the client's send never blocked after \(sent >> 20) MiB\n\(proxy.stderrTail)")
            let stalledAt = monotonicNow()
            let outcome = client.waitForClose(timeout: 5)
            let closedAfter = monotonicNow() - stalledAt
            #expect(outcome.isClosed, "stalled connection after \(closedAfter) s: \(outcome)\n\(proxy.stderrTail)")
            #expect(closedAfter < 4, "stalled connection closed only after \(closedAfter) s")
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }
    }
}
