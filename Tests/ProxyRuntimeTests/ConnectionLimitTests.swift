@testable import ProxyRuntime
import Foundation
import Testing

@Suite struct ConnectionLimitTests {
    @Test func takesPlacesUpToTheLimitAndGivesThemBack() {
        let limit = ConnectionLimit(limit: 2)
        #expect(limit.tryAcquire() && limit.tryAcquire())
        #expect(!limit.tryAcquire())
        limit.release()
        #expect(limit.tryAcquire())
        #expect(limit.current == 2)
    }

    @Test("under contention the count never exceeds the limit, so no free place is ever refused")
    func neverCountsPastTheLimit() {
        // Three threads take and give back places of a limit of 2 while a
        // fourth samples the count. A count above the limit (an add undone
        // later) would make a client be refused while a place was free.
        let limit = ConnectionLimit(limit: 2)
        let stop = Date().addingTimeInterval(0.3)
        let workers = (0..<3).map { _ in
            Thread {
                while Date() < stop {
                    if limit.tryAcquire() { limit.release() }
                }
            }
        }
        workers.forEach { $0.start() }
        var highest = 0
        while Date() < stop { highest = max(highest, limit.current) }
        #expect(highest <= 2)
    }
}
