/// How a pool spreads new connections over its servers.
public enum BalancingAlgorithm: Sendable, Equatable, CaseIterable {
    case roundRobin
    case leastConnections
    case randomTwo
    case sourceHash
    case maglev

    /// The algorithm needs the client's address.
    public var hashesClientAddress: Bool { self == .sourceHash || self == .maglev }
}
