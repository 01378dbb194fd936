/// The power of two random choices: draw two different eligible servers
/// (each with probability proportional to its weight) and take the one with
/// fewer active connections relative to weight. Nearly as even as
/// least-connections, without every reactor herding onto the same server.
struct RandomTwoChoices: Sendable {
    private var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func pick(weights: [Int], isEligible: (Int) -> Bool, activeConnections: (Int) -> Int) -> Int? {
        var total = 0
        for index in weights.indices where isEligible(index) { total += weights[index] }
        guard total > 0, let first = draw(weights: weights, total: total, isEligible: isEligible, skipping: -1) else {
            return nil
        }
        let remaining = total - weights[first]
        guard remaining > 0,
              let second = draw(weights: weights, total: remaining, isEligible: isEligible, skipping: first) else {
            return first
        }
        let firstLoad = activeConnections(first) * weights[second]
        let secondLoad = activeConnections(second) * weights[first]
        return secondLoad < firstLoad ? second : first
    }

    /// A server drawn with probability weight / total among the eligible ones but `skipping`.
    private mutating func draw(weights: [Int], total: Int, isEligible: (Int) -> Bool, skipping: Int) -> Int? {
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
