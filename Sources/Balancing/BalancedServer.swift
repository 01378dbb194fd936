/// What the balancer knows of one server of a pool.
public struct BalancedServer: Sendable, Equatable {
    /// Stable identity: consistent hashing places a server by its name, so
    /// every proxy with the same server list builds the same table.
    public var name: String
    public var weight: Int
    public var isBackup: Bool

    public init(name: String, weight: Int, isBackup: Bool = false) {
        precondition(weight > 0, "weights must be positive")
        self.name = name
        self.weight = weight
        self.isBackup = isBackup
    }
}
