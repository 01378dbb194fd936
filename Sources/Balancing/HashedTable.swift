/// A lookup table from a client hash to a server index. When the server a
/// hash lands on cannot take the connection (down, or already tried by this
/// connection), the walk goes on to the next entries, so only that server's
/// clients move, each to the same place every time.
struct HashedTable: Sendable {
    let entries: [Int32]

    func server(for hash: UInt64, isEligible: (Int) -> Bool) -> Int? {
        guard !entries.isEmpty else { return nil }
        let start = Int(hash % UInt64(entries.count))
        var index = start
        repeat {
            let server = Int(entries[index])
            if isEligible(server) { return server }
            index = index + 1 == entries.count ? 0 : index + 1
        } while index != start
        return nil
    }

    /// source-hash: each server weight times, in smooth weighted round-robin
    /// order so that neighbouring entries (the fallbacks) are different servers.
    static func weighted(members: [Int], weights: [Int]) -> HashedTable {
        HashedTable(entries: SmoothWeightedRoundRobin.cycle(of: members, weights: weights))
    }
}
