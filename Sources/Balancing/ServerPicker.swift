/// Chooses the server for a new connection within one pool.
///
/// Candidates are the primaries that are up, or, while no primary is up, the
/// backups that are up; `isExcluded` removes the servers this connection
/// already tried. One picker per reactor and pool: no shared state, no locks.
/// `activeConnections` is the reactor's own count per server: with clients
/// spread over reactors by SO_REUSEPORT, each reactor's share of the load
/// mirrors the whole, and nothing on the hot path touches another core's
/// cache lines.
public struct ServerPicker: Sendable {
    public let servers: [BalancedServer]
    public let algorithm: BalancingAlgorithm
    private let weights: [Int]
    private var rotation: SmoothWeightedRoundRobin
    private var leastConnections = LeastConnections()
    private var randomTwo: RandomTwoChoices
    /// For the hashing algorithms: one table over the primaries, one over the backups.
    private let primaryTable: HashedTable
    private let backupTable: HashedTable

    public init(servers: [BalancedServer], algorithm: BalancingAlgorithm, randomSeed: UInt64) {
        self.servers = servers
        self.algorithm = algorithm
        weights = servers.map(\.weight)
        rotation = SmoothWeightedRoundRobin(weights: weights)
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
        let isEligible = { (index: Int) in
            candidates[index].isBackup != primaryIsUp && isUp(index) && !isExcluded(index)
        }
        switch algorithm {
        case .roundRobin:
            return rotation.next(where: isEligible)
        case .leastConnections:
            return leastConnections.pick(weights: weights, isEligible: isEligible, activeConnections: activeConnections)
        case .randomTwo:
            return randomTwo.pick(fromBackups: !primaryIsUp, isEligible: isEligible, activeConnections: activeConnections)
        case .sourceHash, .maglev:
            return (primaryIsUp ? primaryTable : backupTable).server(for: client.hash, isEligible: isEligible)
        }
    }
}
