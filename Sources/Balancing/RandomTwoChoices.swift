/// The power of two random choices: draw two different eligible servers
/// (each with probability proportional to its weight) and take the one with
/// fewer active connections relative to weight. Nearly as even as
/// least-connections, without every reactor herding onto the same server.
///
/// In pools of more than `drawsBeforeScan` servers, draws come from an alias
/// table over the group in use (primaries, or backups while no primary is
/// up) and are retried when they land on a server that cannot take the
/// connection (rejection sampling: still exactly proportional to weight
/// among the eligible ones), so a pick costs O(1) while most of the group is
/// eligible; after `drawsBeforeScan` misses in a row, and always in smaller
/// pools, a weighted scan of the group draws instead.
struct RandomTwoChoices: Sendable {
    /// The servers of one group and an alias table over their weights.
    private struct Group: Sendable {
        let members: [Int]
        let table: AliasTable

        init(members: [Int], weights: [Int]) {
            self.members = members
            table = AliasTable(weights: members.map { weights[$0] })
        }
    }

    static let drawsBeforeScan = 16
    private var random: SplitMix64
    private let weights: [Int]
    private let primaries: Group
    private let backups: Group

    init(weights: [Int], isBackup: [Bool], seed: UInt64) {
        random = SplitMix64(seed: seed)
        self.weights = weights
        primaries = Group(members: weights.indices.filter { !isBackup[$0] }, weights: weights)
        backups = Group(members: weights.indices.filter { isBackup[$0] }, weights: weights)
    }

    mutating func pick(fromBackups: Bool, isEligible: (Int) -> Bool, activeConnections: (Int) -> Int) -> Int? {
        guard let first = draw(fromBackups: fromBackups, isEligible: isEligible, skipping: -1) else { return nil }
        guard let second = draw(fromBackups: fromBackups, isEligible: isEligible, skipping: first) else { return first }
        let firstLoad = activeConnections(first) * weights[second]
        let secondLoad = activeConnections(second) * weights[first]
        return secondLoad < firstLoad ? second : first
    }

    private mutating func draw(fromBackups: Bool, isEligible: (Int) -> Bool, skipping: Int) -> Int? {
        // Passed on borrowed, so a pick retains no array.
        fromBackups
            ? Self.draw(from: backups, weights: weights, random: &random, isEligible: isEligible, skipping: skipping)
            : Self.draw(from: primaries, weights: weights, random: &random, isEligible: isEligible, skipping: skipping)
    }

    /// An eligible server of `group` other than `skipping`, with probability
    /// weight / total among those; nil if there is none.
    private static func draw(from group: borrowing Group, weights: borrowing [Int], random: inout SplitMix64,
                             isEligible: (Int) -> Bool, skipping: Int) -> Int? {
        if group.members.count > Self.drawsBeforeScan {
            for _ in 0..<Self.drawsBeforeScan {
                let index = group.members[group.table.draw(column: random.next(), coin: random.next())]
                if index != skipping && isEligible(index) { return index }
            }
        }
        var total = 0
        for index in group.members where index != skipping && isEligible(index) { total += weights[index] }
        guard total > 0 else { return nil }
        var target = Int(random.next() % UInt64(total))
        for index in group.members where index != skipping && isEligible(index) {
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
