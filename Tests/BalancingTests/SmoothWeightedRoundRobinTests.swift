import Balancing
import Testing

@Suite struct SmoothWeightedRoundRobinTests {
    private func sequence(_ weights: [Int], picks: Int) -> [Int] {
        var rotation = SmoothWeightedRoundRobin(weights: weights)
        return (0..<picks).map { _ in rotation.next { _ in true }! }
    }

    @Test func weightsFiveOneOneInterleave() {
        // a a b a c a a: the nginx reference sequence.
        #expect(sequence([5, 1, 1], picks: 7) == [0, 0, 1, 0, 2, 0, 0])
    }

    @Test func equalWeightsAlternate() {
        #expect(sequence([1, 1, 1], picks: 6) == [0, 1, 2, 0, 1, 2])
    }

    @Test func eachCycleGivesExactShares() {
        let weights = [3, 1, 2, 7]
        let cycle = weights.reduce(0, +)
        let picks = sequence(weights, picks: cycle * 4)
        for start in stride(from: 0, to: picks.count, by: cycle) {
            let window = picks[start..<start + cycle]
            for (index, weight) in weights.enumerated() {
                #expect(window.filter { $0 == index }.count == weight)
            }
        }
    }

    @Test func heavyServerIsNeverPickedMoreThanTwiceInARowForWeightsThreeOneOne() {
        #expect(sequence([3, 1, 1], picks: 5) == [0, 1, 0, 2, 0])
    }

    @Test func ineligibleServersAreSkipped() {
        var rotation = SmoothWeightedRoundRobin(weights: [1, 1, 1])
        let picks = (0..<4).map { _ in rotation.next { $0 != 1 }! }
        #expect(!picks.contains(1))
        #expect(Set(picks) == [0, 2])
        #expect(rotation.next { _ in false } == nil)
    }
}

