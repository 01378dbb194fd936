// SPEC §2 addresses: IPv6 binds and servers; a server given by host name.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Addresses")
    struct Addresses {
        static let hasIPv6Loopback = Sockets.canBind(host: "::1")

        @Test(
            "IPv6: listener on [::1] forwarding to a server on [::1]", .timeLimit(.minutes(1)),
            .enabled(if: hasIPv6Loopback, "::1 is not configured on this machine"))
        func ipv6() throws {
            let echo = try BackendServer(.echo, host: "::1")
            let proxy = try ProxyProcess.forwarding(to: [echo], listenHost: "::1")
            let client = try proxy.connect(ioTimeout: 5)
            let payload = Payload.random(count: 100_000, seed: 6)
            expectSameBytes(try client.roundTrip(payload), payload, "over IPv6\n\(proxy.stderrTail)")
            #expect(echo.acceptedConnections == 1)
        }

        @Test("a server given by host name: localhost:PORT", .timeLimit(.minutes(1)))
        func hostName() throws {
            // localhost may resolve to 127.0.0.1 or ::1: serve the same port on both where possible.
            var backends = [try BackendServer(.echo)]
            if Self.hasIPv6Loopback {
                for _ in 0..<20 where backends.count == 1 {
                    if let v6 = try? BackendServer(.echo, host: "::1", port: backends[0].endpoint.port) {
                        backends.append(v6)
                    } else {
                        backends = [try BackendServer(.echo)]  // port taken on ::1: try another
                    }
                }
            }
            let port = backends[0].endpoint.port
            let proxy = try ProxyProcess.forwarding(to: ["named localhost:\(port)"], keepingAlive: backends)
            for index in 0..<2 {
                let client = try proxy.connect(ioTimeout: 5)
                let payload = Payload.random(count: 5000, seed: UInt64(index + 100))
                do {
                    expectSameBytes(try client.roundTrip(payload), payload, "via localhost:\(port)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("connection #\(index) via localhost:\(port): \(error)\n\(proxy.stderrTail)")
                }
            }
            #expect(backends.map(\.acceptedConnections).reduce(0, +) == 2)
        }
    }
}
