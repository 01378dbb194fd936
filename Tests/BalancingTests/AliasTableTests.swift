@testable import Balancing
import Testing

@Suite struct AliasTableTests {
    /// Every (column, coin) pair once: each index must come out exactly
    /// weight × column-count times, the exact weighted distribution.
    @Test(arguments: [[1], [3, 1, 2], [1, 1, 1, 1], [256, 1, 7, 1, 1], [5, 2, 9, 4, 4, 1, 30]])
    func everyColumnAndCoinGivesExactWeights(weights: [Int]) {
        let table = AliasTable(weights: weights)
        let total = weights.reduce(0, +)
        var counts = [Int](repeating: 0, count: weights.count)
        for column in 0..<weights.count {
            for coin in 0..<total {
                counts[table.draw(column: UInt64(column), coin: UInt64(coin))] += 1
            }
        }
        #expect(counts == weights.map { $0 * weights.count })
    }
}
