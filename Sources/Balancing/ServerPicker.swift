/// Chooses the server for a new connection within one pool.
///
/// Candidates are the primaries that are up, or, while no primary is up, the
/// backups that are up; `isExcluded` removes the servers this connection
/// already tried. One picker per reactor and pool, no locks: what must be
/// exact across reactors is shared through atomics, the round-robin position
/// (`SharedRoundRobin`, passed in) and `activeConnections` (the caller's
/// counts); the tables of the hashing algorithms are the same in every
/// reactor by construction.
public struct ServerPicker: Sendable {
    public let servers: [BalancedServer]
    public let algorithm: BalancingAlgorithm
    private let weights: [Int]
    private let sharedRotation: SharedRoundRobin?
    /// This reactor's own rotation over the eligible servers, for when the
    /// shared cycle's draws find none (most of the pool unable to take one).
    private var localRotation: SmoothWeightedRoundRobin
    private var leastConnections = LeastConnections()
    private var randomTwo: RandomTwoChoices
    /// For the hashing algorithms: one table over the primaries, one over the backups.
    private let primaryTable: HashedTable
    private let backupTable: HashedTable

    /// `rotation` is the round-robin position shared by the pool's pickers in
    /// every reactor; without one (round-robin only), the picker has its own.
    public init(servers: [BalancedServer], algorithm: BalancingAlgorithm, randomSeed: UInt64,
                rotation: SharedRoundRobin? = nil) {
        self.servers = servers
        self.algorithm = algorithm
        weights = servers.map(\.weight)
        sharedRotation = algorithm == .roundRobin ? rotation ?? SharedRoundRobin(servers: servers) : nil
        localRotation = SmoothWeightedRoundRobin(weights: weights)
        randomTwo = RandomTwoChoices(weights: weights, isBackup: servers.map(\.isBackup), seed: randomSeed)
        let primaries = servers.indices.filter { !servers[$0].isBackup }
        let backups = servers.indices.filter { servers[$0].isBackup }
        switch algorithm {
        case .sourceHash:
            primaryTable = .weighted(members: primaries, weights: weights)
            backupTable = .weighted(members: backups, weights: weights)
        case .maglev:
            let names = servers.map(\.name)
            primaryTable = MaglevTable.build(members: primaries, names: names, weights: weights)
            backupTable = MaglevTable.build(members: backups, names: names, weights: weights)
        case .roundRobin, .leastConnections, .randomTwo:
            primaryTable = HashedTable(entries: [])
            backupTable = HashedTable(entries: [])
        }
    }

    public mutating func pick(client: ClientKey, isUp: (Int) -> Bool, isExcluded: (Int) -> Bool,
                              activeConnections: (Int) -> Int) -> Int? {
        let candidates = servers
        let primaryIsUp = candidates.indices.contains { !candidates[$0].isBackup && isUp($0) }
        // A local function, not a closure in a `let`: that closure's context
        // was allocated on the heap at every pick (37 against 16 ns per
        // source-hash pick in balancing-bench).
        func isEligible(_ index: Int) -> Bool {
            candidates[index].isBackup != primaryIsUp && isUp(index) && !isExcluded(index)
        }
        switch algorithm {
        case .roundRobin:
            if let server = sharedRotation?.next(fromBackups: !primaryIsUp, where: isEligible) { return server }
            return localRotation.next(where: isEligible)
        case .leastConnections:
            return leastConnections.pick(weights: weights, isEligible: isEligible, activeConnections: activeConnections)
        case .randomTwo:
            return randomTwo.pick(fromBackups: !primaryIsUp, isEligible: isEligible, activeConnections: activeConnections)
        case .sourceHash, .maglev:
            return (primaryIsUp ? primaryTable : backupTable).server(for: client.hash, isEligible: isEligible)
        }
    }
}
