/// Maglev consistent hashing (Eisenbud et al., NSDI 2016).
///
/// Each server walks its own permutation of the table's slots, fixed by two
/// hashes of its name, and the servers take turns claiming their next free
/// slot, a server of weight w taking w turns for every turn of the heaviest.
/// Removing one of N servers frees only its own slots (about 1/N of clients
/// move), lookups are one array read, and since nothing depends on a
/// per-process seed, every proxy with the same server list builds the same
/// table.
enum MaglevTable {
    /// At least 65537 slots, and 100 per server so that shares stay within a
    /// few percent of the weights.
    static func size(forServers count: Int) -> Int {
        var candidate = max(65_537, 100 * count)
        while !isPrime(candidate) { candidate += 1 }
        return candidate
    }

    static func build(members: [Int], names: [String], weights: [Int]) -> HashedTable {
        guard !members.isEmpty else { return HashedTable(entries: []) }
        let size = Self.size(forServers: members.count)
        let offsets = members.map { Int(StableHash.of(names[$0], seed: 0x6d61_676c) % UInt64(size)) }
        let skips = members.map { Int(StableHash.of(names[$0], seed: 0x736b_6970) % UInt64(size - 1)) + 1 }
        let heaviest = members.map { weights[$0] }.max()!
        var nextChoice = [Int](repeating: 0, count: members.count)
        var credit = [Int](repeating: 0, count: members.count)
        var entries = [Int32](repeating: -1, count: size)
        var filled = 0
        while true {
            for member in members.indices {
                credit[member] += weights[members[member]]
                guard credit[member] >= heaviest else { continue }
                credit[member] -= heaviest
                var slot = (offsets[member] + nextChoice[member] * skips[member]) % size
                while entries[slot] >= 0 {
                    nextChoice[member] += 1
                    slot = (offsets[member] + nextChoice[member] * skips[member]) % size
                }
                entries[slot] = Int32(members[member])
                nextChoice[member] += 1
                filled += 1
                if filled == size { return HashedTable(entries: entries) }
            }
        }
    }

    private static func isPrime(_ number: Int) -> Bool {
        guard number >= 2 else { return false }
        var divisor = 2
        while divisor * divisor <= number {
            if number % divisor == 0 { return false }
            divisor += 1
        }
        return true
    }
}
