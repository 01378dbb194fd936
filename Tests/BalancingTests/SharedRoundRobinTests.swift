import Balancing
import Testing

@Suite struct SharedRoundRobinTests {
    private func pick(_ picker: inout ServerPicker, isUp: (Int) -> Bool = { _ in true },
                      isExcluded: (Int) -> Bool = { _ in false }) -> Int? {
        picker.pick(client: client(0), isUp: isUp, isExcluded: isExcluded, activeConnections: { _ in 0 })
    }

    @Test func pickersOfSeveralReactorsTogetherFollowOneSmoothCycle() {
        // Three reactors' pickers sharing one rotation, picking in an irregular
        // order, as the kernel spreads clients: together they give exactly the
        // single-rotation sequence (a a b a c a a for 5,1,1), not one cycle each.
        let pool = servers(weights: [5, 1, 1])
        let rotation = SharedRoundRobin(servers: pool)
        var pickers = (0..<3).map { ServerPicker(servers: pool, algorithm: .roundRobin, randomSeed: UInt64($0),
                                                 rotation: rotation) }
        let picks = (0..<70).map { _ in pick(&pickers[Int.random(in: 0..<3)])! }
        let cycle = [0, 0, 1, 0, 2, 0, 0]
        #expect(picks == Array((0..<10).map { _ in cycle }.joined()))
    }

    @Test func aServerThatCannotTakeConnectionsLeavesTheOthersInProportion() {
        var picker = ServerPicker(servers: servers(weights: [2, 1, 1]), algorithm: .roundRobin, randomSeed: 0)
        var counts = [0, 0, 0]
        for _ in 0..<30 { counts[pick(&picker, isUp: { $0 != 1 })!] += 1 }
        #expect(counts == [20, 0, 10])
        // The cycle is a b c a; 30 picks used up 10 of them. A server this
        // connection already tried is passed over the same way.
        #expect(pick(&picker, isExcluded: { $0 == 0 }) == 1)
    }

    @Test func backupsTakeTurnsInACycleOfTheirOwn() {
        let pool = servers(weights: [1, 1, 3, 1], backups: [2, 3])
        var picker = ServerPicker(servers: pool, algorithm: .roundRobin, randomSeed: 0)
        let primariesDown = (0..<8).map { _ in pick(&picker, isUp: { $0 >= 2 })! }
        #expect(primariesDown == [2, 2, 3, 2, 2, 2, 3, 2])
        let primariesBack = (0..<4).map { _ in pick(&picker)! }
        #expect(primariesBack == [0, 1, 0, 1])
    }

    @Test func aLoneEligibleServerInALargePoolIsStillFound() {
        // 200 equal servers, one up: the shared draws (64 at most) mostly miss
        // it, and the picker's own rotation finds it.
        var picker = ServerPicker(servers: servers(weights: Array(repeating: 1, count: 200)), algorithm: .roundRobin,
                                  randomSeed: 0)
        for _ in 0..<20 { #expect(pick(&picker, isUp: { $0 == 150 }) == 150) }
        #expect(pick(&picker, isUp: { _ in false }) == nil)
    }
}
