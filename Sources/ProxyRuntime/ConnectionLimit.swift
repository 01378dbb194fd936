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

    /// Takes a place if one is free.
    func tryAcquire() -> Bool {
        if active.wrappingAdd(1, ordering: .relaxed).newValue <= limit { return true }
        active.wrappingSubtract(1, ordering: .relaxed)
        return false
    }

    func release() {
        active.wrappingSubtract(1, ordering: .relaxed)
    }
}
