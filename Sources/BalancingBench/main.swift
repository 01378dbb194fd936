import Balancing
import Foundation

// ns per pick for each algorithm over 3, 100 and 1000 servers, and the time
// to build a Maglev table for 1000 servers. Run from `make bench`.

func nanoseconds(_ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let elapsed = clock.measure(body)
    return Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
}

let picks = 200_000
let algorithms: [(String, BalancingAlgorithm)] = [
    ("round-robin", .roundRobin), ("least-connections", .leastConnections), ("random-two", .randomTwo),
    ("source-hash", .sourceHash), ("maglev", .maglev),
]
print("balancing: ns per pick (\(picks) picks, weights 1-4, all up)")
print("algorithm            3 servers  100 servers  1000 servers")
for (name, algorithm) in algorithms {
    var row = name.padding(toLength: 20, withPad: " ", startingAt: 0)
    for count in [3, 100, 1000] {
        let servers = (0..<count).map { BalancedServer(name: "s\($0)", weight: 1 + $0 % 4) }
        var picker = ServerPicker(servers: servers, algorithm: algorithm, randomSeed: 42)
        var active = [Int](repeating: 0, count: count)
        var checksum = 0
        let total = nanoseconds {
            for pick in 0..<picks {
                let client = ClientKey(ipv4: UInt32(truncatingIfNeeded: pick &* 2_654_435_761))
                let chosen = picker.pick(client: client, isUp: { _ in true }, isExcluded: { _ in false },
                                         activeConnections: { active[$0] })!
                active[chosen] += 1
                checksum &+= chosen
            }
        }
        precondition(checksum >= 0)
        let perPick = total / Double(picks)
        row += String(format: "%11.1f  ", perPick)
    }
    print(row)
}
let thousand = (0..<1000).map { BalancedServer(name: "s\($0)", weight: 1 + $0 % 4) }
let build = nanoseconds { _ = ServerPicker(servers: thousand, algorithm: .maglev, randomSeed: 0) }
print(String(format: "maglev table build, 1000 servers: %.1f ms", build / 1e6))
