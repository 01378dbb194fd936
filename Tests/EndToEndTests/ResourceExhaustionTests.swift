// SPEC §3 Limits: running out of file descriptors or provided buffers slows
// accepting down; it never crashes the proxy or stalls it for good.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Resource exhaustion")
    struct ResourceExhaustion {
        @Test("out of file descriptors: clients wait, in the listen backlog or accepted, and every one is served once descriptors come free",
              .timeLimit(.minutes(1)))
        func fileDescriptorsRunOut() throws {
            let echo = try BackendServer(.echo)
            // 48 descriptors: a few for the ring, signals and the listener, then two per connection.
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 1"], fileDescriptorLimit: 48)
            // All 60 wait in the listen backlog of a stopped proxy: once it runs
            // again, its multishot accept takes clients until no descriptor is
            // left, and those must not all wait for a server socket forever.
            #expect(proxy.freeze(), "the proxy did not stop\n\(proxy.stderrTail)")
            let clients = try (0..<60).map { _ in try proxy.connect(ioTimeout: 2) }
            for (index, client) in clients.enumerated() { try client.sendAll([UInt8(index)]) }
            proxy.signal(SIGCONT)
            // Those that can be served are, soon after the first one (bounded: a busy machine).
            var served: [Int] = []
            var waiting = Array(clients.indices)
            let deadline = monotonicNow() + 5
            var passesSinceFirstServed = 0
            while passesSinceFirstServed < 2 && monotonicNow() < deadline {
                if !served.isEmpty { passesSinceFirstServed += 1 }
                sleep(seconds: 0.1)
                for index in waiting {
                    clients[index].setTimeout(0.02)
                    do {
                        #expect(try clients[index].readExactly(1) == [UInt8(index)], "client \(index): wrong byte")
                        served.append(index)
                    } catch ClientError.timeout {
                        continue
                    } catch {
                        Issue.record("client \(index) was closed instead of waiting: \(error)\n\(proxy.stderrTail)")
                        served.append(index)  // (not waiting either)
                    }
                }
                waiting.removeAll(where: served.contains)
            }
            #expect(!served.isEmpty, "no connection was served under the descriptor limit\n\(proxy.stderrTail)")
            #expect(!waiting.isEmpty, "all \(clients.count) connections served: the limit was never reached")
            #expect(proxy.isAlive, "the proxy died out of descriptors\n\(proxy.stderrTail)")

            // Descriptors come free as connections end: the clients that waited
            // are served then, in their turn, each closing when served.
            for index in served { clients[index].close() }
            for index in waiting {
                clients[index].setTimeout(5)
                do {
                    #expect(try clients[index].readExactly(1) == [UInt8(index)], "client \(index): wrong byte")
                } catch {
                    Issue.record("client \(index) waited and was not served once descriptors came free: \(error)\n\(proxy.stderrTail)")
                    break
                }
                clients[index].close()
            }
            sleep(seconds: 0.5)
            try expectServedAgain(proxy)
        }

        @Test("draining while clients wait for a descriptor: they are still served, the first from the descriptor the listening socket frees",
              .timeLimit(.minutes(1)))
        func clientsWaitingForADescriptorAreServedWhileDraining() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 1", "grace 20s"], fileDescriptorLimit: 40)
            #expect(proxy.freeze(), "the proxy did not stop\n\(proxy.stderrTail)")
            let clients = try (0..<25).map { _ in try proxy.connect(ioTimeout: 2) }
            for (index, client) in clients.enumerated() { try client.sendAll([UInt8(index)]) }
            proxy.signal(SIGCONT)
            #expect(proxy.waitForLog("no descriptor for a server socket"),
                    "no accepted client waits for a descriptor: the test proves nothing\n\(proxy.stderrTail)")
            sleep(seconds: 0.5)
            var waiting: [Int] = []
            for (index, client) in clients.enumerated() {
                client.setTimeout(0.02)
                if (try? client.readExactly(1)) == nil { waiting.append(index) }
            }
            #expect(!waiting.isEmpty, "every client served: the limit was never reached")
            // No connection closes: only the listening socket frees a descriptor.
            proxy.signal(SIGTERM)
            var servedWhileDraining: [Int] = []
            let deadline = Date().addingTimeInterval(5)  // (a loaded machine: the whole suite runs at once)
            while servedWhileDraining.isEmpty && Date() < deadline {
                for index in waiting {
                    clients[index].setTimeout(0.02)
                    if (try? clients[index].readExactly(1)) == [UInt8(index)] { servedWhileDraining.append(index) }
                }
            }
            #expect(!servedWhileDraining.isEmpty,
                    "none of the \(waiting.count) waiting clients was served in 5 s of draining\n\(proxy.stderrTail)")
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        @Test("short of descriptors and buffers under churn: each warning once per 10 s, not once per retry; clients are still served",
              .timeLimit(.minutes(1)))
        func shortageWarningsAreThrottled() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: [echo], global: ["workers 1", "buffer-size 512", "buffers 16"], fileDescriptorLimit: 40)
            // 40 clients connect, echo a few chunks and close, again and again,
            // for 3 s: accepting pauses for descriptors (retried every 100 ms)
            // and for buffers (resumed as they come back) many times a second.
            let deadline = Date().addingTimeInterval(3)
            let churners = (0..<40).map { index in
                Worker(name: "churn-\(index)") { () -> Int in
                    var served = 0
                    while Date() < deadline {
                        guard let client = try? proxy.connect(ioTimeout: 1) else { continue }
                        let chunk = [UInt8](repeating: UInt8(index), count: 1500)
                        if (try? (0..<3).allSatisfy { _ in try client.roundTrip(chunk, timeout: 1) == chunk }) == true {
                            served += 1
                        }
                        client.close()
                    }
                    return served
                }
            }
            let served = churners.compactMap { try? $0.join(timeout: 15)?.get() }.reduce(0, +)
            #expect(served > 0, "no client was served\n\(proxy.stderrTail)")
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
            for warning in ["accept paused", "provided buffers low"] {
                let count = proxy.stderrText.components(separatedBy: warning).count - 1
                #expect(count <= 1, "'\(warning)' logged \(count) times by one reactor in about 3 s\n\(proxy.stderrTail)")
            }
            try expectServedAgain(proxy)
        }

        @Test("out of provided buffers: 40 busy connections share 16 small buffers, every byte arrives, nothing stalls",
              .timeLimit(.minutes(1)))
        func buffersRunOut() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: [echo], global: ["workers 1", "buffer-size 1k", "buffers 16"])
            let payloads = (0..<40).map { Payload.random(count: 256 * 1024, seed: UInt64(100 + $0)) }
            let clients = try proxy.expectConcurrentEchoes(payloads, "16 buffers", timeout: 30)
            #expect(proxy.isAlive, "the proxy died short of buffers\n\(proxy.stderrTail)")
            for client in clients { client.close() }
            try expectServedAgain(proxy)
        }

        @Test("slow readers do not hold the shared buffers: 33 clients stop reading their downloads, 32 buffers; other connections are still served, downloads arrive intact (with their EOF) when read, resets of stalled ones harm nothing",
              .timeLimit(.minutes(1)))
        func stalledDownloadsReleaseBuffers() throws {
            let flood = try BackendServer(.flood)
            // Downloads that end, of sizes around what the sockets in front of
            // the proxy's queue hold: some end while the proxy still has their
            // bytes, and the EOF must wait for those.
            let replies = (0..<7).map { Payload.random(count: (64 << 10) << $0, seed: UInt64(40 + $0)) }
            let finite = try replies.map { try BackendServer(.replyThenEOF($0)) }
            let echo = try BackendServer(.echo)
            let toFlood = Endpoint.loopback(try Sockets.freePort())
            let toEcho = Endpoint.loopback(try Sockets.freePort())
            let toFinite = try finite.map { _ in Endpoint.loopback(try Sockets.freePort()) }
            // 32 buffers of 4 KiB. A stalled direction queues up to 8 of them
            // (32 KiB) before back-pressure stops its recv, and keeps at least
            // 3 (its recv resumes once the queue is down to 8 KiB); the first
            // 16 stalled flows splice through pipes instead. So the 10 stalled
            // downloads after those hold 30 buffers or more, past the three
            // quarters at which the reactor takes them back (with 64 buffers
            // they came to exactly 48 at times, and nothing was reclaimed).
            var config = Conf.global("workers 1", "buffer-size 4k", "buffers 32", "log-level debug")
                + Conf.listener("to-flood", bind: toFlood, pool: "flood")
                + Conf.listener("to-echo", bind: toEcho, pool: "echo")
                + Conf.pool("flood", servers: ["flood \(flood.endpoint)"])
                + Conf.pool("echo", servers: ["echo \(echo.endpoint)"])
            for (index, backend) in finite.enumerated() {
                config += Conf.listener("to-finite\(index)", bind: toFinite[index], pool: "finite\(index)")
                    + Conf.pool("finite\(index)", servers: ["reply \(backend.endpoint)"])
            }
            let proxy = try ProxyProcess(config: config, listening: [toFlood, toEcho] + toFinite,
                                         keepingAlive: [flood, echo] + finite)
            let early = try proxy.connect(toEcho, ioTimeout: 5)
            let warmUp = Payload.random(count: 1000, seed: 21)
            expectSameBytes(try early.roundTrip(warmUp, timeout: 5), warmUp, "before the stall")

            // Nobody reads: short timeouts keep a broken proxy from holding the test for long.
            let splicing = try (0..<16).map { _ in try proxy.connect(toFlood, ioTimeout: 3) }
            sleep(seconds: 0.3)  // their flows take the pipes
            let ending = try toFinite.map { try proxy.connect($0, ioTimeout: 3) }
            let buffered = try (0..<10).map { _ in try proxy.connect(toFlood, ioTimeout: 3) }
            #expect(proxy.waitForLog("copying out the queues of", timeout: 10),
                    "no stalled queue was copied out of the buffers: the test proves nothing\n\(proxy.stderrTail)")
            sleep(seconds: 0.3)
            for client in buffered[5...] { client.reset() }

            let payload = Payload.random(count: 200_000, seed: 23)
            let late = try proxy.connect(toEcho, ioTimeout: 5)
            for (name, client) in [("open before the stall", early), ("opened during the stall", late)] {
                do {
                    expectSameBytes(try client.roundTrip(payload, timeout: 5), payload, "\(name)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("connection \(name) not served while downloads are stalled: \(error)\n\(proxy.stderrTail)")
                }
            }
            // What waited in the copies goes out in order once the clients read.
            for (index, client) in ending.enumerated() {
                do {
                    expectSameBytes(try client.readUntilEOF(), replies[index], "download \(index) that ends\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("download \(index) that ends did not resume: \(error)\n\(proxy.stderrTail)")
                    break
                }
            }
            // The buffered downloads are first read in steps with pauses: their
            // copies drain, their flows take buffers again and stall again, at
            // times with bytes of the earlier copy still unsent (the merge
            // itself is covered exactly by SpillBufferTests).
            let resumed = splicing + buffered[..<5]
            var received = [[UInt8]](repeating: [], count: resumed.count)
            do {
                for _ in 0..<6 {
                    for index in splicing.count..<resumed.count {
                        received[index] += try resumed[index].readExactly(100_000)
                    }
                    sleep(seconds: 0.25)
                }
            } catch {
                Issue.record("a stalled download did not resume: \(error)\n\(proxy.stderrTail)")
            }
            // 8 MiB is past every socket buffer in front of the proxy.
            let expected = BackendServer.floodStream(count: 8 << 20)
            for (index, client) in resumed.enumerated() {
                do {
                    received[index] += try client.readExactly(expected.count - received[index].count)
                    expectSameBytes(received[index], expected, "endless download \(index)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("endless download \(index) did not resume: \(error)\n\(proxy.stderrTail)")
                    break
                }
            }
            #expect(proxy.isAlive, "the proxy died\n\(proxy.stderrTail)")
        }

        @Test("clients waiting on a server that never answers the connect do not hold the shared buffers: 24 clients send while their connects wait 4 s, 64 buffers; another connection is served meanwhile, every request reaches the next server intact (half of them with an EOF), resets of waiting clients harm nothing",
              .timeLimit(.minutes(1)))
        func pendingConnectsReleaseBuffers() throws {
            let stalled = try StalledServer()
            let echo = try BackendServer(.echo)
            let toPool = Endpoint.loopback(try Sockets.freePort())
            let toEcho = Endpoint.loopback(try Sockets.freePort())
            // Weighted 256 to 1, round-robin sends nearly every client to the
            // server that never answers; the requests wait there for the 4 s
            // connect timeout, then go to the echo server. A first part of 3
            // buffers from each of the 24 clients takes more than the 64
            // buffers (their recvs stay armed: 4 full buffers in a row would
            // ask for splicing, which stops the recv); the rest, sent after the
            // first parts are copied out, queues behind the copies.
            let config = Conf.global("workers 1", "buffer-size 4k", "buffers 64", "log-level debug")
                + Conf.listener("to-pool", bind: toPool, pool: "half-stalled")
                + Conf.listener("to-echo", bind: toEcho, pool: "echo")
                + Conf.pool("half-stalled", servers: ["stalled \(stalled.endpoint) weight 256", "echo \(echo.endpoint)"],
                            ["connect-timeout 4s", "retries 1"])
                + Conf.pool("echo", servers: ["echo \(echo.endpoint)"])
            let proxy = try ProxyProcess(config: config, listening: [toPool, toEcho], keepingAlive: [stalled, echo])
            let firstPart = 12 << 10
            let requests = (0..<24).map { Payload.random(count: 64 << 10, seed: UInt64(500 + $0)) }
            let clients = try requests.map { request in
                let client = try proxy.connect(toPool, ioTimeout: 10)
                client.setSendBuffer(256 << 10)  // the whole request fits: sending never waits on the proxy
                try client.sendAll(Array(request[..<firstPart]))
                return client
            }
            #expect(proxy.waitForLog("copying out the queues of", timeout: 3),
                    "no waiting request was copied out of the buffers: the test proves nothing\n\(proxy.stderrTail)")
            let (kept, reset) = (clients[..<22], clients[22...])
            for client in reset { client.reset() }
            for (index, client) in kept.enumerated() {
                try client.sendAll(Array(requests[index][firstPart...]))
                if index % 2 == 0 { try client.shutdownWrite() }
            }

            let payload = Payload.random(count: 100_000, seed: 32)
            do {
                let other = try proxy.connect(toEcho, ioTimeout: 3)
                expectSameBytes(try other.roundTrip(payload, timeout: 3), payload, "\(proxy.stderrTail)")
            } catch {
                Issue.record("no service while clients wait on a connect: \(error)\n\(proxy.stderrTail)")
            }
            #expect(!proxy.stderrText.contains("failed: timed out"),
                    "served only once the waiting connects had timed out\n\(proxy.stderrTail)")
            for (index, client) in kept.enumerated() {
                do {
                    // The echo server half-closes back after an EOF.
                    let echoed = index % 2 == 0 ? try client.readUntilEOF() : try client.readExactly(requests[index].count)
                    expectSameBytes(echoed, requests[index], "client \(index)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("client \(index) got no echo: \(error)\n\(proxy.stderrTail)")
                    break
                }
            }
            #expect(proxy.isAlive, "the proxy died\n\(proxy.stderrTail)")
        }

        private func expectServedAgain(_ proxy: ProxyProcess, at endpoint: Endpoint? = nil) throws {
            let payload = Payload.random(count: 100_000, seed: 9)
            let client = try proxy.connect(endpoint, ioTimeout: 5)
            do {
                expectSameBytes(try client.roundTrip(payload, timeout: 10), payload, "after exhaustion\n\(proxy.stderrTail)")
            } catch {
                Issue.record("no service after exhaustion: \(error)\n\(proxy.stderrTail)")
            }
        }
    }
}
