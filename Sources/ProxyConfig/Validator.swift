/// The checks that span more than one line: names, references between sections,
/// and sections missing what they need. Line-level checks (values, ranges,
/// argument counts) are done while parsing.
struct Validator {
    let path: String

    func validate(_ config: ParsedConfig) -> [ConfigError] {
        var errors: [ConfigError] = []
        func report(_ location: SourceLocation, _ message: String) {
            errors.append(ConfigError(path: path, at: location, message))
        }

        if config.listeners.isEmpty && !config.hasListenerHeader {
            report(SourceLocation(line: 1, column: 1), "no listener defined: the proxy would accept nothing")
        }

        for (location, message) in duplicateNames(config.listeners.map { ($0.config.name, $0.config.location) }, kind: "listener")
            + duplicateNames(config.pools.map { ($0.config.name, $0.config.location) }, kind: "pool") {
            report(location, message)
        }

        let poolNames = Set(config.pools.map(\.config.name))
        var bindOwners: [SocketIdentity: (listener: String, location: SourceLocation, bind: Endpoint)] = [:]
        for listener in config.listeners {
            let name = listener.config.name
            if listener.config.binds.isEmpty && !listener.directivesGiven.contains("bind") {
                report(listener.config.location, "listener '\(name)' has no bind address")
            }
            for (bind, location) in zip(listener.config.binds, listener.bindLocations) {
                guard let identity = SocketIdentity(bind) else { continue }
                if let owner = bindOwners[identity] {
                    report(location, "bind: \(bind) is already bound by listener '\(owner.listener)' at line \(owner.location.line)\(Self.spelling(of: owner.bind, against: bind))")
                } else {
                    bindOwners[identity] = (name, location, bind)
                }
            }
            if let poolLocation = listener.poolLocation {
                if !poolNames.contains(listener.config.pool) {
                    report(poolLocation, "pool: no pool named '\(listener.config.pool)' is defined")
                }
            } else if !listener.directivesGiven.contains("pool") {
                report(listener.config.location, "listener '\(name)' has no pool")
            }
        }

        if let admin = config.global.settings.admin, let adminLocation = config.global.adminLocation,
           let identity = SocketIdentity(admin), let owner = bindOwners[identity] {
            report(adminLocation, "admin: \(admin) is already bound by listener '\(owner.listener)' at line \(owner.location.line)\(Self.spelling(of: owner.bind, against: admin))")
        }

        for pool in config.pools {
            if pool.config.servers.isEmpty && !pool.directivesGiven.contains("server") {
                report(pool.config.location, "pool '\(pool.config.name)' has no servers")
            }
            let servers = zip(pool.config.servers, pool.serverLocations).map { ($0.name, $1) }
            for (location, message) in duplicateNames(servers, kind: "server", scope: " in pool '\(pool.config.name)'") {
                report(location, message)
            }
        }
        return errors
    }

    /// How the earlier bind wrote the same address, when it wrote it otherwise.
    private static func spelling(of earlier: Endpoint, against later: Endpoint) -> String {
        earlier == later ? "" : " (as \(earlier))"
    }

    /// An error for every name that an earlier entry already used.
    private func duplicateNames(_ entries: [(name: String, location: SourceLocation)], kind: String, scope: String = "") -> [(SourceLocation, String)] {
        var firstLocations: [String: SourceLocation] = [:]
        var duplicates: [(SourceLocation, String)] = []
        for entry in entries {
            if let first = firstLocations[entry.name] {
                duplicates.append((entry.location, "duplicate \(kind) name '\(entry.name)'\(scope) (first defined at line \(first.line))"))
            } else {
                firstLocations[entry.name] = entry.location
            }
        }
        return duplicates
    }
}
