// SPEC §2: `workers auto` is one reactor per CPU; the CPUs are those the
// process may run on, as HAProxy and nginx count them.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Workers")
    struct Workers {
        @Test("workers auto counts the CPUs of the process's affinity: one under taskset -c 0", .timeLimit(.minutes(1)))
        func autoFollowsTheAffinity() throws {
            let echo = try BackendServer(.echo)
            let front = Endpoint.loopback(try Sockets.freePort())
            let config = Conf.listener("front", bind: front, pool: "app") + Conf.pool("app", servers: Conf.servers([echo]))
            let pinned = try ProxyProcess(config: config, listening: [front], keepingAlive: [echo], cpus: "0")
            #expect(pinned.stderrText.contains("ringproxy started: 1 workers"), "\(pinned.stderrTail)")
            let client = try pinned.connect(ioTimeout: 5)
            #expect(try client.roundTrip([7, 8, 9]) == [7, 8, 9])
        }
    }
}
