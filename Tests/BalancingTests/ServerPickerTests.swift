import Balancing
import Testing

@Suite struct ServerPickerTests {
    @Test(arguments: BalancingAlgorithm.allCases)
    func backupsOnlyWhenNoPrimaryIsUp(algorithm: BalancingAlgorithm) {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1], backups: [2]), algorithm: algorithm, randomSeed: 1)
        for number in 0..<50 {
            let allUp = picker.pick(client: client(number), isUp: { _ in true }, isExcluded: { _ in false },
                                    activeConnections: { _ in 0 })
            #expect(allUp != 2 && allUp != nil)
            let primariesDown = picker.pick(client: client(number), isUp: { $0 == 2 }, isExcluded: { _ in false },
                                            activeConnections: { _ in 0 })
            #expect(primariesDown == 2)
        }
    }

    @Test(arguments: BalancingAlgorithm.allCases)
    func downAndTriedServersAreSkippedAndNeverPickedTwice(algorithm: BalancingAlgorithm) {
        var picker = ServerPicker(servers: servers(weights: [2, 1, 3, 1]), algorithm: algorithm, randomSeed: 2)
        for number in 0..<50 {
            var tried: Set<Int> = []
            while let next = picker.pick(client: client(number), isUp: { $0 != 1 }, isExcluded: { tried.contains($0) },
                                         activeConnections: { _ in 0 }) {
                #expect(next != 1, "a down server was picked")
                #expect(!tried.contains(next), "server \(next) picked twice")
                tried.insert(next)
            }
            #expect(tried == [0, 2, 3])
        }
    }

    @Test func primaryUpButExcludedDoesNotFallToBackup() {
        var picker = ServerPicker(servers: servers(weights: [1, 1], backups: [1]), algorithm: .roundRobin, randomSeed: 0)
        #expect(picker.pick(client: client(0), isUp: { _ in true }, isExcluded: { $0 == 0 },
                            activeConnections: { _ in 0 }) == nil)
    }
}

@Suite struct LeastConnectionsTests {
    @Test func picksTheFewestConnectionsRelativeToWeight() {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1]), algorithm: .leastConnections, randomSeed: 0)
        #expect(picker.pick(active: [5, 0, 3]) == 1)
        var weighted = ServerPicker(servers: servers(weights: [2, 1]), algorithm: .leastConnections, randomSeed: 0)
        #expect(weighted.pick(active: [3, 1]) == 1)  // 1.5 per weight against 1
        #expect(weighted.pick(active: [1, 1]) == 0)  // 0.5 against 1
    }

    @Test func heldConnectionsSpreadByWeight() {
        var picker = ServerPicker(servers: servers(weights: [3, 1, 1]), algorithm: .leastConnections, randomSeed: 0)
        #expect(picker.holdConnections(50, serverCount: 3) == [30, 10, 10])
    }

    @Test func tiesRotateInsteadOfPilingOntoTheFirst() {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1]), algorithm: .leastConnections, randomSeed: 0)
        let idle = [0, 0, 0]
        #expect((0..<6).map { _ in picker.pick(active: idle)! } == [0, 1, 2, 0, 1, 2])
    }
}

@Suite struct RandomTwoTests {
    @Test func heldConnectionsStayEven() {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1, 1]), algorithm: .randomTwo, randomSeed: 7)
        let held = picker.holdConnections(4000, serverCount: 4)
        #expect(held.max()! - held.min()! <= 20, "held connections per server: \(held)")
    }

    @Test func weightsSteerTheDraws() {
        var picker = ServerPicker(servers: servers(weights: [3, 1, 1]), algorithm: .randomTwo, randomSeed: 11)
        let held = picker.holdConnections(5000, serverCount: 3)
        let shares = held.map { Double($0) / 5000 }
        #expect(abs(shares[0] - 0.6) < 0.05 && abs(shares[1] - 0.2) < 0.05, "shares \(shares)")
    }

    /// With equal loads the first server drawn wins, so counting picks
    /// counts draws: they must follow the weights among eligible servers.
    @Test func drawsFollowWeightsAmongEligibleServers() throws {
        var picker = ServerPicker(servers: servers(weights: [3, 1, 1, 5]), algorithm: .randomTwo, randomSeed: 9)
        var counts = [0, 0, 0, 0]
        for _ in 0..<20_000 {
            let picked = picker.pick(client: client(0), isUp: { $0 != 3 }, isExcluded: { _ in false },
                                     activeConnections: { _ in 0 })
            let server = try #require(picked)
            counts[server] += 1
        }
        let shares = counts.map { Double($0) / 20_000 }
        #expect(counts[3] == 0, "a down server was drawn")
        #expect(abs(shares[0] - 0.6) < 0.02 && abs(shares[1] - 0.2) < 0.02 && abs(shares[2] - 0.2) < 0.02,
                "shares \(shares)")
    }

    @Test func theScanOfAMostlyDownPoolKeepsTheWeights() throws {
        // 2 of 300 up: nearly every alias draw misses, so picks come from the scan.
        var weights = Array(repeating: 1, count: 300)
        weights[7] = 3
        var picker = ServerPicker(servers: servers(weights: weights), algorithm: .randomTwo, randomSeed: 4)
        var counts = [7: 0, 150: 0]
        for _ in 0..<8000 {
            let picked = picker.pick(client: client(0), isUp: { $0 == 7 || $0 == 150 }, isExcluded: { _ in false },
                                     activeConnections: { _ in 0 })
            let server = try #require(picked)
            counts[server, default: 0] += 1
        }
        #expect(counts.count == 2, "a down server was drawn: \(counts)")
        #expect(abs(Double(counts[7]!) / 8000 - 0.75) < 0.03, "draws \(counts)")
    }

    @Test func onlyEligibleServersAreDrawnAndByWeight() {
        var picker = ServerPicker(servers: servers(weights: [3, 1, 1]), algorithm: .randomTwo, randomSeed: 5)
        var active = [0, 0, 0]
        for _ in 0..<4000 {
            let server = picker.pick(client: client(0), isUp: { $0 != 2 }, isExcluded: { _ in false },
                                     activeConnections: { active[$0] })!
            active[server] += 1
        }
        #expect(active[2] == 0, "a down server was picked")
        #expect(abs(Double(active[0]) / 4000 - 0.75) < 0.05, "held connections \(active)")
    }

    @Test func aMostlyDownPoolStillFindsItsLiveServers() {
        // 2 of 300 up: nearly every draw misses, so the pick falls back to a scan.
        var picker = ServerPicker(servers: servers(weights: Array(repeating: 1, count: 300)), algorithm: .randomTwo,
                                  randomSeed: 3)
        var active = [Int](repeating: 0, count: 300)
        for _ in 0..<1000 {
            let server = picker.pick(client: client(0), isUp: { $0 == 7 || $0 == 150 }, isExcluded: { _ in false },
                                     activeConnections: { active[$0] })!
            active[server] += 1
        }
        #expect(active[7] + active[150] == 1000)
        #expect(abs(active[7] - active[150]) <= 2, "held connections \(active[7]) and \(active[150])")
        #expect(picker.pick(client: client(0), isUp: { _ in false }, isExcluded: { _ in false },
                            activeConnections: { active[$0] }) == nil)
        #expect(picker.pick(client: client(0), isUp: { $0 == 7 }, isExcluded: { _ in false },
                            activeConnections: { active[$0] }) == 7)
    }

    @Test func differentSeedsDrawDifferentSequences() {
        var first = ServerPicker(servers: servers(weights: [1, 1, 1, 1]), algorithm: .randomTwo, randomSeed: 1)
        var second = ServerPicker(servers: servers(weights: [1, 1, 1, 1]), algorithm: .randomTwo, randomSeed: 2)
        let idle = [0, 0, 0, 0]
        let a = (0..<40).map { _ in first.pick(active: idle)! }
        let b = (0..<40).map { _ in second.pick(active: idle)! }
        #expect(a != b)
    }
}

@Suite struct SourceHashTests {
    @Test func aClientStaysOnItsServerAndAnotherPickerAgrees() {
        var picker = ServerPicker(servers: servers(weights: [1, 2, 1]), algorithm: .sourceHash, randomSeed: 1)
        var other = ServerPicker(servers: servers(weights: [1, 2, 1]), algorithm: .sourceHash, randomSeed: 99)
        let idle = [0, 0, 0]
        for number in 0..<500 {
            let first = picker.pick(client(number), active: idle)
            #expect(picker.pick(client(number), active: [9, 0, 4]) == first)
            #expect(other.pick(client(number), active: idle) == first)
        }
    }

    @Test func clientsSpreadByWeight() {
        var picker = ServerPicker(servers: servers(weights: [3, 1, 1]), algorithm: .sourceHash, randomSeed: 0)
        var counts = [0, 0, 0]
        for number in 0..<20_000 { counts[picker.pick(client(number), active: [0, 0, 0])!] += 1 }
        let shares = counts.map { Double($0) / 20_000 }
        #expect(abs(shares[0] - 0.6) < 0.06 && abs(shares[1] - 0.2) < 0.02 && abs(shares[2] - 0.2) < 0.02,
                "shares \(shares)")
    }

    @Test func onlyTheClientsOfADownServerMove() {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1, 1]), algorithm: .sourceHash, randomSeed: 0)
        for number in 0..<2000 {
            let before = picker.pick(client(number), active: [0, 0, 0, 0])!
            let after = picker.pick(client: client(number), isUp: { $0 != 2 }, isExcluded: { _ in false },
                                    activeConnections: { _ in 0 })!
            if before != 2 { #expect(after == before) } else { #expect(after != 2) }
        }
    }

    @Test func theIPv4PortIsIgnoredAndIPv6Hashes() {
        #expect(ClientKey(ipv4: 0x7F00_0001) == ClientKey(ipv4: 0x7F00_0001))
        #expect(ClientKey(ipv4: 0x7F00_0001) != ClientKey(ipv4: 0x7F00_0002))
        #expect(ClientKey(ipv6: 0x2001_0db8_0000_0000, 1) != ClientKey(ipv6: 0x2001_0db8_0000_0000, 2))
    }
}
