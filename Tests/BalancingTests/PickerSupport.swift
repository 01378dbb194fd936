import Balancing

/// Servers named s0, s1, … with the given weights (and backups).
func servers(weights: [Int], backups: Set<Int> = []) -> [BalancedServer] {
    weights.enumerated().map { BalancedServer(name: "s\($0.offset)", weight: $0.element, isBackup: backups.contains($0.offset)) }
}

func client(_ number: Int) -> ClientKey {
    ClientKey(ipv4: 0x7F00_0000 | UInt32(number))
}

extension ServerPicker {
    /// Picks with every server up, none excluded and the given loads.
    mutating func pick(_ client: ClientKey = ClientKey(ipv4: 0), active: [Int]) -> Int? {
        pick(client: client, isUp: { _ in true }, isExcluded: { _ in false }, activeConnections: { active[$0] })
    }

    /// `count` picks, each connection held: the load grows with every pick.
    mutating func holdConnections(_ count: Int, serverCount: Int) -> [Int] {
        var active = [Int](repeating: 0, count: serverCount)
        for _ in 0..<count { active[pick(active: active)!] += 1 }
        return active
    }
}
