import Synchronization

/// Round-robin shared by every reactor of a pool: one cycle of the smooth
/// weighted sequence, computed once, and an atomic position in it. Each pick,
/// whichever reactor makes it, takes the next position, so over a cycle each
/// server gets exactly its weight's share, interleaved, however the kernel
/// spreads clients over the reactors. A pick costs one atomic add: no lock,
/// no scan of the servers.
///
/// A position whose server cannot take the connection (down, or already
/// tried by this connection) is used up and passed over, so the servers that
/// can keep their shares in proportion to their weights. Primaries and
/// backups each have a cycle of their own.
public final class SharedRoundRobin: Sendable {
    private let primaries: [Int32]
    private let backups: [Int32]
    private let primaryPosition = Atomic<UInt64>(0)
    private let backupPosition = Atomic<UInt64>(0)

    /// Positions drawn per pick at most: with most of a group unable to take
    /// connections, the caller's scan finds one sooner.
    static let maxDraws = 64

    public init(servers: [BalancedServer]) {
        let weights = servers.map(\.weight)
        primaries = SmoothWeightedRoundRobin.cycle(
            of: servers.indices.filter { !servers[$0].isBackup }, weights: weights)
        backups = SmoothWeightedRoundRobin.cycle(
            of: servers.indices.filter { servers[$0].isBackup }, weights: weights)
    }

    /// The server at the next position of the group's cycle that `isEligible`
    /// accepts; nil if `maxDraws` positions (or a whole cycle) held none.
    public func next(fromBackups: Bool, where isEligible: (Int) -> Bool) -> Int? {
        fromBackups
            ? Self.draw(from: backups, position: backupPosition, isEligible)
            : Self.draw(from: primaries, position: primaryPosition, isEligible)
    }

    private static func draw(from cycle: [Int32], position: borrowing Atomic<UInt64>,
                             _ isEligible: (Int) -> Bool) -> Int? {
        let length = UInt64(cycle.count)
        for _ in 0..<min(cycle.count, maxDraws) {
            let turn = position.wrappingAdd(1, ordering: .relaxed).oldValue
            let server = Int(cycle[Int(turn % length)])
            if isEligible(server) { return server }
        }
        return nil
    }
}
