/// The configuration as parsed, plus where its parts stood in the file, so that
/// the `Validator` can point at them. `proxyConfig` drops the locations.
struct ParsedConfig {
    struct Global {
        var settings = GlobalSettings()
        /// The `global` header; nil when the file has none.
        var location: SourceLocation?
        var adminLocation: SourceLocation?
    }

    struct Listener {
        var config: ListenerConfig
        /// One per entry of `config.binds`: where its address stood.
        var bindLocations: [SourceLocation] = []
        /// Where the pool name stood; nil when the listener has no valid `pool` line.
        var poolLocation: SourceLocation?
        /// Every known directive the section has a line of, valid or not.
        var directivesGiven: Set<String> = []
    }

    struct Pool {
        var config: PoolConfig
        /// One per entry of `config.servers`: where its name stood.
        var serverLocations: [SourceLocation] = []
        /// One per entry of `config.servers`: where its address stood.
        var serverAddressLocations: [SourceLocation] = []
        /// Every known directive the section has a line of, valid or not.
        var directivesGiven: Set<String> = []
    }

    var global = Global()
    var listeners: [Listener] = []
    var pools: [Pool] = []
    /// Whether the file has a `listener` header at all, kept or dropped for an error.
    var hasListenerHeader = false

    var proxyConfig: ProxyConfig {
        ProxyConfig(global: global.settings, listeners: listeners.map(\.config), pools: pools.map(\.config))
    }
}
