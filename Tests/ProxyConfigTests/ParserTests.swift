@testable import ProxyConfig
import Testing

@Suite struct ParserTests {
    @Test func fillsDefaultsForEverythingLeftOut() throws {
        let config = try #require(parsedConfig(validListenerAndPool))
        #expect(config.global == GlobalSettings())
        #expect(config.global.workers == .auto)
        #expect(config.global.maxConnections == 100_000)
        #expect(config.global.admin == nil)
        #expect(config.global.logLevel == .info)
        #expect(config.global.graceMilliseconds == 30_000)
        #expect(config.global.bufferSize == 16_384)
        #expect(config.global.buffers == 4096)

        let listener = try #require(config.listeners.first)
        #expect(listener.name == "web")
        #expect(listener.location.line == 1 && listener.location.column == 10)  // its name
        #expect(listener.maxConnections == nil)
        #expect(listener.idleTimeoutMilliseconds == 300_000)
        #expect(listener.proxyProtocol == .off)
        #expect(listener.tlsCertificates.isEmpty)
        #expect(listener.tlsMinVersion == .tls12)
        #expect(listener.tlsALPN.isEmpty)
        #expect(listener.handshakeTimeoutMilliseconds == 10_000)

        let pool = try #require(config.pool(named: "app"))
        #expect(pool.location.line == 4 && pool.location.column == 6)  // its name
        #expect(pool.balance == .roundRobin)
        #expect(pool.connectTimeoutMilliseconds == 2_000)
        #expect(pool.retries == 2)
        #expect(pool.healthCheck == nil)
        #expect(pool.servers == [ServerConfig(name: "a", address: Endpoint(host: "127.0.0.1", port: 9001), weight: 1, backup: false)])
    }

    @Test func readsEveryGlobalDirective() throws {
        let config = try #require(parsedConfig("""
            global
                workers 8
                max-connections 2500
                log-level warning
                grace 45s
                buffer-size 4k
                buffers 1024

            """ + validListenerAndPool))
        var expected = GlobalSettings()
        expected.workers = .fixed(8)
        expected.maxConnections = 2500
        expected.logLevel = .warning
        expected.graceMilliseconds = 45_000
        expected.bufferSize = 4096
        expected.buffers = 1024
        #expect(config.global == expected)
    }

    @Test(arguments: LogLevel.allCases)
    func readsEveryLogLevel(level: LogLevel) throws {
        let config = try #require(parsedConfig("global\n    log-level \(level.rawValue)\n" + validListenerAndPool))
        #expect(config.global.logLevel == level)
    }

    @Test(arguments: [
        ("workers auto", WorkerCount.auto), ("workers 1", .fixed(1)), ("workers 1024", .fixed(1024)),
    ])
    func readsWorkerCounts(line: String, workers: WorkerCount) throws {
        let config = try #require(parsedConfig("global\n    \(line)\n" + validListenerAndPool))
        #expect(config.global.workers == workers)
    }

    @Test(arguments: [("buffer-size 512", 512), ("buffer-size 4m", 4 * 1024 * 1024), ("buffer-size 65536", 65536)])
    func readsBufferSizeBounds(line: String, bytes: Int) throws {
        let config = try #require(parsedConfig("global\n    \(line)\n" + validListenerAndPool))
        #expect(config.global.bufferSize == bytes)
    }

    @Test func allowsAZeroGracePeriod() throws {
        let config = try #require(parsedConfig("global\n    grace 0s\n" + validListenerAndPool))
        #expect(config.global.graceMilliseconds == 0)
    }

    @Test func readsEveryListenerDirectiveIncludingIPv6Binds() throws {
        let config = try #require(parsedConfig("""
            listener edge
            \tbind 0.0.0.0:80
            \tbind [::]:80
            \tbind [2001:db8::1]:8443
            \tpool app
            \tmax-connections 50000
            \tidle-timeout 90s
            \tproxy-protocol off
            pool app
                server a 127.0.0.1:9001

            """))
        let listener = try #require(config.listeners.first)
        #expect(listener.name == "edge")
        #expect(listener.binds == [
            Endpoint(host: "0.0.0.0", port: 80),
            Endpoint(host: "::", port: 80),
            Endpoint(host: "2001:db8::1", port: 8443),
        ])
        #expect(listener.pool == "app")
        #expect(listener.maxConnections == 50_000)
        #expect(listener.idleTimeoutMilliseconds == 90_000)
        #expect(listener.proxyProtocol == .off)
    }

    @Test func readsEveryPoolDirectiveAndServerOptionsInAnyOrder() throws {
        let config = try #require(parsedConfig("""
            listener web
                bind 127.0.0.1:8080
                pool backends
            pool backends
                balance round-robin
                connect-timeout 750ms
                retries 0
                server web1 127.0.0.1:9001 weight 3
                server web2 [::1]:9002
                server spare 127.0.0.1:9003 backup
                server both1 10.0.0.1:80 weight 256 backup
                server both2 10.0.0.2:80 backup weight 2
                server named db.internal:5432

            """))
        let pool = try #require(config.pool(named: "backends"))
        #expect(pool.balance == .roundRobin)
        #expect(pool.connectTimeoutMilliseconds == 750)
        #expect(pool.retries == 0)
        #expect(pool.servers == [
            ServerConfig(name: "web1", address: Endpoint(host: "127.0.0.1", port: 9001), weight: 3),
            ServerConfig(name: "web2", address: Endpoint(host: "::1", port: 9002)),
            ServerConfig(name: "spare", address: Endpoint(host: "127.0.0.1", port: 9003), backup: true),
            ServerConfig(name: "both1", address: Endpoint(host: "10.0.0.1", port: 80), weight: 256, backup: true),
            ServerConfig(name: "both2", address: Endpoint(host: "10.0.0.2", port: 80), weight: 2, backup: true),
            ServerConfig(name: "named", address: Endpoint(host: "db.internal", port: 5432)),
        ])
    }

    @Test func keepsSectionsInFileOrderAndAllowsSameServerNameInTwoPools() throws {
        let config = try #require(parsedConfig("""
            pool b
                server x 127.0.0.1:2
            listener one
                bind 127.0.0.1:1001
                pool a
            pool a
                server x 127.0.0.1:1
            listener two
                bind 127.0.0.1:1002
                pool b

            """))
        #expect(config.listeners.map(\.name) == ["one", "two"])
        #expect(config.listeners.map(\.pool) == ["a", "b"])
        #expect(config.pools.map(\.name) == ["b", "a"])
        #expect(config.pool(named: "a")?.servers.first?.address.port == 1)
    }

    @Test func acceptsQuotedArguments() throws {
        let config = try #require(parsedConfig("""
            listener "web"
                bind "127.0.0.1:8080"
                pool "app"
            pool app
                server "a" "127.0.0.1:9001"

            """))
        #expect(config.listeners.first?.name == "web")
        #expect(config.listeners.first?.pool == "app")
    }

    // MARK: Directives behind the feature gate still parse fully into the model.

    @Test func readsAdmin() {
        let parsed = parsedIgnoringGate("global\n    admin [::1]:9900\n")
        #expect(parsed.global.settings.admin == Endpoint(host: "::1", port: 9900))
    }

    @Test func readsEveryTLSDirective() throws {
        let parsed = parsedIgnoringGate("""
            listener secure
                tls cert /etc/ringproxy/site.crt key /etc/ringproxy/site.key
                tls key "/etc/ringproxy/api key.pem" cert /etc/ringproxy/api.crt
                tls-min-version 1.3
                tls-alpn h2,http/1.1
                handshake-timeout 3s
                proxy-protocol v2

            """)
        let listener = try #require(parsed.listeners.first?.config)
        #expect(listener.tlsCertificates == [
            TLSCertificate(certificatePath: "/etc/ringproxy/site.crt", keyPath: "/etc/ringproxy/site.key"),
            TLSCertificate(certificatePath: "/etc/ringproxy/api.crt", keyPath: "/etc/ringproxy/api key.pem"),
        ])
        #expect(listener.tlsMinVersion == .tls13)
        #expect(listener.tlsALPN == ["h2", "http/1.1"])
        #expect(listener.handshakeTimeoutMilliseconds == 3_000)
        #expect(listener.proxyProtocol == .v2)
    }

    @Test(arguments: ProxyProtocolVersion.allCases)
    func readsEveryProxyProtocolVersion(version: ProxyProtocolVersion) {
        let parsed = parsedIgnoringGate("listener l\n    proxy-protocol \(version.rawValue)\n")
        #expect(parsed.listeners.first?.config.proxyProtocol == version)
    }

    @Test(arguments: BalanceAlgorithm.allCases)
    func readsEveryBalanceAlgorithm(algorithm: BalanceAlgorithm) {
        let parsed = parsedIgnoringGate("pool p\n    balance \(algorithm.rawValue)\n")
        #expect(parsed.pools.first?.config.balance == algorithm)
    }

    @Test func readsATCPHealthCheck() throws {
        let parsed = parsedIgnoringGate("pool p\n    health-check tcp interval 5s timeout 500ms rise 4 fall 1\n")
        var expected = HealthCheckConfig(kind: .tcp)
        expected.intervalMilliseconds = 5_000
        expected.timeoutMilliseconds = 500
        expected.rise = 4
        expected.fall = 1
        #expect(parsed.pools.first?.config.healthCheck == expected)
    }

    @Test func readsASendExpectHealthCheckWithOptionsInAnyOrderAndDefaults() throws {
        let parsed = parsedIgnoringGate(#"""
            pool p
                health-check send "PING\r\n" expect "+PONG" fall 5 interval 3s

            """#)
        var expected = HealthCheckConfig(kind: .sendExpect(send: Array("PING\r\n".utf8), expect: Array("+PONG".utf8)))
        expected.intervalMilliseconds = 3_000
        expected.fall = 5
        #expect(parsed.pools.first?.config.healthCheck == expected)
        #expect(expected.timeoutMilliseconds == 1_000 && expected.rise == 2)
    }

    @Test func readsBinaryHealthCheckPayloads() {
        let parsed = parsedIgnoringGate(#"pool p"# + "\n" + #"    health-check send "\x00\x01\xff" expect "\x80""# + "\n")
        #expect(parsed.pools.first?.config.healthCheck?.kind == .sendExpect(send: [0x00, 0x01, 0xFF], expect: [0x80]))
    }

    @Test func readsAHealthCheckWithAllDefaults() {
        let parsed = parsedIgnoringGate("pool p\n    health-check tcp\n")
        #expect(parsed.pools.first?.config.healthCheck == HealthCheckConfig(kind: .tcp))
    }
}
