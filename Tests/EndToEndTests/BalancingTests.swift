// SPEC §3 Balancing, over real connections: smooth weighted round-robin.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Balancing")
    struct Balancing {
        @Test("round-robin weights 3,1,1 over 10 sequential connections: 6,2,2", .timeLimit(.minutes(1)))
        func weightedRoundRobin() throws {
            let names = ["a", "b", "c"]
            let weights = [3, 1, 1]
            // Each backend greets with its name, so the client sees who served it.
            let backends = try names.map { try BackendServer(.greeting(Array($0.utf8))) }
            let servers = zip(names, zip(backends, weights)).map { "\($0) \($1.0.endpoint) weight \($1.1)" }
            let proxy = try ProxyProcess.forwarding(to: servers, global: ["workers 1"], keepingAlive: backends)

            var order: [String] = []
            for index in 0..<10 {
                let client = try proxy.connect(ioTimeout: 5)
                do {
                    order.append(String(decoding: try client.readExactly(1), as: UTF8.self))
                } catch {
                    Issue.record("connection #\(index): \(error)\n\(proxy.stderrTail)")
                    order.append("?")
                }
                client.close()
            }
            let counts = backends.map(\.acceptedConnections)
            #expect(counts == [6, 2, 2], "connections per backend a,b,c; order seen: \(order.joined())\n\(proxy.stderrTail)")
            // Over any cycle of 5 each server gets exactly its weight's share.
            for cycle in [order[0..<5], order[5..<10]] {
                let share = names.map { name in cycle.filter { $0 == name }.count }
                #expect(share == weights, "one cycle of 5 got \(cycle.joined()); whole order \(order.joined())")
            }
        }
    }
}
