import Foundation
import ProxyConfig
import Testing

@Suite struct ScaleTests {
    private func poolText(servers: Int) -> String {
        "listener web\n    bind 127.0.0.1:8080\n    pool app\npool app\n"
            + (0..<servers).map { "    server s\($0) 127.0.\($0 / 250).\($0 % 250 + 1):80\n" }.joined()
    }

    /// CPU time of this thread, not wall time: a busy machine preempts a
    /// long parse more often than a short one, which skewed their ratio.
    private func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func secondsToParse(_ text: String) -> Double {
        let start = threadCPUSeconds()
        var parsedServers = 0
        if case .success(let config) = ConfigLoader.parse(text, path: "proxy.conf") {
            parsedServers = config.pools[0].servers.count
        }
        let elapsed = threadCPUSeconds() - start
        #expect(parsedServers > 0)
        return elapsed
    }

    @Test("parsing time grows linearly with the servers of a pool, not with their square")
    func largePoolsParseInLinearTime() {
        let small = poolText(servers: 2_000)
        let large = poolText(servers: 16_000)
        _ = secondsToParse(small)  // warm up
        // Eight times the servers: 8.0 to 8.4 times the time measured here,
        // also beside a full test run; 33 to 34 on the quadratic parser (each
        // server line copied the pool's arrays). Best of three runs each.
        let smallTime = (0..<3).map { _ in secondsToParse(small) }.min()!
        let largeTime = (0..<3).map { _ in secondsToParse(large) }.min()!
        #expect(largeTime / smallTime < 16, "2,000 servers: \(smallTime) s, 16,000: \(largeTime) s")
    }
}
