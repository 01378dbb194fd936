/// The directives of a `listener NAME` section (SPEC §2).
enum ListenerDirectives {
    private enum TLSOption: String, CaseIterable {
        case cert, key
    }

    static let table = DirectiveTable<ParsedConfig.Listener>(
        sectionKind: "listener",
        handlers: [
            "bind": { (listener, arguments) throws(ConfigError) in
                listener.config.binds.append(try arguments.endpoint("address", allowingHostNames: false))
                listener.bindLocations.append(arguments.lastArgumentLocation)
            },
            "pool": { (listener, arguments) throws(ConfigError) in
                listener.config.pool = try arguments.name("pool name")
                listener.poolLocation = arguments.lastArgumentLocation
            },
            "max-connections": { (listener, arguments) throws(ConfigError) in
                listener.config.maxConnections = try arguments.integer("connection limit", in: 1...Int.max)
            },
            "idle-timeout": { (listener, arguments) throws(ConfigError) in
                listener.config.idleTimeoutMilliseconds = try arguments.duration("idle timeout")
            },
            "proxy-protocol": { (listener, arguments) throws(ConfigError) in
                listener.config.proxyProtocol = try arguments.choice("version")
            },
            "tls": { (listener, arguments) throws(ConfigError) in
                var certificatePath: String?
                var keyPath: String?
                while let option = try arguments.nextOption(TLSOption.self) {
                    switch option {
                    case .cert: certificatePath = try arguments.text("certificate path")
                    case .key: keyPath = try arguments.text("key path")
                    }
                }
                guard let certificatePath else { throw arguments.error("missing 'cert PATH'") }
                guard let keyPath else { throw arguments.error("missing 'key PATH'") }
                listener.config.tlsCertificates.append(TLSCertificate(certificatePath: certificatePath, keyPath: keyPath))
            },
            "tls-min-version": { (listener, arguments) throws(ConfigError) in
                listener.config.tlsMinVersion = try arguments.choice("version")
            },
            "tls-alpn": { (listener, arguments) throws(ConfigError) in
                let list = try arguments.next("protocol list, e.g. h2,http/1.1")
                let protocols = list.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                // The ALPN wire format gives each name a one-byte length.
                guard protocols.allSatisfy({ (1...255).contains($0.utf8.count) }) else {
                    throw arguments.error("each protocol name must be 1 to 255 bytes long, in '\(list.text)'", at: list)
                }
                listener.config.tlsALPN = protocols
            },
            "handshake-timeout": { (listener, arguments) throws(ConfigError) in
                listener.config.handshakeTimeoutMilliseconds = try arguments.duration("handshake timeout")
            },
        ],
        repeatable: ["bind", "tls"]
    )
}
