@testable import Balancing
import Foundation
import Testing

@Suite struct MaglevTests {
    private func table(_ names: [String], weights: [Int]? = nil) -> [Int32] {
        let weights = weights ?? names.map { _ in 1 }
        return MaglevTable.build(members: Array(names.indices), names: names, weights: weights).entries
    }

    @Test func tableSizeIsAPrimeOfAtLeast65537() {
        #expect(MaglevTable.size(forServers: 3) == 65_537)
        let large = MaglevTable.size(forServers: 1000)
        #expect(large >= 100_000)
        #expect(!(2..<Int(Double(large).squareRoot()) + 1).contains { large % $0 == 0 })
    }

    @Test(arguments: [5, 10, 20])
    func removingOneServerMovesAboutOneNth(serverCount: Int) {
        let names = (0..<serverCount).map { "server-\($0)" }
        let full = table(names)
        for removed in names.indices {
            var remaining = names
            remaining.remove(at: removed)
            // Map the smaller table's member indices back to the full list's.
            let smaller = table(remaining).map { $0 >= Int32(removed) ? $0 + 1 : $0 }
            let moved = zip(full, smaller).filter { $0 != $1 }.count
            let fraction = Double(moved) / Double(full.count)
            #expect(fraction <= 1 / Double(serverCount) + 0.02,
                    "removing server \(removed) of \(serverCount) moved \(fraction) of the table")
        }
    }

    @Test func sharesFollowTheWeightsWithinTenPercent() {
        let weights = [1, 2, 3, 4, 1, 1, 5, 2]
        let entries = table(weights.indices.map { "w\($0)" }, weights: weights)
        let total = Double(weights.reduce(0, +))
        for (server, weight) in weights.enumerated() {
            let share = Double(entries.filter { $0 == Int32(server) }.count) / Double(entries.count)
            let expected = Double(weight) / total
            #expect(abs(share - expected) <= expected * 0.10, "server \(server): share \(share), expected \(expected)")
        }
    }

    @Test func buildingTwiceGivesTheSameTable() {
        let names = ServerPicker.digestProbeServers
        #expect(table(names) == table(names))
    }

    /// No per-process seed: another process builds the very same table.
    @Test func separateProcessesBuildTheSameTable() throws {
        let probe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("balancing-probe")
        let expected = "\(ServerPicker.maglevDigest(serverNames: ServerPicker.digestProbeServers))"
        for _ in 0..<2 {
            let process = Process()
            process.executableURL = probe
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
        }
    }

    @Test func lookupsStickAndSkipUnavailableServersDeterministically() {
        var picker = ServerPicker(servers: servers(weights: [1, 1, 1, 1, 1]), algorithm: .maglev, randomSeed: 0)
        var other = ServerPicker(servers: servers(weights: [1, 1, 1, 1, 1]), algorithm: .maglev, randomSeed: 5)
        for number in 0..<1000 {
            let home = picker.pick(client(number), active: [0, 0, 0, 0, 0])!
            #expect(other.pick(client(number), active: [7, 1, 0, 2, 3]) == home)
            let fallback = picker.pick(client: client(number), isUp: { _ in true }, isExcluded: { $0 == home },
                                       activeConnections: { _ in 0 })
            #expect(fallback != home && fallback != nil)
            #expect(picker.pick(client: client(number), isUp: { _ in true }, isExcluded: { $0 == home },
                                activeConnections: { _ in 0 }) == fallback)
        }
    }
}
