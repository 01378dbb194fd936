@testable import ProxyRuntime
import Testing

@Suite struct TimerWheelTests {
    private func drain(_ wheel: TimerWheel, upTo now: Int64) -> [Int32] {
        var expired: [Int32] = []
        while let item = wheel.popExpired(upToMilliseconds: now) { expired.append(item) }
        return expired
    }

    @Test func itemsExpireOnlyOnceTheirTickIsDue() {
        let wheel = TimerWheel(capacity: 8, tickMilliseconds: 100, bucketCount: 64, nowMilliseconds: 1_000)
        wheel.schedule(1, atMilliseconds: 1_500)
        wheel.schedule(2, atMilliseconds: 1_900)
        #expect(drain(wheel, upTo: 1_400).isEmpty)
        #expect(drain(wheel, upTo: 1_550) == [1])
        #expect(drain(wheel, upTo: 1_850).isEmpty)
        #expect(drain(wheel, upTo: 2_000) == [2])
    }

    @Test func cancelledItemsNeverExpire() {
        let wheel = TimerWheel(capacity: 8, tickMilliseconds: 100, bucketCount: 64, nowMilliseconds: 0)
        for item in Int32(0)..<5 { wheel.schedule(item, atMilliseconds: 500) }
        wheel.cancel(2)
        wheel.cancel(0)
        #expect(Set(drain(wheel, upTo: 600)) == [1, 3, 4])
    }

    @Test func reschedulingMovesAnItem() {
        let wheel = TimerWheel(capacity: 8, tickMilliseconds: 100, bucketCount: 64, nowMilliseconds: 0)
        wheel.schedule(3, atMilliseconds: 300)
        wheel.schedule(3, atMilliseconds: 2_000)
        #expect(drain(wheel, upTo: 1_000).isEmpty)
        #expect(drain(wheel, upTo: 2_000) == [3])
    }

    @Test func deadlinesPastTheHorizonFireAtItAndCanBeFiledAgain() {
        let wheel = TimerWheel(capacity: 4, tickMilliseconds: 10, bucketCount: 16, nowMilliseconds: 0)
        wheel.schedule(1, atMilliseconds: 1_000)  // the horizon is 15 ticks: 150 ms
        var firings: [Int64] = []
        var now: Int64 = 0
        while now < 1_100 {
            now += 10
            for item in drain(wheel, upTo: now) {
                #expect(item == 1)
                firings.append(now)
                if now < 1_000 { wheel.schedule(item, atMilliseconds: 1_000) }
            }
        }
        #expect(firings.first == 150)
        #expect(firings.last == 1_000)
        #expect(firings.count <= 10)
    }

    @Test func rescheduleWhileDrainingTerminates() {
        let wheel = TimerWheel(capacity: 4, tickMilliseconds: 100, bucketCount: 8, nowMilliseconds: 0)
        wheel.schedule(0, atMilliseconds: 100)
        var pops = 0
        while let item = wheel.popExpired(upToMilliseconds: 250) {
            pops += 1
            wheel.schedule(item, atMilliseconds: 250)  // due now: must land in a later tick
            if pops > 10 { break }
        }
        #expect(pops == 1)
        #expect(drain(wheel, upTo: 450) == [0])
    }
}
