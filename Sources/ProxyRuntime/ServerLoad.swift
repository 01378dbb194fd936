import Synchronization

/// Connections assigned to one server (connecting or established) by every
/// reactor, for least-connections and random-two, so that a pick sees the
/// whole load however clients are spread over reactors. Touched once when a
/// connection is assigned and once when it ends, never per byte.
final class ServerLoad: Sendable {
    private let assigned = Atomic<Int>(0)

    @inline(__always)
    var active: Int { assigned.load(ordering: .relaxed) }

    @inline(__always)
    func add(_ delta: Int) {
        assigned.wrappingAdd(delta, ordering: .relaxed)
    }
}
