import Synchronization

/// A count of open client connections shared by all reactors, with a ceiling.
///
/// Touched once per accepted and once per closed connection, never per byte.
final class ConnectionLimit: Sendable {
    let limit: Int
    private let active = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    var current: Int { active.load(ordering: .relaxed) }

    /// Takes a place if one is free. Compare-and-swap, not add-then-undo:
    /// an add past the limit, until undone, would make another reactor turn
    /// a client away while a place was free.
    func tryAcquire() -> Bool {
        var current = active.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, seen) = active.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = seen
        }
        return false
    }

    func release() {
        active.wrappingSubtract(1, ordering: .relaxed)
    }
}
