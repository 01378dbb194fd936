import Foundation
import ProxyConfig
import Testing

@Suite struct ExampleConfigTests {
    /// `proxy.conf.example` at the package root, two folders up from this file.
    private static let examplePath: String = {
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)
        return (components + ["proxy.conf.example"]).joined(separator: "/")
    }()

    @Test func exampleConfigLoadsWithoutErrors() throws {
        let config = try ConfigLoader.load(path: Self.examplePath).get()

        var global = GlobalSettings()
        global.workers = .auto
        global.maxConnections = 10_000
        global.logLevel = .info
        global.graceMilliseconds = 10_000
        global.bufferSize = 16 * 1024
        global.buffers = 4096
        #expect(config.global == global)

        #expect(config.listeners.count == 1)
        let listener = try #require(config.listeners.first)
        #expect(listener.name == "web")
        #expect(listener.binds == [Endpoint(host: "127.0.0.1", port: 8080)])
        #expect(listener.pool == "app")
        #expect(listener.maxConnections == 5_000)
        #expect(listener.idleTimeoutMilliseconds == 300_000)
        #expect(listener.proxyProtocol == .off)
        #expect(listener.tlsCertificates.isEmpty)

        #expect(config.pools.count == 1)
        let pool = try #require(config.pool(named: "app"))
        #expect(pool.balance == .roundRobin)
        #expect(pool.connectTimeoutMilliseconds == 2_000)
        #expect(pool.retries == 2)
        #expect(pool.healthCheck == nil)
        #expect(pool.servers == [
            ServerConfig(name: "web1", address: Endpoint(host: "127.0.0.1", port: 9001), weight: 3),
            ServerConfig(name: "web2", address: Endpoint(host: "127.0.0.1", port: 9002)),
            ServerConfig(name: "spare", address: Endpoint(host: "127.0.0.1", port: 9003), backup: true),
        ])
    }

    /// The example documents every directive of the spec: the gated ones as comments.
    @Test func exampleShowsEveryDirectiveOfTheSpec() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let directives = [
            "workers", "max-connections", "admin", "log-level", "grace", "buffer-size", "buffers",
            "bind", "pool", "idle-timeout", "proxy-protocol", "tls", "tls-min-version", "tls-alpn", "handshake-timeout",
            "balance", "connect-timeout", "retries", "health-check", "server",
        ]
        let lines = text.split(separator: "\n")
        for directive in directives {
            let shown = lines.contains { line in
                let words = line.split(whereSeparator: { $0 == " " || $0 == "#" })
                return words.first.map(String.init) == directive
            }
            #expect(shown, "\(directive) is missing from proxy.conf.example")
        }
        #expect(text.contains(#"health-check send "PING\r\n" expect"#))
        #expect(text.contains("health-check tcp"))
    }

    /// Uncommenting any "(not supported yet)" line (in place of the active line it
    /// replaces, if any) must fail on the feature gate alone: the line itself is valid.
    @Test func everyGatedExampleLineFailsOnlyOnTheGate() throws {
        let lines = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstWord = { (line: String) in line.split(whereSeparator: { $0 == " " || $0 == "#" }).first.map(String.init) }
        let gatedLineNumbers = lines.indices.filter { index in
            let line = lines[index]
            return line.first == " " && line.trimmingCharacters(in: .whitespaces).hasPrefix("#")
                && line.contains("(not supported yet)")
        }
        #expect(gatedLineNumbers.count == 9)
        for gated in gatedLineNumbers {
            let directive = firstWord(lines[gated])
            let variant = lines.indices.compactMap { index -> String? in
                let line = lines[index]
                if index == gated {
                    return line.replacingOccurrences(of: "#", with: " ", options: [], range: line.range(of: "#"))
                }
                let isActive = !line.trimmingCharacters(in: .whitespaces).hasPrefix("#")
                return isActive && firstWord(line) == directive ? nil : line
            }
            let messages = ConfigLoader.parse(variant.joined(separator: "\n"), path: "example").failureMessages
            #expect(messages.count == 1 && messages[0].hasSuffix("not supported yet"), "\(lines[gated]): \(messages)")
        }
    }
}

private extension Result where Failure == ConfigErrors {
    var failureMessages: [String] {
        guard case .failure(let errors) = self else { return [] }
        return errors.errors.map(\.message)
    }
}

@Suite struct ConfigLoaderTests {
    @Test func reportsAMissingFile() {
        let path = "/nonexistent/ringproxy/proxy.conf"
        #expect(throws: ConfigErrors([
            ConfigError(path: path, line: 1, column: 1, message: "cannot read file: No such file or directory"),
        ])) {
            try ConfigLoader.load(path: path).get()
        }
    }

    @Test func reportsADirectory() {
        #expect(throws: ConfigErrors([
            ConfigError(path: "/", line: 1, column: 1, message: "cannot read file: Is a directory"),
        ])) {
            try ConfigLoader.load(path: "/").get()
        }
    }

    @Test func readsAFileAndReportsItsPathInErrors() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringproxy-loader-\(UUID()).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ("global\n    workers 0\n" + validListenerAndPool).write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigErrors([
            ConfigError(path: path, line: 2, column: 13, message: "workers: worker count must be between 1 and 1024, got 0"),
        ])) {
            try ConfigLoader.load(path: path).get()
        }
    }

    /// Invalid UTF-8 is reported where it stands, once a line, and the rest
    /// of the file is still checked (the reader used to stop at 1:1).
    @Test func reportsInvalidUTF8WhereItStandsAndChecksTheRest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringproxy-loader-\(UUID()).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = Array("\u{FEFF}global\n    workers 0\n# caf".utf8) + [0xE9, 0xFF] + Array("\n# é ok\n".utf8)
            + Array("    log-level x".utf8) + [0xC3] + Array("\n".utf8) + Array(validListenerAndPool.utf8)
        try Data(text).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConfigErrors([
            ConfigError(path: path, line: 2, column: 13, message: "workers: worker count must be between 1 and 1024, got 0"),
            ConfigError(path: path, line: 3, column: 6, message: "not valid UTF-8: the file must be UTF-8 text"),
            ConfigError(path: path, line: 5, column: 16, message: "not valid UTF-8: the file must be UTF-8 text"),
            ConfigError(path: path, line: 5, column: 15, message: "log-level: expected debug, info, notice, warning or error, got 'x\u{FFFD}'"),
        ].sorted { ($0.line, $0.column) < ($1.line, $1.column) })) {
            try ConfigLoader.load(path: path).get()
        }
    }
}
