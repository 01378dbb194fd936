// SPEC §3 Balancing, over real connections: every algorithm, backups.
import Balancing
import Foundation
import Testing

extension EndToEnd {
    @Suite("Balancing")
    struct Balancing {
        // With several workers the kernel spreads the clients over reactors at
        // random: the shares must hold across them, not per reactor.
        @Test("round-robin weights 3,1,1 over 10 sequential connections: 6,2,2", .timeLimit(.minutes(1)),
              arguments: [1, 3])
        func weightedRoundRobin(workers: Int) throws {
            let names = ["a", "b", "c"]
            let weights = [3, 1, 1]
            // Each backend greets with its name, so the client sees who served it.
            let backends = try names.map { try BackendServer(.greeting(Array($0.utf8))) }
            let servers = zip(names, zip(backends, weights)).map { "\($0) \($1.0.endpoint) weight \($1.1)" }
            let proxy = try ProxyProcess.forwarding(to: servers, global: ["workers \(workers)"], keepingAlive: backends)

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
            /// Greeting backends named a, b, c…: a client reads one byte to learn who served it.
        private static func namedBackends(_ names: [String]) throws -> [BackendServer] {
            try names.map { try BackendServer(.greeting(Array($0.utf8))) }
        }

        private static func servedBy(_ client: TestClient) throws -> String {
            String(decoding: try client.readExactly(1), as: UTF8.self)
        }

        @Test("least-connections: a new client goes to the server that has fewest", .timeLimit(.minutes(1)),
              arguments: [1, 3])
        func leastConnections(workers: Int) throws {
            let backends = try Self.namedBackends(["a", "b", "c"])
            let servers = zip(["a", "b", "c"], backends).map { "\($0) \($1.endpoint)" }
            let proxy = try ProxyProcess.forwarding(
                to: servers, global: ["workers \(workers)"], pool: ["balance least-connections"], keepingAlive: backends)
            var held: [String: TestClient] = [:]
            for _ in 0..<3 {
                let client = try proxy.connect(ioTimeout: 5)
                held[try Self.servedBy(client)] = client
            }
            #expect(Set(held.keys) == ["a", "b", "c"], "three held connections went to \(held.keys.sorted())")
            for freed in ["b", "a", "c"] {
                let leaving = try #require(held[freed])
                try leaving.shutdownWrite()
                _ = try leaving.readUntilEOF()
                leaving.close()
                sleep(seconds: 0.3)
                let next = try proxy.connect(ioTimeout: 5)
                #expect(try Self.servedBy(next) == freed, "after \(freed) lost its connection\n\(proxy.stderrTail)")
                held[freed] = next
            }
        }

        @Test("random-two: 60 held connections spread evenly over 3 servers", .timeLimit(.minutes(1)))
        func randomTwo() throws {
            let backends = try Self.namedBackends(["a", "b", "c"])
            let proxy = try ProxyProcess.forwarding(
                to: Conf.servers(backends), global: ["workers 1"], pool: ["balance random-two"])
            let held = try (0..<60).map { _ in try proxy.connect(ioTimeout: 5) }
            for client in held { _ = try Self.servedBy(client) }
            let counts = backends.map(\.acceptedConnections)
            #expect(counts.allSatisfy { (14...26).contains($0) }, "connections per server: \(counts)")
        }

        @Test("source-hash: each client address keeps its server", .timeLimit(.minutes(1)))
        func sourceHash() throws {
            let backends = try Self.namedBackends(["a", "b", "c"])
            let servers = zip(["a", "b", "c"], backends).map { "\($0) \($1.endpoint)" }
            let proxy = try ProxyProcess.forwarding(
                to: servers, global: ["workers 2"], pool: ["balance source-hash"], keepingAlive: backends)
            let placement = try Self.placement(through: proxy, sources: 12, connectionsEach: 3)
            #expect(Set(placement.values).count >= 2, "all clients on one server: \(placement)")
        }

        @Test("maglev: sticky per client address, the same in two instances, little movement when a server goes",
              .timeLimit(.minutes(1)))
        func maglev() throws {
            let names = ["a", "b", "c"]
            let backends = try Self.namedBackends(names)
            let servers = zip(names, backends).map { "\($0) \($1.endpoint)" }
            let first = try ProxyProcess.forwarding(
                to: servers, global: ["workers 2"], pool: ["balance maglev"], keepingAlive: backends)
            let placement = try Self.placement(through: first, sources: 30, connectionsEach: 2)
            let second = try ProxyProcess.forwarding(
                to: servers, global: ["workers 1"], pool: ["balance maglev"], keepingAlive: backends)
            #expect(try Self.placement(through: second, sources: 30, connectionsEach: 1) == placement,
                    "a second instance places clients differently")
            #expect(Set(placement.values).count == 3, "placement \(placement)")

            let withoutB = try ProxyProcess.forwarding(
                to: servers.filter { !$0.hasPrefix("b ") }, global: ["workers 1"], pool: ["balance maglev"],
                keepingAlive: backends)
            let after = try Self.placement(through: withoutB, sources: 30, connectionsEach: 1)
            let movedNeedlessly = placement.filter { $0.value != "b" && after[$0.key] != $0.value }
            #expect(movedNeedlessly.count <= 2, "clients of a and c that moved: \(movedNeedlessly)")
        }

        @Test("maglev keys: IPv4 clients hash alike through 127.0.0.1 and [::ffff:127.0.0.1]; ::1 hashes as IPv6",
              .timeLimit(.minutes(1)), .enabled(if: Sockets.canBind(host: "::1"), "::1 is not configured"))
        func clientKeysAcrossAddressFamilies() throws {
            // Six servers: a wrongly hashed ::1 still lands on the predicted one only 1 time in 6.
            let names = ["a", "b", "c", "d", "e", "f"]
            let backends = try Self.namedBackends(names)
            let ipv4 = Endpoint.loopback(try Sockets.freePort())
            let mapped = Endpoint(host: "::ffff:127.0.0.1", port: try Sockets.freePort())
            let ipv6 = Endpoint(host: "::1", port: try Sockets.freePort(host: "::1"))
            let config = Conf.global("workers 1")
                + Conf.listener("ipv4", bind: ipv4, pool: "app")
                + Conf.listener("mapped", bind: mapped, pool: "app")
                + Conf.listener("ipv6", bind: ipv6, pool: "app")
                + Conf.pool("app", servers: zip(names, backends).map { "\($0) \($1.endpoint)" }, ["balance maglev"])
            let proxy = try ProxyProcess(config: config, listening: [ipv4, mapped, ipv6], keepingAlive: backends)

            // Where the Balancing module puts a key, for the same servers (Maglev depends only on names and weights).
            var picker = ServerPicker(servers: names.map { BalancedServer(name: $0, weight: 1) }, algorithm: .maglev,
                                      randomSeed: 0)
            func expected(_ key: ClientKey) -> String {
                picker.pick(client: key, isUp: { _ in true }, isExcluded: { _ in false },
                            activeConnections: { _ in 0 }).map { names[$0] } ?? "none"
            }
            var seen: [String: [String]] = [:]
            var predicted: [String] = []
            for index in 0..<24 {
                let source = "127.0.0.\(10 + index)"
                predicted.append(expected(ClientKey(ipv4: 0x7F00_0000 | UInt32(10 + index))))
                for (name, endpoint) in [("ipv4", ipv4), ("mapped", Endpoint.loopback(mapped.port))] {
                    let client = try proxy.connect(endpoint, from: source, ioTimeout: 5)
                    seen[name, default: []].append(try Self.servedBy(client))
                    client.close()
                }
            }
            #expect(Set(predicted).count >= 4, "the chosen sources reach few servers: \(predicted)")
            #expect(seen["ipv4"] == predicted, "through 127.0.0.1\n\(proxy.stderrTail)")
            #expect(seen["mapped"] == predicted, "through [::ffff:127.0.0.1]: IPv4 clients must hash as IPv4\n\(proxy.stderrTail)")

            let loopback6 = try proxy.connect(ipv6, ioTimeout: 5)
            #expect(try Self.servedBy(loopback6) == expected(ClientKey(ipv6: 0, 1)), "::1\n\(proxy.stderrTail)")
        }

        /// Which server each source address 127.0.0.10… lands on; fails if one client moves between connections.
        private static func placement(through proxy: ProxyProcess, sources: Int, connectionsEach: Int) throws -> [String: String] {
            var placement: [String: String] = [:]
            for index in 0..<sources {
                let source = "127.0.0.\(10 + index)"
                for _ in 0..<connectionsEach {
                    let client = try proxy.connect(from: source, ioTimeout: 5)
                    let server = try servedBy(client)
                    client.close()
                    if let earlier = placement[source] {
                        #expect(server == earlier, "\(source) went to \(earlier), then \(server)")
                    }
                    placement[source] = server
                }
            }
            return placement
        }

        @Test("backup takes over while the primaries are down and hands back when they return",
              .timeLimit(.minutes(1)))
        func backupTakesOverAndHandsBack() throws {
            let primaryPorts = try (0..<2).map { _ in try Sockets.freePort() }
            let backup = try BackendServer(.greeting(Array("z".utf8)))
            let servers = ["p1 127.0.0.1:\(primaryPorts[0])", "p2 127.0.0.1:\(primaryPorts[1])", "z \(backup.endpoint) backup"]
            let proxy = try ProxyProcess.forwarding(
                to: servers, global: ["workers 1"], pool: ["retries 2", "connect-timeout 1s"], keepingAlive: [backup])

            // Refused connects take both primaries down after `fall` (3) failures each.
            var servedByBackup = false
            for _ in 0..<6 where !servedByBackup {
                let client = try proxy.connect(ioTimeout: 3)
                servedByBackup = (try? Self.servedBy(client)) == "z"
                client.close()
            }
            #expect(servedByBackup, "the backup never took over\n\(proxy.stderrTail)")
            #expect(proxy.stderrText.contains("server p1 of pool app is down"), "\(proxy.stderrTail)")

            // The primaries come back; after the 2 s retry interval they get the traffic again.
            let primaries = try primaryPorts.enumerated().map { index, port in
                try BackendServer(.greeting(Array("p\(index + 1)".utf8).suffix(1)), port: port)
            }
            sleep(seconds: 2.5)
            var seen: [String] = []
            for _ in 0..<4 {
                let client = try proxy.connect(ioTimeout: 3)
                seen.append((try? Self.servedBy(client)) ?? "?")
                client.close()
            }
            #expect(seen.allSatisfy { $0 == "1" || $0 == "2" }, "after the primaries returned: \(seen)\n\(proxy.stderrTail)")
            #expect(primaries.map(\.acceptedConnections).reduce(0, +) == 4)
            sleep(seconds: 1.2)
            #expect(proxy.stderrText.contains("back in rotation"), "\(proxy.stderrTail)")
        }
    }
}
