/// The validated configuration of a ringproxy instance: what `proxy.conf` says,
/// with every default filled in. Produced by `ConfigLoader`; consumed by the runtime.
public struct ProxyConfig: Sendable, Equatable {
    public var global: GlobalSettings
    public var listeners: [ListenerConfig]
    public var pools: [PoolConfig]

    public init(global: GlobalSettings = GlobalSettings(), listeners: [ListenerConfig] = [], pools: [PoolConfig] = []) {
        self.global = global
        self.listeners = listeners
        self.pools = pools
    }

    public func pool(named name: String) -> PoolConfig? {
        pools.first { $0.name == name }
    }
}

/// Where a directive stood in the file, for error messages.
public struct SourceLocation: Sendable, Equatable, Hashable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

public enum WorkerCount: Sendable, Equatable {
    /// One reactor thread per online CPU.
    case auto
    case fixed(Int)
}

public enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case debug, info, notice, warning, error
}

/// A `host:port` pair. `host` is an IPv4 literal, an IPv6 literal (without the
/// brackets of the config syntax) or a host name resolved by the runtime.
public struct Endpoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

public struct GlobalSettings: Sendable, Equatable {
    public var workers: WorkerCount = .auto
    public var maxConnections: Int = 100_000
    public var admin: Endpoint? = nil
    public var logLevel: LogLevel = .info
    public var graceMilliseconds: Int64 = 30_000
    public var bufferSize: Int = 16 * 1024
    public var buffers: Int = 4096
    public init() {}
}

public enum ProxyProtocolVersion: String, Sendable, Equatable, CaseIterable {
    case off, v1, v2
}

public enum TLSVersion: String, Sendable, Equatable, CaseIterable {
    case tls12 = "1.2"
    case tls13 = "1.3"
}

public struct TLSCertificate: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String
    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

public struct ListenerConfig: Sendable, Equatable {
    public var name: String
    public var binds: [Endpoint] = []
    public var pool: String = ""
    /// nil: only the global limit applies.
    public var maxConnections: Int? = nil
    public var idleTimeoutMilliseconds: Int64 = 300_000
    public var proxyProtocol: ProxyProtocolVersion = .off
    public var tlsCertificates: [TLSCertificate] = []
    public var tlsMinVersion: TLSVersion = .tls12
    public var tlsALPN: [String] = []
    public var handshakeTimeoutMilliseconds: Int64 = 10_000
    /// Where its name stands in the file.
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public enum BalanceAlgorithm: String, Sendable, Equatable, CaseIterable {
    case roundRobin = "round-robin"
    case leastConnections = "least-connections"
    case randomTwo = "random-two"
    case sourceHash = "source-hash"
    case maglev
}

public enum HealthCheckKind: Sendable, Equatable {
    case tcp
    case sendExpect(send: [UInt8], expect: [UInt8])
}

public struct HealthCheckConfig: Sendable, Equatable {
    public var kind: HealthCheckKind
    public var intervalMilliseconds: Int64 = 2_000
    public var timeoutMilliseconds: Int64 = 1_000
    public var rise: Int = 2
    public var fall: Int = 3
    public init(kind: HealthCheckKind) {
        self.kind = kind
    }
}

public struct ServerConfig: Sendable, Equatable {
    public var name: String
    public var address: Endpoint
    public var weight: Int = 1
    public var backup: Bool = false
    public init(name: String, address: Endpoint, weight: Int = 1, backup: Bool = false) {
        self.name = name
        self.address = address
        self.weight = weight
        self.backup = backup
    }
}

public struct PoolConfig: Sendable, Equatable {
    public var name: String
    public var balance: BalanceAlgorithm = .roundRobin
    public var connectTimeoutMilliseconds: Int64 = 2_000
    public var retries: Int = 2
    public var healthCheck: HealthCheckConfig? = nil
    public var servers: [ServerConfig] = []
    /// Where its name stands in the file.
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}
