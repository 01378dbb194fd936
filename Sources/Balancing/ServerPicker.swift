/// What the balancer knows of one server of a pool.
public struct BalancedServer: Sendable, Equatable {
    public var weight: Int
    public var isBackup: Bool

    public init(weight: Int, isBackup: Bool = false) {
        self.weight = weight
        self.isBackup = isBackup
    }
}

/// Chooses the server for a new connection within one pool.
///
/// Backups are candidates only while no primary server is up. `isUp` comes
/// from health checking; `isExcluded` lets a connection that failed to connect
/// skip servers it already tried. One picker per reactor: no shared state.
public struct ServerPicker: Sendable {
    public let servers: [BalancedServer]
    private var rotation: SmoothWeightedRoundRobin

    public init(servers: [BalancedServer]) {
        self.servers = servers
        self.rotation = SmoothWeightedRoundRobin(weights: servers.map(\.weight))
    }

    public mutating func pick(isUp: (Int) -> Bool, isExcluded: (Int) -> Bool) -> Int? {
        let candidates = servers
        let primaryIsUp = candidates.indices.contains { !candidates[$0].isBackup && isUp($0) }
        return rotation.next { index in
            candidates[index].isBackup != primaryIsUp && isUp(index) && !isExcluded(index)
        }
    }
}
