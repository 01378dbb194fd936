// SPEC §3 Shutdown: SIGTERM stops accepting, drains for up to `grace`, exits 0; a second signal exits at once.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Shutdown")
    struct Shutdown {
        /// nil if a new connection to `endpoint` is refused or closed within 2 s; else what happened.
        static func newConnectionRejected(_ endpoint: Endpoint) -> String? {
            do {
                let client = try TestClient(endpoint, connectTimeout: 2, ioTimeout: 2)
                let outcome = client.waitForClose(timeout: 2)
                return outcome.isClosed ? nil : "a new connection was accepted during the drain: \(outcome)"
            } catch {
                return nil  // refused (or failed): not served
            }
        }

        /// A connected client that has completed one exchange through the proxy.
        static func establishedClient(_ proxy: ProxyProcess) throws -> TestClient {
            let client = try proxy.connect(ioTimeout: 5)
            #expect(try client.roundTrip([1, 2, 3]) == [1, 2, 3])
            return client
        }

        @Test("SIGTERM: no new connections, the open one still works, exit 0 once it closes", .timeLimit(.minutes(1)))
        func drain() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["grace 10s"])
            let client = try Self.establishedClient(proxy)

            proxy.signal(SIGTERM)
            #expect(waitUntil(timeout: 5) { !proxy.listeningPorts().contains(proxy.front.port) },
                    "still listening 5 s after SIGTERM\n\(proxy.stderrTail)")
            #expect(proxy.isRunning, "exited at once despite an open connection and grace 10s\n\(proxy.stderrTail)")
            if let problem = Self.newConnectionRejected(proxy.front) {
                Issue.record("\(problem)\n\(proxy.stderrTail)")
            }

            let payload = Payload.random(count: 100_000, seed: 10)
            do {
                expectSameBytes(try client.roundTrip(payload), payload, "open connection during the drain\n\(proxy.stderrTail)")
                try client.shutdownWrite()
                #expect(try client.readUntilEOF().isEmpty)
            } catch {
                Issue.record("open connection during the drain: \(error)\n\(proxy.stderrTail)")
            }
            client.close()

            let status = proxy.waitForExit(timeout: 3)
            #expect(status == 0, "exit status \(String(describing: status)) within 3 s of the last connection closing (grace 10s)\n\(proxy.stderrTail)")
        }

        /// Connections the kernel had completed and the ring had already
        /// accepted when the drain began used to be closed unanswered (and
        /// logged as rejected over max-connections). Clients connect in a
        /// loop while SIGTERM arrives; each must be served, refused, or reset
        /// by the closing listen backlog, never closed with nothing said.
        @Test("clients accepted just as SIGTERM arrives are served, not closed unanswered", .timeLimit(.minutes(1)))
        func clientsAcceptedAsTheDrainBeginsAreServed() throws {
            let greeting = Array("hello".utf8)
            var served = 0
            for trial in 0..<6 {
                let backend = try BackendServer(.greeting(greeting))
                let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1", "grace 2s"])
                let unanswered = Locked(0)
                let refused = Locked(false)
                let clients = (0..<12).map { _ in
                    Worker(name: "drain-client") { () -> Int in
                        var greeted = 0
                        while !refused.current, greeted < 100_000 {
                            guard let client = try? TestClient(proxy.front, connectTimeout: 2, ioTimeout: 3) else {
                                refused.withLock { $0 = true }
                                break
                            }
                            switch Result(catching: { try client.readExactly(greeting.count) }) {
                            case .success: greeted += 1
                            case .failure(ClientError.closedEarly(received: 0, _)): unanswered.withLock { $0 += 1 }
                            case .failure: break  // reset by the closing backlog
                            }
                        }
                        return greeted
                    }
                }
                sleep(seconds: 0.3)
                proxy.signal(SIGTERM)
                for client in clients { served += (try? client.value(timeout: 20, "drain clients")) ?? 0 }
                #expect(proxy.waitForExit(timeout: 5) == 0, "trial \(trial)\n\(proxy.stderrTail)")
                #expect(unanswered.current == 0,
                        "trial \(trial): \(unanswered.current) clients accepted, then closed without a byte\n\(proxy.stderrTail)")
                #expect(!proxy.stderrTail.contains("rejected"), "trial \(trial)\n\(proxy.stderrTail)")
            }
            #expect(served > 1000, "only \(served) clients served before the drains: the test did not load the proxy")
        }

        /// The drain used to end as soon as no connection was open, before
        /// the reactors had taken in what their accepts still brought: the
        /// process exited, and clients the kernel had accepted for it were
        /// closed unanswered. Here 100 clients wait in the listen backlog of a
        /// stopped proxy, and SIGTERM is pending when it runs again.
        @Test("clients accepted as the drain begins, none open before: each is served before the proxy exits",
              .timeLimit(.minutes(1)))
        func drainWaitsForTheLastAccepts() throws {
            let greeting = Array("hello".utf8)
            let backend = try BackendServer(.greeting(greeting))
            let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1", "grace 5s"])
            #expect(proxy.freeze(), "the proxy did not stop\n\(proxy.stderrTail)")
            let clients = try (0..<100).map { _ in try proxy.connect(ioTimeout: 5) }
            proxy.signal(SIGTERM)
            proxy.signal(SIGCONT)
            var outcomes: [String: Int] = [:]
            for client in clients {
                switch Result(catching: { try client.readExactly(greeting.count) }) {
                case .success(let bytes): outcomes[bytes == greeting ? "served" : "wrong bytes", default: 0] += 1
                case .failure(ClientError.closedEarly(received: 0, _)): outcomes["closed unanswered", default: 0] += 1
                case .failure(let error): outcomes["\(error)", default: 0] += 1
                }
                client.close()
            }
            #expect(outcomes == ["served": clients.count], "\(outcomes)\n\(proxy.stderrTail)")
            #expect(proxy.waitForExit(timeout: 5) == 0, "\(proxy.stderrTail)")
        }

        @Test("SIGTERM with grace 1s and a connection held open: exit 0 after about 1 s", .timeLimit(.minutes(1)))
        func graceExpires() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["grace 1s"])
            let client = try Self.establishedClient(proxy)

            let signalled = monotonicNow()
            proxy.signal(SIGTERM)
            let status = proxy.waitForExit(timeout: 4)
            let elapsed = monotonicNow() - signalled
            #expect(status == 0, "exit status \(String(describing: status)) after \(elapsed) s\n\(proxy.stderrTail)")
            #expect(elapsed < 3.5, "exited only after \(elapsed) s with grace 1s")
            #expect(elapsed > 0.8, "exited after \(elapsed) s: did not let the open connection drain for grace 1s")
            #expect(client.waitForClose(timeout: 2).isClosed)
        }

        /// The signals used to be blocked only once the configuration had
        /// loaded: a SIGHUP in that window ended the process by its default
        /// action. 20,000 servers make the window long enough to hit.
        @Test("a SIGHUP while the configuration still loads is handled like any SIGHUP: the proxy runs on, and SIGTERM then exits 0",
              .timeLimit(.minutes(1)))
        func signalDuringStartUpIsHandled() throws {
            let port = try Sockets.freePort()
            // (least-connections: nothing to precompute per server at start-up)
            let config = "global\n    workers 1\n    grace 1s\nlistener web\n    bind 127.0.0.1:\(port)\n    pool app\n"
                + "pool app\n    balance least-connections\n"
                + (0..<20_000).map { "    server s\($0) 127.0.\($0 / 250).\($0 % 250 + 1):80\n" }.joined()
            let outcome = try ProxyProcess.signalledWhileLoading(config: config, signal: SIGHUP)
            #expect(outcome.beforeStart, "signalled only once the proxy had started: the test proves nothing")
            #expect(outcome.survived, "the SIGHUP ended the proxy (status \(outcome.status))\n\(outcome.stderr)")
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("reload is not supported yet"), "\(outcome.stderr)")
        }

        @Test("a second SIGTERM during the drain exits at once", .timeLimit(.minutes(1)))
        func secondSignal() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["grace 10s"])
            let client = try Self.establishedClient(proxy)

            proxy.signal(SIGTERM)
            // (Two signals pending at once would count as one.)
            #expect(proxy.waitForLog("no longer accepting"), "\(proxy.stderrTail)")
            #expect(proxy.isRunning, "exited on the first SIGTERM despite an open connection and grace 10s\n\(proxy.stderrTail)")
            let second = monotonicNow()
            proxy.signal(SIGTERM)
            let status = proxy.waitForExit(timeout: 2)
            #expect(status != nil, "still running 2 s after the second SIGTERM\n\(proxy.stderrTail)")
            #expect(monotonicNow() - second < 1.5)
            withExtendedLifetime(client) {}  // the held connection stays open throughout
        }
    }
}
