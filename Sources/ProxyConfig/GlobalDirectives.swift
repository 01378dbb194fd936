/// The directives of the `global` section (SPEC §2).
enum GlobalDirectives {
    static let table = DirectiveTable<ParsedConfig.Global>(
        sectionKind: "global",
        handlers: [
            "workers": { (global, arguments) throws(ConfigError) in
                global.settings.workers = arguments.consume("auto")
                    ? .auto
                    : .fixed(try arguments.integer("worker count", in: 1...1024))
            },
            "max-connections": { (global, arguments) throws(ConfigError) in
                global.settings.maxConnections = try arguments.integer("connection limit", in: 1...Int.max)
            },
            "admin": { (global, arguments) throws(ConfigError) in
                global.settings.admin = try arguments.endpoint("address", allowingHostNames: false)
                global.adminLocation = arguments.lastArgumentLocation
            },
            "log-level": { (global, arguments) throws(ConfigError) in
                global.settings.logLevel = try arguments.choice("level")
            },
            "grace": { (global, arguments) throws(ConfigError) in
                // 0s is allowed: close connections at once on reload or shutdown.
                global.settings.graceMilliseconds = try arguments.duration("grace period", in: 0...Int64.max)
            },
            "buffer-size": { (global, arguments) throws(ConfigError) in
                // Below 512 bytes the per-read overhead dominates; above 4m the provided buffers eat memory.
                global.settings.bufferSize = try arguments.size("buffer size", in: 512...(4 * 1024 * 1024))
            },
            "buffers": { (global, arguments) throws(ConfigError) in
                // 32768 is the most entries an io_uring provided-buffer ring can hold.
                global.settings.buffers = try arguments.integer("buffer count", in: 1...32768)
            },
        ],
        repeatable: []
    )
}
