import Foundation
import ProxyConfig
import Testing

@Suite struct ScaleTests {
    private func poolText(servers: Int) -> String {
        "listener web\n    bind 127.0.0.1:8080\n    pool app\npool app\n"
            + (0..<servers).map { "    server s\($0) 127.0.\($0 / 250).\($0 % 250 + 1):80\n" }.joined()
    }

    private func secondsToParse(_ text: String) -> Double {
        let clock = ContinuousClock()
        var parsedServers = 0
        let elapsed = clock.measure {
            if case .success(let config) = ConfigLoader.parse(text, path: "proxy.conf") {
                parsedServers = config.pools[0].servers.count
            }
        }
        #expect(parsedServers > 0)
        return Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
    }

    @Test("parsing time grows linearly with the servers of a pool, not with their square")
    func largePoolsParseInLinearTime() {
        let small = poolText(servers: 2_000)
        let large = poolText(servers: 16_000)
        _ = secondsToParse(small)  // warm up
        // Eight times the servers: about 8 times the time when linear, 64 when
        // quadratic (each server line used to copy the pool's arrays). The
        // best of three runs each keeps the machine's noise out.
        let smallTime = (0..<3).map { _ in secondsToParse(small) }.min()!
        let largeTime = (0..<3).map { _ in secondsToParse(large) }.min()!
        #expect(largeTime / smallTime < 16, "2,000 servers: \(smallTime) s, 16,000: \(largeTime) s")
    }
}
