/// Walker's alias method (Vose's construction, in integers): after an O(n)
/// build, each draw picks index i with probability weight[i] / total in O(1),
/// from one column and one coin.
struct AliasTable: Sendable {
    /// Column i keeps i when the coin (below `total`) falls under `threshold[i]`,
    /// else gives `alias[i]`.
    private let threshold: [Int]
    private let alias: [Int]
    private let total: Int

    /// `weights` must all be positive.
    init(weights: [Int]) {
        let count = weights.count
        let sum = weights.reduce(0, +)
        // Scaled by the count, every column holds exactly `sum`.
        var scaled = weights.map { $0 * count }
        var threshold = [Int](repeating: sum, count: count)
        var alias = Array(0..<count)
        var small = scaled.indices.filter { scaled[$0] < sum }
        var large = scaled.indices.filter { scaled[$0] >= sum }
        // Each step settles one column and takes exactly `sum` from the rest,
        // so `large` cannot run out while `small` still has a column: the
        // pair of pops never drops one.
        while let lacking = small.popLast(), let giving = large.popLast() {
            threshold[lacking] = scaled[lacking]
            alias[lacking] = giving
            scaled[giving] -= sum - scaled[lacking]
            if scaled[giving] < sum { small.append(giving) } else { large.append(giving) }
        }
        self.threshold = threshold
        self.alias = alias
        total = sum
    }

    /// An index drawn by weight, from two random numbers.
    func draw(column random: UInt64, coin: UInt64) -> Int {
        let column = Int(random % UInt64(threshold.count))
        return Int(coin % UInt64(total)) < threshold[column] ? column : alias[column]
    }
}
