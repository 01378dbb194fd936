/// Fewest active connections relative to weight (active / weight, compared
/// by cross-multiplication). The scan starts after the last server picked,
/// so ties rotate and a burst of new connections spreads over equally loaded
/// servers instead of piling onto the first one.
struct LeastConnections: Sendable {
    private var start = 0

    mutating func pick(weights: [Int], isEligible: (Int) -> Bool, activeConnections: (Int) -> Int) -> Int? {
        let count = weights.count
        var best = -1
        var bestActive = 0
        for offset in 0..<count {
            let index = (start + offset) % count
            guard isEligible(index) else { continue }
            let active = activeConnections(index)
            if best < 0 || active * weights[best] < bestActive * weights[index] {
                best = index
                bestActive = active
            }
        }
        guard best >= 0 else { return nil }
        start = (best + 1) % count
        return best
    }
}
