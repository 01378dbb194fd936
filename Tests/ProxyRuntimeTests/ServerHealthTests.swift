@testable import ProxyRuntime
import Testing

@Suite struct ServerHealthTests {
    @Test func aBurstOfFailuresTakesTheServerDownOnce() {
        let health = ServerHealth(fall: 3, retryAfterMilliseconds: 2000)
        // 40 connects picked while it was up all fail within a millisecond.
        let marks = (0..<40).filter { _ in health.connectFailed(atMilliseconds: 1000) }
        #expect(marks.count == 1)
        #expect(!health.isUp(atMilliseconds: 1000))
        // Failures while down do not push the retry back.
        _ = health.connectFailed(atMilliseconds: 2500)
        #expect(health.isUp(atMilliseconds: 3000))
    }

    @Test func failingAgainWhenRetriedIsNoNewOutageUntilSeenBack() {
        let health = ServerHealth(fall: 3, retryAfterMilliseconds: 2000)
        #expect((0..<3).map { _ in health.connectFailed(atMilliseconds: 0) } == [false, false, true])
        // Retried at 2000 and still failing: down again, but not a new outage to log.
        #expect((0..<3).map { _ in health.connectFailed(atMilliseconds: 2000) } == [false, false, false])
        #expect(!health.isUp(atMilliseconds: 2000))
        // Seen back (and logged so) once the retry time has passed; the next outage is logged.
        #expect(health.claimReturn(atMilliseconds: 4000))
        #expect(!health.claimReturn(atMilliseconds: 4000))
        #expect((0..<3).map { _ in health.connectFailed(atMilliseconds: 4000) } == [false, false, true])
    }

    @Test func aSuccessResetsTheCount() {
        let health = ServerHealth(fall: 3, retryAfterMilliseconds: 2000)
        _ = health.connectFailed(atMilliseconds: 0)
        _ = health.connectFailed(atMilliseconds: 0)
        health.connectSucceeded()
        #expect((0..<2).map { _ in health.connectFailed(atMilliseconds: 0) } == [false, false])
        #expect(health.isUp(atMilliseconds: 0))
    }
}
