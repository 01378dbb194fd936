// SPEC §3 Forwarding: bytes arrive unchanged and in order both ways, also when
// one peer resets the connection: what it sent before still reaches the other.
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    @Suite("Peer failure")
    struct PeerFailure {
        /// A server that refuses an upload answers and closes with the upload
        /// unread, so its kernel resets the connection. The proxy used to
        /// close both sides at the reset and drop the answer it had already
        /// received (the client got nothing in 38 runs of 40).
        @Test("a server's answer to an upload it refuses reaches the client still uploading", .timeLimit(.minutes(1)))
        func answerBeforeResetReachesTheUploader() throws {
            let answer = Array("HTTP/1.1 413 Content Too Large\r\nConnection: close\r\n\r\n".utf8)
                + [UInt8](repeating: 0x2E, count: 20_000)
            let backend = try BackendServer(.answerThenReset(afterReading: 100_000, answer: answer))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            for run in 0..<8 {
                let client = try proxy.connect(ioTimeout: 5)
                let answered = Locked(false)
                let uploader = Worker(name: "uploader") { () -> Void in
                    let chunk = [UInt8](repeating: 0x75, count: 64 * 1024)
                    while !answered.current, (try? client.send(chunk)) == chunk.count {}
                }
                let received = Result { try client.readExactly(answer.count) }
                answered.withLock { $0 = true }
                _ = uploader.join(timeout: 10)
                switch received {
                case .success(let bytes):
                    expectSameBytes(bytes, answer, "run \(run): the answer\n\(proxy.stderrTail)")
                case .failure(let error):
                    Issue.record("run \(run): the answer did not arrive: \(error)\n\(proxy.stderrTail)")
                }
                // The proxy reads the rest of the upload until the client ends it.
                try? client.shutdownWrite()
                let end = client.waitForClose(timeout: 5)
                #expect(end.isClosed, "run \(run): after the client's EOF: \(end)\n\(proxy.stderrTail)")
            }
            #expect(proxy.isAlive)
        }

        /// After a server's answer and reset, the proxy delivers the answer
        /// and its EOF, then reads the client until it ends its side (a
        /// lingering close). A client that neither sends nor closes must not
        /// hold the connection for the whole idle-timeout: 5 s.
        @Test("a lingering close ends 5 s after the last byte delivered, not at idle-timeout", .timeLimit(.minutes(1)))
        func lingeringCloseIsBounded() throws {
            let answer = Array("refused".utf8)
            let backend = try BackendServer(.answerThenReset(afterReading: 100, answer: answer))
            let proxy = try ProxyProcess.forwarding(to: [backend], listener: ["idle-timeout 60s"])
            let idleDescriptors = proxy.openDescriptorCount
            let client = try proxy.connect(ioTimeout: 5)
            try client.sendAll([UInt8](repeating: 0x75, count: 200))  // 100 unread: the server's close resets
            expectSameBytes(try client.readExactly(answer.count), answer, "the answer\n\(proxy.stderrTail)")
            #expect(client.waitForClose(timeout: 5) == .eof, "\(proxy.stderrTail)")
            let answered = monotonicNow()
            let closed = waitUntil(timeout: 15) { proxy.openDescriptorCount <= idleDescriptors }
            let lingered = monotonicNow() - answered
            #expect(closed, "the proxy still held the connection \(lingered) s after the answer\n\(proxy.stderrTail)")
            #expect(lingered > 3, "closed after \(lingered) s: the client had no time to end its side")
            withExtendedLifetime(client) {}
        }

        /// A server resets once its download is acknowledged: the proxy holds
        /// the last of it (in its queue or pipe) and used to drop that at the
        /// reset, ending the client's download short with a clean EOF (8 MiB:
        /// short by up to 860 KiB in 2 to 7 runs of 20).
        @Test("a server that resets after a download: every byte it sent reaches the client", .timeLimit(.minutes(1)))
        func downloadBeforeResetArrivesWhole() throws {
            let size = 8 << 20
            let backend = try BackendServer(.floodThenReset(size))
            let proxy = try ProxyProcess.forwarding(to: [backend])
            let expected = BackendServer.floodStream(count: size)
            for run in 0..<8 {
                let client = try proxy.connect(ioTimeout: 5)
                sleep(seconds: 0.3)  // the proxy and the sockets fill, and the reset arrives
                do {
                    expectSameBytes(try client.readUntilEOF(limit: size + 1), expected, "run \(run)\n\(proxy.stderrTail)")
                } catch {
                    Issue.record("run \(run): \(error)\n\(proxy.stderrTail)")
                }
            }
            #expect(proxy.isAlive)
        }
    }
}
