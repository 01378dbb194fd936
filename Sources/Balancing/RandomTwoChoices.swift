/// The power of two random choices: draw two different eligible servers
/// (each with probability proportional to its weight) and take the one with
/// fewer active connections relative to weight. Nearly as even as
/// least-connections, without every reactor herding onto the same server.
///
/// Draws come from an alias table over the whole pool and are retried when
/// they land on a server that cannot take the connection (rejection
/// sampling: still exactly proportional to weight among the eligible ones),
/// so a pick costs O(1) while most servers are eligible; after
/// `drawsBeforeScan` misses it falls back to one weighted scan of the pool.
struct RandomTwoChoices: Sendable {
    private var random: SplitMix64
    private let table: AliasTable
    static let drawsBeforeScan = 16

    init(weights: [Int], seed: UInt64) {
        random = SplitMix64(seed: seed)
        table = AliasTable(weights: weights)
    }

    mutating func pick(weights: [Int], isEligible: (Int) -> Bool, activeConnections: (Int) -> Int) -> Int? {
        guard let first = draw(weights: weights, isEligible: isEligible, skipping: -1) else { return nil }
        guard let second = draw(weights: weights, isEligible: isEligible, skipping: first) else { return first }
        let firstLoad = activeConnections(first) * weights[second]
        let secondLoad = activeConnections(second) * weights[first]
        return secondLoad < firstLoad ? second : first
    }

    /// An eligible server other than `skipping`, with probability weight / total
    /// among those; nil if there is none.
    private mutating func draw(weights: [Int], isEligible: (Int) -> Bool, skipping: Int) -> Int? {
        guard !table.isEmpty else { return nil }
        for _ in 0..<Self.drawsBeforeScan {
            let index = table.draw(column: random.next(), coin: random.next())
            if index != skipping && isEligible(index) { return index }
        }
        var total = 0
        for index in weights.indices where index != skipping && isEligible(index) { total += weights[index] }
        guard total > 0 else { return nil }
        var target = Int(random.next() % UInt64(total))
        for index in weights.indices where index != skipping && isEligible(index) {
            if target < weights[index] { return index }
            target -= weights[index]
        }
        return nil
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014): the system
/// generator would cost a syscall or a lock per draw.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        defer { state &+= 0x9e37_79b9_7f4a_7c15 }
        return StableHash.mix(state)
    }
}
