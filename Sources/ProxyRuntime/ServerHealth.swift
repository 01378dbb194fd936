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

    /// Counts a failed connect; true when it took the server out of rotation.
    func connectFailed(atMilliseconds now: Int64) -> Bool {
        guard consecutiveFailures.wrappingAdd(1, ordering: .relaxed).newValue >= fall else { return false }
        consecutiveFailures.store(0, ordering: .relaxed)
        downUntilMilliseconds.store(now + retryAfterMilliseconds, ordering: .relaxed)
        outOfRotation.store(true, ordering: .relaxed)
        return true
    }
}
