import Synchronization

/// What the proxy knows of one server's health from real traffic, shared by
/// every reactor (written only when a connect fails or a server comes back,
/// read once per candidate when a server is picked).
///
/// A server is up at start. `fall` failed connects in a row take it out of
/// rotation for `retryAfter`; then it is tried again with real traffic (as
/// nginx's max_fails/fail_timeout do) and leaves rotation again if it still
/// fails. Active checks (`health-check`) are not supported yet.
final class ServerHealth: Sendable {
    let fall: Int
    let retryAfterMilliseconds: Int64
    private let consecutiveFailures = Atomic<Int>(0)
    private let downUntilMilliseconds = Atomic<Int64>(0)
    /// Set when the server was taken out of rotation, cleared by the first
    /// reactor that sees it back, which logs the change.
    private let outOfRotation = Atomic<Bool>(false)

    init(fall: Int, retryAfterMilliseconds: Int64) {
        self.fall = fall
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    @inline(__always)
    func isUp(atMilliseconds now: Int64) -> Bool {
        downUntilMilliseconds.load(ordering: .relaxed) <= now
    }

    /// True once for the caller that first sees a server back after being out of rotation.
    func claimReturn(atMilliseconds now: Int64) -> Bool {
        isUp(atMilliseconds: now)
            && outOfRotation.load(ordering: .relaxed)
            && outOfRotation.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged
    }

    func connectSucceeded() {
        if consecutiveFailures.load(ordering: .relaxed) != 0 {
            consecutiveFailures.store(0, ordering: .relaxed)
        }
    }

    /// Counts a failed connect. True only for the failure that takes the
    /// server out of rotation when it was in: one "down" to log per outage.
    /// - Connects picked before the server went down fail after it did, in a
    ///   burst: while it is down they change nothing.
    /// - Reactors reaching `fall` at once race for the mark; one wins.
    /// - Failing again when tried after `retryAfter`, before any reactor saw
    ///   it back, it goes down again without a second "down".
    func connectFailed(atMilliseconds now: Int64) -> Bool {
        let downUntil = downUntilMilliseconds.load(ordering: .relaxed)
        guard downUntil <= now,
              consecutiveFailures.wrappingAdd(1, ordering: .relaxed).newValue >= fall,
              downUntilMilliseconds.compareExchange(
                  expected: downUntil, desired: now + retryAfterMilliseconds, ordering: .relaxed).exchanged
        else { return false }
        consecutiveFailures.store(0, ordering: .relaxed)
        return !outOfRotation.exchange(true, ordering: .relaxed)
    }
}
