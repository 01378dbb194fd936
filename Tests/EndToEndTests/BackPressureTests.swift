// SPEC §3: memory per connection is bounded; a slow reader stops the proxy reading the fast side.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Back-pressure")
    struct BackPressure {
        /// Every byte a client sent is in a socket queue on its way (the
        /// client's, the proxy's two, the server's) or held by the proxy.
        /// With servers that never read, the proxy may hold its back-pressure
        /// mark (8 buffers) per connection plus one buffer, and a 1 MiB pipe
        /// for each of the 16 flows a reactor splices. The multishot recv used
        /// to run past the mark: the kernel emptied the whole socket into the
        /// queue before the cancel reached it (48 connections: 32–36 MiB held
        /// against this bound of 24).
        @Test("uploads stalled by servers that never read: the proxy holds no more than its back-pressure mark per connection",
              .timeLimit(.minutes(1)))
        func stalledUploadsHoldOnlyTheMark() throws {
            let connections = 48
            let bufferSize = 16 << 10
            let sink = try BackendServer(.sink)
            let proxy = try ProxyProcess.forwarding(to: [sink], global: ["workers 1", "buffer-size 16k"])
            let clients = try (0..<connections).map { _ in try proxy.connect(ioTimeout: 1) }
            let chunk = [UInt8](repeating: 0x7A, count: 1 << 16)
            let pushers = clients.map { client in
                Worker(name: "pusher") { () -> Int in
                    var sent = 0
                    while true {  // until a send stalls for its 1 s timeout
                        let n = try client.send(chunk)
                        sent += n
                        if n < chunk.count { return sent }
                    }
                }
            }
            var pushed = 0
            for pusher in pushers { pushed += try pusher.value(timeout: 40, "pushing until stalled") }
            sleep(seconds: 0.3)
            let queued = Sockets.queuedBytes(ofConnectionsOnPorts: [proxy.front.port, sink.endpoint.port])
            let held = pushed - queued
            let bound = 16 << 20 + connections * 9 * bufferSize + 1 << 20
            let summary = "pushed \(pushed >> 20) MiB, \(queued >> 20) MiB in socket queues, "
                + "\(held >> 10) KiB held by the proxy (bound \(bound >> 10) KiB)"
            print("stalled uploads: \(summary)")
            #expect(sink.acceptedConnections == connections, "\(summary)\n\(proxy.stderrTail)")
            #expect(held < bound, "\(summary)\n\(proxy.stderrTail)")
            #expect(proxy.isAlive, "\(summary)\n\(proxy.stderrTail)")
        }

        /// A send to a half-closed client with no room is woken by the
        /// client's FIN, then handed by io_uring to an io-wq worker thread.
        /// On a blocking socket that thread waited there until the client
        /// read: one kernel thread per such client (100 clients: about 90).
        /// So did a plain send (IORING_OP_SEND) on a non-blocking one: the
        /// second case, tiny client windows and few buffers, sends single
        /// buffers and spills (the reclaim sweep copies stalled queues out).
        @Test("half-closed clients that stop reading their downloads hold no thread each, cost no CPU, and resume exactly",
              .timeLimit(.minutes(1)),
              arguments: [(buffers: 4096, clientWindow: nil), (buffers: 256, clientWindow: 4096)] as [(Int, Int32?)])
        func halfClosedStalledClientsHoldNoThreads(buffers: Int, clientWindow: Int32?) throws {
            let backend = try BackendServer(.flood)
            let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1", "buffers \(buffers)"])
            let clients = try (0..<100).map { _ in
                try TestClient(proxy.front, receiveBuffer: clientWindow, ioTimeout: 10)
            }
            for client in clients { try client.shutdownWrite() }
            #expect(backend.waitForSendsToStall(quiet: 0.5, timeout: 20),
                    "the downloads never filled the path to the clients: the test proves nothing")
            let before = proxy.cpuSeconds
            sleep(seconds: 2)
            let spent = proxy.cpuSeconds - before
            let threads = proxy.threadCount
            #expect(threads < 24, "the proxy runs \(threads) threads for 100 stalled clients\n\(proxy.stderrTail)")
            #expect(spent < 0.15, "the proxy used \(spent) s of CPU in 2 s while nothing could move\n\(proxy.stderrTail)")
            let stream = BackendServer.floodStream(count: 1 << 20)
            for (index, client) in clients.enumerated() {
                expectSameBytes(try client.readExactly(stream.count), stream, "client \(index) after the stall")
            }
        }

        @Test(
            "a backend that never reads stalls the client; the proxy's memory stays bounded and others are served",
            .timeLimit(.minutes(1)))
        func sinkStallsClient() throws {
            let offered = 1 << 30  // 1 GiB
            let rssBound = 256 << 20
            let sentBound = 256 << 20
            let pushFor = 20.0

            let sink = try BackendServer(.sink, receiveBuffer: 64 * 1024)
            let echo = try BackendServer(.echo)
            let toSink = Endpoint.loopback(try Sockets.freePort())
            let toEcho = Endpoint.loopback(try Sockets.freePort())
            // One reactor, few small buffers: the stalled connection and the other one share them.
            let config = Conf.global("workers 1", "buffer-size 16k", "buffers 256")
                + Conf.listener("to-sink", bind: toSink, pool: "sink")
                + Conf.listener("to-echo", bind: toEcho, pool: "echo")
                + Conf.pool("sink", servers: ["sink \(sink.endpoint)"])
                + Conf.pool("echo", servers: ["echo \(echo.endpoint)"])
            let proxy = try ProxyProcess(config: config, listening: [toSink, toEcho], keepingAlive: [sink, echo])
            let client = try proxy.connect(toSink, ioTimeout: 1)  // a send blocked 1 s returns: stall
            let chunk = Payload.random(count: 1 << 20, seed: Payload.newSeed())

            let startRSS = try #require(proxy.residentBytes, "cannot read VmRSS of the proxy")
            var maxRSS = startRSS
            var sent = 0
            var stalled = false
            let deadline = monotonicNow() + pushFor
            while sent < offered && monotonicNow() < deadline {
                let n = try client.send(chunk)
                sent += n
                maxRSS = max(maxRSS, proxy.residentBytes ?? 0)
                if n < chunk.count {
                    stalled = true
                    break
                }
            }
            sleep(seconds: 1)
            maxRSS = max(maxRSS, proxy.residentBytes ?? 0)

            let summary = "sent \(sent >> 20) MiB of 1024 in ≤\(Int(pushFor)) s, stalled: \(stalled), "
                + "proxy RSS \(startRSS >> 20) MiB at start, \(maxRSS >> 20) MiB max"
            print("back-pressure: \(summary)")
            #expect(sink.acceptedConnections == 1, "the proxy never connected to the sink; \(summary)\n\(proxy.stderrTail)")
            #expect(proxy.isAlive, "the proxy died; \(summary)\n\(proxy.stderrTail)")
            #expect(stalled, "the client's send never blocked: \(summary)\n\(proxy.stderrTail)")
            #expect(sent < sentBound, "the proxy kept reading from the client: \(summary)\n\(proxy.stderrTail)")
            #expect(maxRSS < rssBound, "proxy memory not bounded: \(summary)\n\(proxy.stderrTail)")

            // The stalled connection must not starve another one on the same reactor.
            let other = try proxy.connect(toEcho, ioTimeout: 5)
            let payload = Payload.random(count: 1 << 20, seed: 5)
            do {
                expectSameBytes(try other.roundTrip(payload), payload, "other connection during the stall\n\(proxy.stderrTail)")
            } catch {
                Issue.record("other connection during the stall: \(error)\n\(proxy.stderrTail)")
            }
        }

        /// The descriptor limit the proxy raises itself to (tables are sized to at most this).
        static let descriptorHardLimit: Int = {
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            return Int(clamping: limit.rlim_max)
        }()

        @Test(
            "max-connections 1,000,000 on two reactors: memory follows the connections in use, not the limit",
            .timeLimit(.minutes(1)),
            .enabled(if: descriptorHardLimit >= 16_384, "written-out tables would be too small to tell apart"))
        func tablesCostWhatIsUsed() throws {
            // Each reactor's connection table and timers take about 215 bytes per connection of
            // max-connections (or of the descriptor limit, if lower: 20,000 here gives 8 MiB for two
            // reactors, a million 430 MiB) when written out; reserved, untouched pages cost nothing.
            let echo = try BackendServer(.echo)
            let small = try ProxyProcess.forwarding(to: [echo], global: ["workers 2", "max-connections 100"])
            let large = try ProxyProcess.forwarding(to: [echo], global: ["workers 2", "max-connections 1000000"])
            // (Both reactors have set up their tables: the proxy said it started.)
            let smallRSS = try #require(small.residentBytes, "cannot read VmRSS of the proxy")
            let largeRSS = try #require(large.residentBytes, "cannot read VmRSS of the proxy")

            let clients = try (0..<200).map { _ in try large.connect(ioTimeout: 5) }
            for (index, client) in clients.enumerated() {
                let payload = Payload.random(count: 1_000 + index, seed: UInt64(index))
                expectSameBytes(try client.roundTrip(payload), payload, "client \(index)\n\(large.stderrTail)")
            }
            let busyRSS = try #require(large.residentBytes, "cannot read VmRSS of the proxy")
            for client in clients { client.close() }

            let summary = "proxy RSS at start \(smallRSS >> 10) KiB with max-connections 100, \(largeRSS >> 10) KiB "
                + "with a million, \(busyRSS >> 10) KiB with 200 connections open"
            print("table memory: \(summary)")
            #expect(largeRSS - smallRSS < 2 << 20, "\(summary)\n\(large.stderrTail)")
            #expect(busyRSS - smallRSS < 8 << 20, "\(summary)\n\(large.stderrTail)")
        }

        @Test("max-connections far beyond the descriptor limit: the tables are sized to what can be open",
              .timeLimit(.minutes(1)))
        func absurdConnectionLimit() throws {
            // 10^15 slots would not fit in the address space; only fd-limit many can ever be in use.
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(
                to: [echo], global: ["workers 1", "max-connections 1000000000000000"], fileDescriptorLimit: 4096)
            let client = try proxy.connect(ioTimeout: 5)
            #expect(try client.roundTrip([1, 2, 3]) == [1, 2, 3], "\(proxy.stderrTail)")
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }
    }
}
