/// Smooth weighted round robin (the algorithm of nginx's upstream module).
///
/// Each pick adds every eligible server's weight to its running score, takes
/// the highest score and lowers it by the eligible total. Over a cycle each
/// server is picked exactly its weight's share of times, interleaved:
/// weights 5,1,1 give a a b a c a a, not a a a a a b c.
public struct SmoothWeightedRoundRobin: Sendable {
    public let weights: [Int]
    private var scores: [Int]

    public init(weights: [Int]) {
        precondition(weights.allSatisfy { $0 > 0 }, "weights must be positive")
        self.weights = weights
        self.scores = Array(repeating: 0, count: weights.count)
    }

    /// The next server among those `isEligible` accepts, or nil when it accepts none.
    public mutating func next(where isEligible: (Int) -> Bool) -> Int? {
        var best = -1
        var total = 0
        for index in weights.indices where isEligible(index) {
            scores[index] += weights[index]
            total += weights[index]
            if best < 0 || scores[index] > scores[best] { best = index }
        }
        guard best >= 0 else { return nil }
        scores[best] -= total
        return best
    }

    /// One whole cycle over `members` (server indices): each member its
    /// weight's number of times, in the order the rotation picks them.
    static func cycle(of members: [Int], weights: [Int]) -> [Int32] {
        guard !members.isEmpty else { return [] }
        var rotation = SmoothWeightedRoundRobin(weights: members.map { weights[$0] })
        let total = members.reduce(0) { $0 + weights[$1] }
        return (0..<total).map { _ in Int32(members[rotation.next { _ in true }!]) }
    }
}
