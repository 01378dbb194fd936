// Bulk flows switch to splicing through pooled pipes: bytes must stay exact,
// and a pipe reused after an aborted transfer must never replay old bytes.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Splicing")
    struct Splicing {
        @Test("clients reset mid-transfer leave nothing behind for later connections", .timeLimit(.minutes(1)))
        func resetMidTransferNeverLeaksIntoLaterConnections() throws {
            let echo = try BackendServer(.echo)
            // One reactor: every connection draws on the same pipe pool.
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 1"])
            for round in 0..<8 {
                let aborted = try proxy.connect(ioTimeout: 2)
                let bulk = Payload.random(count: 4 << 20, seed: UInt64(1000 + round))
                _ = try? aborted.send(Array(bulk[0..<(3 << 20)]))
                _ = try? aborted.readExactly(256 * 1024)  // the flow back is splicing by now
                aborted.reset()

                let next = try proxy.connect(ioTimeout: 10)
                let payload = Payload.random(count: 2 << 20, seed: UInt64(2000 + round))
                do {
                    expectSameBytes(try next.roundTrip(payload, timeout: 20), payload,
                                    "round \(round): the connection after a reset\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("round \(round): \(error)\n\(proxy.stderrTail)")
                }
                next.close()
            }
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        /// Splicing makes both sockets of a connection non-blocking for good. A
        /// send waiting for room on such a socket is woken by the client's FIN,
        /// finds no room, and io_uring ends it with EAGAIN (after one poll it
        /// hands the send to io-wq, where a non-blocking socket does not wait).
        /// The proxy used to take that for an error and cut the download short.
        @Test("a stalled download through a socket left non-blocking by splicing survives the client's half-close",
              .timeLimit(.minutes(1)))
        func stalledSendSurvivesHalfCloseAfterSplicing() throws {
            let upload = 1 << 20
            let backend = try BackendServer(.trickleAfterUpload(upload))
            let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1"])
            // Small windows: the proxy's sends wait for room sooner, and more often.
            // The wake-up races with the send's own retries: on this VM the
            // unfixed proxy cut at least one of six downloads short in 9 runs of 10.
            let clients = try (0..<6).map { _ in
                try TestClient(proxy.listening[0], receiveBuffer: 4096, ioTimeout: 20)
            }
            for client in clients { try client.sendAll(Payload.random(count: upload, seed: 77)) }  // spliced
            #expect(backend.waitForSendsToStall(quiet: 0.5, timeout: 20),
                    "the downloads never filled the path to the clients: the test proves nothing")
            for client in clients { try client.shutdownWrite() }
            // More than the ~7.5 MB each path held when the backend stalled.
            let expected = BackendServer.floodStream(count: 9 << 20)
            for (index, client) in clients.enumerated() {
                do {
                    expectSameBytes(try client.readExactly(expected.count), expected,
                                    "download \(index)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("download \(index) after the half-close: \(error)\n\(proxy.stderrTail)")
                }
            }
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        /// A pipe counts its fill in slots, one per piece of socket data. When
        /// the pieces lie apart in memory (small segments, as from real
        /// networks) the pipe is full long before its byte capacity, and a
        /// read splice fails with EAGAIN though the source has data. Polling
        /// the source then found it readable at once, and the read failed
        /// again, on and on: 80 % of a core for as long as the client did not
        /// read.
        @Test("a download of small scattered pieces, spliced: while the client does not read, the proxy costs no CPU; the bytes stay exact",
              .timeLimit(.minutes(1)))
        func stalledSpliceOfScatteredPiecesDoesNotSpin() throws {
            let backend = try BackendServer(.scatteredFlood)
            // 512-byte buffers: the 700-byte pieces fill them, so the flow splices.
            let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1", "buffer-size 512"])
            try Self.expectStalledDownloadIdle(through: proxy, from: backend, readFirst: 2 << 20, then: 4 << 20)
        }

        /// io_uring adds EPOLLRDHUP to every poll: once a client has
        /// half-closed, the poll for room to write to it ended at once, and
        /// the write splice failed again, on and on: a core's worth of CPU
        /// for as long as the client did not read.
        @Test("a client that half-closes and stops reading a spliced download costs no CPU; the bytes stay exact",
              .timeLimit(.minutes(1)))
        func halfClosedStalledClientDoesNotSpin() throws {
            let backend = try BackendServer(.flood)
            let proxy = try ProxyProcess.forwarding(to: [backend], global: ["workers 1"])
            try Self.expectStalledDownloadIdle(through: proxy, from: backend, readFirst: 4 << 20, then: 20 << 20,
                                               halfClosing: true)
        }

        /// A client reads `first` bytes of `backend`'s flood stream (then
        /// half-closes if asked) and stops reading: once the backend's sends
        /// have stalled, the proxy must spend next to no CPU over 2 s; then
        /// the client reads `then` bytes more, which must follow exactly.
        private static func expectStalledDownloadIdle(through proxy: ProxyProcess, from backend: BackendServer,
                                                      readFirst first: Int, then more: Int,
                                                      halfClosing: Bool = false) throws {
            let client = try TestClient(proxy.listening[0], ioTimeout: 20)
            let stream = BackendServer.floodStream(count: first + more)
            expectSameBytes(try client.readExactly(first), Array(stream[0..<first]), "the first \(first) bytes")
            if halfClosing { try client.shutdownWrite() }
            #expect(backend.waitForSendsToStall(quiet: 0.5, timeout: 20),
                    "the download never filled the path to the client: the test proves nothing")
            let before = proxy.cpuSeconds
            sleep(seconds: 2)
            let spent = proxy.cpuSeconds - before
            #expect(spent < 0.3, "the proxy used \(spent) s of CPU in 2 s while nothing could move\n\(proxy.stderrTail)")
            expectSameBytes(try client.readExactly(more), Array(stream[first...]), "the \(more) bytes read after the stall")
            #expect(proxy.isAlive, "\(proxy.stderrTail)")
        }

        @Test("bulk both ways at once on 8 connections, byte-exact", .timeLimit(.minutes(1)))
        func bulkBothWays() throws {
            let echo = try BackendServer(.echo)
            let proxy = try ProxyProcess.forwarding(to: [echo], global: ["workers 2"])
            let payloads = (0..<8).map { Payload.random(count: 6 << 20, seed: UInt64(300 + $0)) }
            try proxy.expectConcurrentEchoes(payloads, "bulk", timeout: 40)
        }
    }
}
