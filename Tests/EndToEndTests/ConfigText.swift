// Builds proxy.conf text (SPEC §2) and starts a proxy from it.
import Foundation

enum Conf {
    /// The `global` section. Defaults (overridable by passing the same directive):
    /// `workers 2`, `log-level info`, `grace 5s`.
    static func global(_ lines: String...) -> String { global(lines) }

    static func global(_ lines: [String]) -> String {
        let defaults = ["workers 2", "log-level info", "grace 5s"]
        let given = Set(lines.compactMap { $0.split(separator: " ").first.map(String.init) })
        let merged = defaults.filter { !given.contains(String($0.split(separator: " ")[0])) } + lines
        return section("global", merged)
    }

    static func listener(_ name: String, bind: Endpoint, pool: String, _ lines: [String] = []) -> String {
        section("listener \(name)", ["bind \(bind)", "pool \(pool)"] + lines)
    }

    /// `servers`: the rest of each `server` line, e.g. "web1 127.0.0.1:9001 weight 3".
    /// `balance round-robin` unless `lines` choose another algorithm.
    static func pool(_ name: String, servers: [String], _ lines: [String] = []) -> String {
        let balance = lines.contains { $0.hasPrefix("balance ") } ? [] : ["balance round-robin"]
        return section("pool \(name)", balance + lines + servers.map { "server \($0)" })
    }

    /// `server` line bodies for backends: "s1 ADDR", "s2 ADDR", ...
    static func servers(_ backends: [BackendServer]) -> [String] {
        backends.enumerated().map { "s\($0.offset + 1) \($0.element.endpoint)" }
    }

    private static func section(_ header: String, _ lines: [String]) -> String {
        ([header] + lines.map { "    " + $0 }).joined(separator: "\n") + "\n\n"
    }
}

extension ProxyProcess {
    /// The common case: one listener `front` on a fresh loopback port, forwarding to pool
    /// `app` made of `servers` (bodies of `server` lines). Returns once the proxy listens.
    /// `keepingAlive`: the backends behind `servers`, kept alive with the proxy.
    static func forwarding(
        to servers: [String],
        listenHost: String = "127.0.0.1",
        global: [String] = [],
        listener: [String] = [],
        pool: [String] = [],
        keepingAlive attachments: [AnyObject] = [],
        fileDescriptorLimit: Int? = nil
    ) throws -> ProxyProcess {
        let front = Endpoint(host: listenHost, port: try Sockets.freePort(host: listenHost))
        let config = Conf.global(global)
            + Conf.listener("front", bind: front, pool: "app", listener)
            + Conf.pool("app", servers: servers, pool)
        return try ProxyProcess(config: config, listening: [front], keepingAlive: attachments,
                                fileDescriptorLimit: fileDescriptorLimit)
    }

    static func forwarding(
        to backends: [BackendServer],
        listenHost: String = "127.0.0.1",
        global: [String] = [],
        listener: [String] = [],
        pool: [String] = [],
        fileDescriptorLimit: Int? = nil
    ) throws -> ProxyProcess {
        try forwarding(
            to: Conf.servers(backends), listenHost: listenHost, global: global, listener: listener, pool: pool,
            keepingAlive: backends, fileDescriptorLimit: fileDescriptorLimit)
    }

    /// The first endpoint the proxy was asked to listen on.
    var front: Endpoint { listening[0] }
}
