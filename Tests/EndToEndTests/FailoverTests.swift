// SPEC §3: when connecting to a server fails, the next one is tried up to `retries`; then the client is closed.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Failover")
    struct Failover {
        @Test("a dead first server: every connection goes on to the live one", .timeLimit(.minutes(1)))
        func deadFirstServer() throws {
            let (proxy, echo) = try Self.deadThenLive(dead: "", pool: ["retries 1", "connect-timeout 1s"])
            for index in 0..<6 {
                let payload = Payload.random(count: 1000 + index, seed: UInt64(index + 1))
                let client = try proxy.connect(ioTimeout: 5)
                do {
                    expectSameBytes(try client.roundTrip(payload), payload, "connection #\(index)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("connection #\(index): \(error)\n\(proxy.stderrTail)")
                }
            }
            #expect(echo.acceptedConnections == 6)
        }

        /// One reactor, and a pool of server `dead` (nothing listening; `options`
        /// end its line) then `live`, an echo backend.
        private static func deadThenLive(dead options: String, pool: [String]) throws -> (ProxyProcess, BackendServer) {
            let dead = try Sockets.closedEndpoint()
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: ["dead \(dead)\(options)", "live \(echo.endpoint)"], global: ["workers 1"], pool: pool,
                keepingAlive: [echo])
            return (proxy, echo)
        }

        @Test("a burst of clients at a dead server: every one is served by the live one, and the outage is logged once",
              .timeLimit(.minutes(1)))
        func burstAtDeadServerLogsOneOutage() throws {
            // Weight 5: most of the burst is sent to the dead server before
            // its third refused connect takes it down.
            let (proxy, _) = try Self.deadThenLive(dead: " weight 5", pool: ["retries 2"])
            let clients = try (0..<40).map { _ in try proxy.connect(ioTimeout: 5) }
            for (index, client) in clients.enumerated() {
                do {
                    #expect(try client.roundTrip([UInt8(index)], timeout: 5) == [UInt8(index)], "client \(index)")
                } catch {
                    Issue.record("client \(index): \(error)\n\(proxy.stderrTail)")
                }
                client.close()
            }
            let downLines = proxy.stderrText.components(separatedBy: "server dead of pool app is down").count - 1
            #expect(downLines == 1, "one outage logged \(downLines) times\n\(proxy.stderrTail)")
        }

        @Test("a server that never answers: after connect-timeout the next one gets what the client sent meanwhile, EOF included", .timeLimit(.minutes(1)))
        func connectTimeoutKeepsEarlyData() throws {
            let stalled = try StalledServer()
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: ["stalled \(stalled.endpoint)", "live \(echo.endpoint)"],
                global: ["workers 1"],
                pool: ["retries 1", "connect-timeout 300ms"],
                keepingAlive: [echo])
            var slowest = 0.0
            for index in 0..<6 {
                // Every other client sends only its EOF: nothing to send first.
                let payload = Payload.random(count: index % 2 == 0 ? 0 : 5000 + index, seed: UInt64(index + 7))
                let client = try proxy.connect(ioTimeout: 5)
                let start = monotonicNow()
                // Request and EOF leave at once, while the proxy may still be connecting.
                try client.sendAll(payload)
                try client.shutdownWrite()
                let received = try client.readUntilEOF()
                slowest = max(slowest, monotonicNow() - start)
                expectSameBytes(received, payload, "connection #\(index)\n\(proxy.stderrTail)")
            }
            // Round-robin sent at least one connection to the stalled server first.
            #expect(slowest >= 0.25, "no connection waited for the connect timeout (slowest \(slowest) s)")
            #expect(echo.acceptedConnections == 6)
        }

        @Test("no live server: the client is closed promptly and the proxy serves on", .timeLimit(.minutes(1)))
        func noLiveServer() throws {
            let dead1 = try Sockets.closedEndpoint()
            let dead2 = try Sockets.closedEndpoint()
            let echo = try BackendServer(.echo)
            let toDead = Endpoint.loopback(try Sockets.freePort())
            let toLive = Endpoint.loopback(try Sockets.freePort())
            let config = Conf.global()
                + Conf.listener("to-dead", bind: toDead, pool: "dead")
                + Conf.listener("to-live", bind: toLive, pool: "live")
                + Conf.pool("dead", servers: ["d1 \(dead1)", "d2 \(dead2)"], ["retries 1", "connect-timeout 1s"])
                + Conf.pool("live", servers: ["e1 \(echo.endpoint)"])
            let proxy = try ProxyProcess(config: config, listening: [toDead, toLive], keepingAlive: [echo])

            for index in 0..<3 {
                let client = try proxy.connect(toDead, ioTimeout: 5)
                let start = monotonicNow()
                let outcome = client.waitForClose(timeout: 5)
                let elapsed = monotonicNow() - start
                #expect(outcome.isClosed, "connection #\(index) to the dead pool: \(outcome)\n\(proxy.stderrTail)")
                #expect(elapsed < 3, "connection #\(index) closed only after \(elapsed) s")
            }
            #expect(proxy.isAlive, "the proxy died\n\(proxy.stderrTail)")
            let client = try proxy.connect(toLive, ioTimeout: 5)
            let payload = Payload.random(count: 4096, seed: 99)
            expectSameBytes(try client.roundTrip(payload), payload, "live listener after the dead pool\n\(proxy.stderrTail)")
        }
    }
}
