import ProxyConfig
import Testing

/// Directives whose runtime has not landed parse fully, then are rejected with `... not supported yet`.
@Suite struct UnsupportedFeatureTests {
    @Test(arguments: [
        (SectionKind.global, "    admin 127.0.0.1:9900", "proxy.conf:2:5: admin: not supported yet"),
        (.listener, "    tls cert /etc/site.crt key /etc/site.key", "proxy.conf:2:5: tls: not supported yet"),
        (.listener, "    tls-min-version 1.2", "proxy.conf:2:5: tls-min-version: not supported yet"),
        (.listener, "    tls-alpn h2,http/1.1", "proxy.conf:2:5: tls-alpn: not supported yet"),
        (.listener, "    handshake-timeout 10s", "proxy.conf:2:5: handshake-timeout: not supported yet"),
        (.listener, "    proxy-protocol v1", "proxy.conf:2:20: proxy-protocol: v1 is not supported yet"),
        (.listener, "    proxy-protocol v2", "proxy.conf:2:20: proxy-protocol: v2 is not supported yet"),
        (.pool, "    health-check tcp interval 2s timeout 1s rise 2 fall 3", "proxy.conf:2:5: health-check: not supported yet"),
        (.pool, #"    health-check send "PING\r\n" expect "+PONG""#, "proxy.conf:2:5: health-check: not supported yet"),
    ])
    func rejectsGatedDirectives(section: SectionKind, directive: String, error: String) {
        #expect(errorLines(of: directive, in: section) == [error])
    }

    @Test(arguments: [
        (SectionKind.listener, "    proxy-protocol off"),
        (.pool, "    balance round-robin"),
        (.pool, "    balance least-connections"),
        (.pool, "    balance random-two"),
        (.pool, "    balance source-hash"),
        (.pool, "    balance maglev"),
    ])
    func acceptsTheSupportedValuesOfGatedDirectives(section: SectionKind, directive: String) {
        #expect(errorLines(of: directive, in: section).isEmpty)
    }

    @Test func validatesGatedDirectivesBeforeRejectingThem() {
        #expect(errorLines(of: "    tls-min-version 1.0", in: .listener) == [
            "proxy.conf:2:21: tls-min-version: expected 1.2 or 1.3, got '1.0'",
        ])
        #expect(errorLines(of: "    health-check tcp timeout 5s", in: .pool) == [
            "proxy.conf:2:5: health-check: timeout (5s) must not be longer than interval (2s)",
        ])
    }
}
